import { z } from 'zod';
import { defineEvent, id, timestamp } from './event-definition';

const providerFields = {
  slug: z.string(),
  display_name: z.string(),
  kind: z.string(),
  issuer: z.string(),
  client_id: z.string(),
  scopes: z.array(z.string()),
  jit_provisioning: z.boolean(),
  allowed_email_domains: z.array(z.string()),
  link_by_email: z.boolean(),
  redirect_uris: z.array(z.string()),
  management_api_kind: z.string().nullable(),
  management_api_url: z.string().nullable(),
  enabled: z.boolean(),
};

/** Which provider secrets a change replaced (their values are never in an event). */
const secretsReplaced = z.array(
  z.enum(['client_secret', 'management_api_token', 'webhook_secret']),
);

/** Where a change to a linked user came from. */
const syncSource = z.enum(['sign_in', 'webhook', 'sync']);

/** External identity providers, the identities linked to them, and what they tell us. */
export const IDENTITY_EVENTS = {
  'identity_provider.created': defineEvent({
    version: 1,
    description: 'An administrator added an identity provider (never its secrets).',
    data: z.strictObject({ provider_id: id, ...providerFields }),
  }),
  'identity_provider.updated': defineEvent({
    version: 1,
    description:
      "An identity provider's settings changed: the values before and after, and which secrets were replaced.",
    data: z.strictObject({
      provider_id: id,
      changes: z.strictObject({
        before: z.strictObject(providerFields).partial(),
        after: z.strictObject(providerFields).partial(),
      }),
      secrets_replaced: secretsReplaced,
    }),
  }),
  'identity_provider.deleted': defineEvent({
    version: 1,
    description: 'An identity provider was removed with the identities linked to it.',
    data: z.strictObject({ provider_id: id, slug: z.string() }),
  }),
  'identity.linked': defineEvent({
    version: 1,
    description:
      'An account at a provider was linked to a user: a new user provisioned at sign-in (`provisioned`), or an existing one with the same verified address (`email_match`).',
    data: z.strictObject({
      user_id: id,
      identity_id: id,
      provider_id: id,
      how: z.enum(['provisioned', 'email_match']),
    }),
  }),
  'identity.unlinked': defineEvent({
    version: 1,
    description: 'A linked identity was removed; it no longer signs the user in.',
    data: z.strictObject({
      user_id: id,
      identity_id: id,
      provider_id: id,
      by: z.enum(['user', 'administrator']),
    }),
  }),
  'identity.synced': defineEvent({
    version: 1,
    description:
      "A linked user's state was brought up to the provider's: the profile fields and status that changed, and the provider's time of that state.",
    data: z.strictObject({
      user_id: id,
      identity_id: id,
      provider_id: id,
      source: syncSource,
      provider_time: timestamp,
      changed: z.array(z.string()),
      upstream_status: z.string(),
    }),
  }),
  'identity_provider.sync.started': defineEvent({
    version: 1,
    description: 'An administrator started a sync from a provider, of one user or of all.',
    data: z.strictObject({ provider_id: id, run_id: id, user_id: id.nullable() }),
  }),
  'identity_provider.sync.finished': defineEvent({
    version: 1,
    description: 'A sync from a provider finished: completed, or failed with its reason.',
    data: z.strictObject({
      provider_id: id,
      run_id: id,
      status: z.enum(['completed', 'failed']),
      seen: z.number().int(),
      updated: z.number().int(),
      error: z.string().nullable(),
    }),
  }),
};
