import { Check, Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Which product a provider is: decides its webhook contract and its management API. */
export const PROVIDER_KINDS = ['okta', 'asgardeo', 'keycloak', 'oidc'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** How Gatehouse reads users from the provider for a sync: Okta's API or SCIM 2.0 `/Users`. */
export const MANAGEMENT_API_KINDS = ['okta', 'scim'] as const;
export type ManagementApiKind = (typeof MANAGEMENT_API_KINDS)[number];

/** The ID token (or userinfo) claims each profile field is read from. */
export interface ClaimMapping {
  email: string;
  name: string;
  phone: string;
  locale: string;
}

export const DEFAULT_CLAIM_MAPPING: ClaimMapping = {
  email: 'email',
  name: 'name',
  phone: 'phone_number',
  locale: 'locale',
};

/**
 * An external OpenID provider users may sign in with. Its client secret, management API token
 * and webhook secret are envelope-encrypted (EnvelopeCipher, bound to this row's id and the
 * secret's purpose) and never leave the service.
 */
@Entity('identity_providers')
@Check('CHK_identity_providers_kind', `"kind" IN ('okta', 'asgardeo', 'keycloak', 'oidc')`)
@Check(
  'CHK_identity_providers_management_kind',
  `"management_api_kind" IS NULL OR "management_api_kind" IN ('okta', 'scim')`,
)
export class IdentityProvider {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuidv7()' })
  id!: string;

  /** The path segment of its sign-in and webhook URLs. */
  @Column({ type: 'text', unique: true })
  slug!: string;

  @Column({ name: 'display_name', type: 'text' })
  displayName!: string;

  @Column({ type: 'text' })
  kind!: ProviderKind;

  /** The issuer identifier; its discovery document is at `<issuer>/.well-known/openid-configuration`. */
  @Column({ type: 'text' })
  issuer!: string;

  @Column({ name: 'client_id', type: 'text' })
  clientId!: string;

  @Column({ name: 'client_secret_sealed', type: 'text', select: false })
  clientSecretSealed!: string;

  @Column({ type: 'text', array: true })
  scopes!: string[];

  @Column({ name: 'claim_mapping', type: 'jsonb' })
  claimMapping!: ClaimMapping;

  /** `acr` values of the provider that mean a second factor was used. */
  @Column({ name: 'mfa_acr_values', type: 'text', array: true, default: () => `'{}'` })
  mfaAcrValues!: string[];

  @Column({ name: 'jit_provisioning', type: 'boolean' })
  jitProvisioning!: boolean;

  /** Lower-case domains; empty: any. */
  @Column({ name: 'allowed_email_domains', type: 'text', array: true })
  allowedEmailDomains!: string[];

  /** Whether an existing account with the same, provider-verified email may be linked. */
  @Column({ name: 'link_by_email', type: 'boolean' })
  linkByEmail!: boolean;

  @Column({ name: 'redirect_uris', type: 'text', array: true })
  redirectUris!: string[];

  @Column({ name: 'management_api_kind', type: 'text', nullable: true })
  managementApiKind!: ManagementApiKind | null;

  @Column({ name: 'management_api_url', type: 'text', nullable: true })
  managementApiUrl!: string | null;

  @Column({ name: 'management_api_token_sealed', type: 'text', nullable: true, select: false })
  managementApiTokenSealed!: string | null;

  /** Okta: the `Authorization` header value of the event hook; Asgardeo: the HMAC secret. */
  @Column({ name: 'webhook_secret_sealed', type: 'text', nullable: true, select: false })
  webhookSecretSealed!: string | null;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
