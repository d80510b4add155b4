import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A signed statement of the audit chain's head: the row at `seq` has `head_hash`. Each one also
 * names the previous checkpoint (`previous_digest`, SHA-256 of its JWS), so the checkpoints form
 * a chain of their own and the newest, signed with a key still published, vouches for the older
 * ones whose keys were retired since. The signing key's public JWK is kept with it for those.
 */
@Entity('audit_checkpoints')
@Index('IDX_audit_checkpoints_seq', ['seq'])
export class AuditCheckpoint {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuidv7()' })
  id!: string;

  @Column({ type: 'bigint' })
  seq!: string;

  @Column({ name: 'head_hash', type: 'bytea' })
  headHash!: Buffer;

  @Column({ name: 'previous_digest', type: 'bytea', nullable: true })
  previousDigest!: Buffer | null;

  /** Compact JWS over `{seq, head, previous, signed_at}` (audit-checkpoint-statement.ts). */
  @Column({ type: 'text' })
  jws!: string;

  @Column({ type: 'text' })
  kid!: string;

  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk!: Record<string, string>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /**
   * Set when retention chose this checkpoint as where the kept chain starts: the rows up to it
   * are being, or were, purged, and verification starts after it, from the head it signed.
   */
  @Column({ name: 'retention_cut_at', type: 'timestamptz', nullable: true })
  retentionCutAt!: Date | null;
}
