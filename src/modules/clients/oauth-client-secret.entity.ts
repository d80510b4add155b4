import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
} from 'typeorm';
import { OAuthClient } from './oauth-client.entity';

/**
 * One secret of a client: `ghs_` and 256 random bits, shown once, stored as SHA-256. A client
 * has at most two active (neither revoked nor expired) at once, so a secret can be rotated
 * without downtime: add the new one, deploy it, remove the old one.
 */
@Entity('oauth_client_secrets')
@Index('IDX_oauth_client_secrets_client', ['clientId'])
export class OAuthClientSecret {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuidv7()' })
  id!: string;

  /** The owning client's `id` (not its public `client_id`). */
  @Column({ name: 'client_id', type: 'uuid' })
  clientId!: string;

  @ManyToOne(() => OAuthClient, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'client_id' })
  client?: OAuthClient;

  @Column({ name: 'secret_hash', type: 'bytea', unique: true, select: false })
  secretHash!: Buffer;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
