import {
  HR_SOURCE_SECRET_FIELD,
  HR_SOURCE_SECRETS_PURPOSE,
} from '../provisioning/hr/hr-source-secrets';
import { fieldContext } from '../../common/crypto/field-vault';
import { userKeyContext } from '../audit/audit-keyring';
import { exportKeyContext as auditExportKeyContext } from '../audit/audit-exports.service';
import { personalContext } from '../audit/audit-log';
import { ACCOUNT_REQUEST_QUEUES, SEALED_REQUEST_CONTEXT } from '../auth/account-requests';
import { signingKeyContext } from '../auth/signing-key.service';
import { webhookSecretContext } from '../events/webhooks/webhook-secrets';
import { pendingContext } from '../federation/federated-sign-in.service';
import { providerSecretContext } from '../federation/provider-secrets';
import { MAIL_QUEUE, SEALED_MAIL_CONTEXT } from '../mail/mail.service';
import { sealContext as totpSeedContext } from '../mfa/mfa.service';
import { exportKeyContext as personalDataExportKeyContext } from '../privacy/personal-data-exports.service';
import {
  ACCOUNT_CREDENTIALS_PURPOSE,
  LINK_CREDENTIALS_PURPOSE,
} from '../trading-accounts/trading-account-vault';
import { consentSecretsContext } from '../token-vault/token-vault.service';
import {
  accessTokenField,
  OFFLINE_TOKENS_PURPOSE,
  offlineTokenField,
} from '../token-vault/offline-token-vault';
import {
  SEALED_REVOCATION_CONTEXT,
  TOKEN_REVOCATION_QUEUE,
} from '../token-vault/token-vault-erasure';

/**
 * One place in the database that holds envelopes sealed under the master key (EnvelopeCipher),
 * and how to rebuild the associated data each envelope was sealed with.
 */
export interface SealedColumn {
  /** `table.column` as reports name it. */
  name: string;
  table: string;
  /** SQL reading the envelope (a column, or a field of a JSON column). */
  envelope: string;
  /** SQL of the assignment that stores `$value` (a text expression) in its place. */
  assign: (value: string) => string;
  /** The primary key's columns, in the order `context` takes them (as text; bytea as hex). */
  id: KeyColumn[];
  /** Other columns bound into the associated data, given to `context` after the key's. */
  bound?: string[];
  context: (values: string[]) => string;
  /** Rows that count at all (jobs still to run); SQL, no parameters. */
  where?: string;
  /**
   * Why these envelopes are never resealed. They still count at boot: the keys that sealed
   * them must stay in MASTER_KEYS for them to open.
   */
  kept?: string;
}

/** A primary-key column and its type, so batches walk the primary key's index. */
export interface KeyColumn {
  column: string;
  type: 'text' | 'uuid' | 'bytea';
}

const uuid = (column: string): KeyColumn[] => [{ column, type: 'uuid' }];
const text = (column: string): KeyColumn[] => [{ column, type: 'text' }];

function column(
  table: string,
  name: string,
  id: KeyColumn[],
  context: (id: string[]) => string,
  extra: Partial<SealedColumn> = {},
): SealedColumn {
  return {
    name: `${table}.${name}`,
    table,
    envelope: `"${name}"`,
    assign: (value) => `"${name}" = ${value}`,
    id,
    context,
    ...extra,
  };
}

function queuedJobs(name: string, queues: string[], context: string): SealedColumn {
  return {
    name,
    table: 'pgboss.job',
    envelope: `data->>'sealed'`,
    assign: (value) => `data = jsonb_set(data, '{sealed}', to_jsonb(${value}))`,
    id: uuid('id'),
    context: () => context,
    where: `name IN (${queues.map((q) => `'${q}'`).join(', ')}) AND state IN ('created', 'retry')`,
  };
}

const AUDIT_CHAIN =
  'the audit hash chain covers these ciphertexts; they stay sealed under the key that sealed them';

/**
 * Every envelope the database holds. A test compares this list with the entities' sealed
 * columns, so a new one cannot be forgotten by `keys:rewrap` or the boot check.
 */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  column('signing_keys', 'private_key_sealed', text('kid'), ([kid]) => signingKeyContext(kid)),
  column('mfa_totp_factors', 'secret_sealed', uuid('user_id'), ([id]) => totpSeedContext(id)),
  column('audit_user_keys', 'sealed_key', uuid('user_id'), ([id]) => userKeyContext(id)),
  column('audit_secrets', 'sealed_key', text('name'), ([name]) => `audit_secrets:${name}`),
  column('audit_exports', 'sealed_key', uuid('id'), ([id]) => auditExportKeyContext(id)),
  column('personal_data_exports', 'sealed_key', uuid('id'), ([id]) =>
    personalDataExportKeyContext(id),
  ),
  column('webhook_endpoints', 'secret_sealed', uuid('id'), ([id]) => webhookSecretContext(id)),
  column('webhook_endpoints', 'previous_secret_sealed', uuid('id'), ([id]) =>
    webhookSecretContext(id),
  ),
  column('hr_sources', 'secret_sealed', uuid('id'), ([id]) =>
    fieldContext(HR_SOURCE_SECRETS_PURPOSE, id, HR_SOURCE_SECRET_FIELD),
  ),
  column('identity_providers', 'client_secret_sealed', uuid('id'), ([id]) =>
    providerSecretContext(id, 'client_secret'),
  ),
  column('identity_providers', 'management_api_token_sealed', uuid('id'), ([id]) =>
    providerSecretContext(id, 'management_api_token'),
  ),
  column('identity_providers', 'webhook_secret_sealed', uuid('id'), ([id]) =>
    providerSecretContext(id, 'webhook_secret'),
  ),
  column(
    'federation_logins',
    'secrets_sealed',
    [{ column: 'state_hash', type: 'bytea' }],
    ([hash]) => pendingContext(Buffer.from(hash, 'hex')),
  ),
  {
    ...column(
      'trading_account_credentials',
      'envelope',
      [...uuid('account_id'), ...text('field')],
      ([id, field]) => fieldContext(ACCOUNT_CREDENTIALS_PURPOSE, id, field),
    ),
    // The key id kept beside each credential (FieldVault) moves with its envelope.
    assign: (value) => `envelope = ${value}, key_id = split_part(${value}, '.', 2)`,
  },
  column(
    'offline_tokens',
    'envelope',
    uuid('id'),
    ([id, userId, providerId]) =>
      fieldContext(OFFLINE_TOKENS_PURPOSE, id, offlineTokenField(userId, providerId)),
    {
      bound: ['user_id', 'provider_id'],
      // The key id kept beside each token (FieldVault) moves with its envelope.
      assign: (value) => `envelope = ${value}, key_id = split_part(${value}, '.', 2)`,
    },
  ),
  column(
    'offline_tokens',
    'access_token_sealed',
    uuid('id'),
    ([id, userId, providerId]) =>
      fieldContext(OFFLINE_TOKENS_PURPOSE, id, accessTokenField(userId, providerId)),
    { bound: ['user_id', 'provider_id'] },
  ),
  column('token_vault_consents', 'secrets_sealed', uuid('id'), ([id]) => consentSecretsContext(id)),
  column('trading_account_links', 'api_key_sealed', uuid('id'), ([id]) =>
    fieldContext(LINK_CREDENTIALS_PURPOSE, id, 'api_key'),
  ),
  column('trading_account_links', 'api_secret_sealed', uuid('id'), ([id]) =>
    fieldContext(LINK_CREDENTIALS_PURPOSE, id, 'api_secret'),
  ),
  column('audit_events', 'actor_personal', uuid('id'), ([id]) => personalContext(id, 'actor'), {
    kept: AUDIT_CHAIN,
  }),
  column('audit_events', 'subject_personal', uuid('id'), ([id]) => personalContext(id, 'subject'), {
    kept: AUDIT_CHAIN,
  }),
  queuedJobs('pgboss.job (mail.send)', [MAIL_QUEUE], SEALED_MAIL_CONTEXT),
  queuedJobs(
    'pgboss.job (token vault revocations)',
    [TOKEN_REVOCATION_QUEUE],
    SEALED_REVOCATION_CONTEXT,
  ),
  queuedJobs(
    'pgboss.job (account requests)',
    Object.values(ACCOUNT_REQUEST_QUEUES),
    SEALED_REQUEST_CONTEXT,
  ),
];
