import { Check, Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { ClientStatus, GrantType } from './client-model';

/**
 * A service that authenticates with its own credentials (OAuth 2.0 confidential client).
 * `client_id` is its public identifier and the `sub` of its access tokens: `ghc_` and random
 * characters, never a UUID, so it cannot collide with a user id. Its secrets live in
 * `oauth_client_secrets`.
 */
@Entity('oauth_clients')
@Check('CHK_oauth_clients_status', `"status" IN ('active', 'disabled')`)
@Check('CHK_oauth_clients_client_id', `"client_id" ~ '^ghc_[A-Za-z0-9_-]{22}$'`)
@Check(
  'CHK_oauth_clients_grant_types',
  `cardinality("grant_types") > 0 AND "grant_types" <@ ARRAY['client_credentials']::text[]`,
)
@Check('CHK_oauth_clients_allowed_scopes', `cardinality("allowed_scopes") > 0`)
export class OAuthClient {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuidv7()' })
  id!: string;

  @Column({ name: 'client_id', type: 'text', unique: true })
  clientId!: string;

  @Column({ type: 'text' })
  name!: string;

  /** The scopes (Gatehouse permissions) the client may request; its tokens carry a subset. */
  @Column({ name: 'allowed_scopes', type: 'text', array: true })
  allowedScopes!: string[];

  @Column({ name: 'grant_types', type: 'text', array: true })
  grantTypes!: GrantType[];

  @Column({ type: 'text', default: 'active' })
  status!: ClientStatus;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  /** Last successful authentication at an OAuth endpoint, to the minute (see the service). */
  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  /**
   * The client's access tokens issued up to this instant are dead (null: none was ever ended this
   * way). Moved forward, never back, when the client is disabled, when a secret is removed, and on
   * an admin's revoke-tokens. Compared to the millisecond with when a token was issued: `iat` has
   * one-second resolution, so that is read from its UUIDv7 `jti` (AccessTokenService.issuedAtMs).
   */
  @Column({ name: 'tokens_valid_after', type: 'timestamptz', nullable: true })
  tokensValidAfter!: Date | null;
}
