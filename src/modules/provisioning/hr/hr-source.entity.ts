import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export const HR_AUTH_MODES = ['signature', 'api_key'] as const;
export type HrAuthMode = (typeof HR_AUTH_MODES)[number];

/**
 * An HR system allowed to post new hires. Each delivery is authenticated either by a Standard
 * Webhooks signature under the source's signing secret (envelope-encrypted under the master key,
 * bound to the source's id: the HMAC needs the secret itself) or by its API key (stored only as
 * its SHA-256). `role_mappings` grants Gatehouse roles to the hires in the named Okta groups.
 */
@Entity('hr_sources')
@Check('CHK_hr_sources_auth_mode', `"auth_mode" IN ('signature', 'api_key')`)
@Check(
  'CHK_hr_sources_credential',
  `("auth_mode" = 'signature' AND "secret_sealed" IS NOT NULL AND "api_key_hash" IS NULL) OR ("auth_mode" = 'api_key' AND "api_key_hash" IS NOT NULL AND "secret_sealed" IS NULL)`,
)
export class HrSource {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Index('IDX_hr_sources_name', { unique: true })
  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'auth_mode', type: 'text' })
  authMode!: HrAuthMode;

  @Column({ name: 'secret_sealed', type: 'text', nullable: true, select: false })
  secretSealed!: string | null;

  @Index('IDX_hr_sources_api_key_hash', { unique: true, where: '"api_key_hash" IS NOT NULL' })
  @Column({ name: 'api_key_hash', type: 'bytea', nullable: true, select: false })
  apiKeyHash!: Buffer | null;

  /** Deliveries accepted per minute; the rest are answered 429. */
  @Column({ name: 'rate_limit_per_minute', type: 'integer' })
  rateLimitPerMinute!: number;

  /** Okta group name → Gatehouse role name, granted when a hire is onboarded. */
  @Column({ name: 'role_mappings', type: 'jsonb', default: {} })
  roleMappings!: Record<string, string>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
