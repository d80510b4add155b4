import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * A user's audit data key (AES-256), sealed under the master key: what that user's personal
 * fields in the audit log are encrypted with. Destroying it (erasure) leaves `sealed_key` null
 * and the row in place, so nothing personal about that user is recorded again.
 */
@Entity('audit_user_keys')
export class AuditUserKey {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'sealed_key', type: 'text', nullable: true })
  sealedKey!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'destroyed_at', type: 'timestamptz', nullable: true })
  destroyedAt!: Date | null;
}
