import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  UpdateDateColumn,
} from 'typeorm';
import { User } from '../users/user.entity';

export const OFFLINE_TOKEN_STATUSES = ['active', 'revoked'] as const;
export type OfflineTokenStatus = (typeof OFFLINE_TOKEN_STATUSES)[number];

/**
 * A user's offline token at an identity provider (a Keycloak offline token, an `offline_access`
 * refresh token), kept so that jobs and sibling services can mint access tokens for the user
 * while they are away. The token is sealed (FieldVault, bound to the user, the provider and this
 * row) and its keyed hash finds the same token stored again. `revoked`: the provider refused
 * it (`invalid_grant`); the user must consent again.
 */
@Entity('offline_tokens')
@Index('UQ_offline_tokens_token', ['userId', 'providerId', 'tokenHash'], { unique: true })
@Index('IDX_offline_tokens_user', ['userId', 'id'])
@Index('IDX_offline_tokens_session', ['providerId', 'providerSessionId'])
@Index('IDX_offline_tokens_key', ['keyId'])
@Check('CHK_offline_tokens_status', `"status" IN ('active', 'revoked')`)
export class OfflineToken {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  /** An identity provider of the federation module; its deletion leaves the row to be revoked. */
  @Column({ name: 'provider_id', type: 'uuid' })
  providerId!: string;

  /** The person's `sub` at the provider. */
  @Column({ type: 'text' })
  subject!: string;

  /** The provider's session (`sid`; Keycloak's offline user session), when it names one. */
  @Column({ name: 'provider_session_id', type: 'text', nullable: true })
  providerSessionId!: string | null;

  @Column({ type: 'text', array: true })
  scopes!: string[];

  @Column({ type: 'text', select: false })
  envelope!: string;

  @Column({ name: 'key_id', type: 'text' })
  keyId!: string;

  /** HMAC-SHA-256 of the token under a key derived from the master key. */
  @Column({ name: 'token_hash', type: 'bytea', select: false })
  tokenHash!: Buffer;

  @Column({ type: 'text', default: 'active' })
  status!: OfflineTokenStatus;

  /** When the provider said the token expires, if it did (Keycloak often does not). */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'rotated_at', type: 'timestamptz', nullable: true })
  rotatedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  /**
   * The trip to the provider that holds the record (single flight across instances): taken by
   * one statement when none holds it or its lease ran out (a leader that died), released when
   * its answer is recorded. The id stays afterwards: it names the trip whose answer
   * `accessTokenSealed` holds for the requests that waited on it.
   */
  @Column({ name: 'lease_id', type: 'uuid', nullable: true })
  leaseId!: string | null;

  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil!: Date | null;

  /** Whether a request of another instance waits on the trip: only then is its answer kept. */
  @Column({ name: 'lease_waited', type: 'boolean', default: false })
  leaseWaited!: boolean;

  /**
   * The last trip's access token (sealed, bound to the record, user and provider), for the
   * requests that waited on that trip in other instances, until `accessTokenUntil` (seconds);
   * none when no one waited. Cleared by the next trip, or the record's deletion.
   */
  @Column({ name: 'access_token_sealed', type: 'text', nullable: true, select: false })
  accessTokenSealed!: string | null;

  @Column({ name: 'access_token_until', type: 'timestamptz', nullable: true })
  accessTokenUntil!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
