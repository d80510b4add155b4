import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A federated sign-in between its start and its callback: found by the SHA-256 of its `state`,
 * holding the nonce and the PKCE verifier (sealed) server-side; used once, within 10 minutes.
 */
@Entity('federation_logins')
@Index('IDX_federation_logins_expires', ['expiresAt'])
export class FederationLogin {
  @PrimaryColumn({ name: 'state_hash', type: 'bytea' })
  stateHash!: Buffer;

  @Column({ name: 'provider_id', type: 'uuid' })
  providerId!: string;

  /** The nonce and the PKCE code verifier, envelope-encrypted together. */
  @Column({ name: 'secrets_sealed', type: 'text' })
  secretsSealed!: string;

  @Column({ name: 'redirect_uri', type: 'text' })
  redirectUri!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true })
  consumedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
