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
 * A service access token revoked before its expiry (RFC 7009), by its `jti`. A row is only
 * needed while the token could still be accepted, so rows past `expires_at` are pruned.
 */
@Entity('oauth_revoked_tokens')
@Index('IDX_oauth_revoked_tokens_expiry', ['expiresAt'])
export class RevokedClientToken {
  @PrimaryColumn({ type: 'uuid' })
  jti!: string;

  @Column({ name: 'client_id', type: 'uuid' })
  clientId!: string;

  @ManyToOne(() => OAuthClient, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'client_id' })
  client?: OAuthClient;

  /** When the token stops being accepted anyway (its `exp` plus the verification leeway). */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @CreateDateColumn({ name: 'revoked_at', type: 'timestamptz' })
  revokedAt!: Date;
}
