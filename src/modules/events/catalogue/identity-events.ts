import { z } from 'zod';
import { defineEvent, id } from './event-definition';

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

/** External identity providers and the identities linked to them. */
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
  'identity_provider.sync_requested': defineEvent({
    version: 1,
    description:
      "An administrator asked for a sync from a provider's management API: of every linked user (`run_id`) or of one user (`user_id`).",
    data: z.strictObject({
      provider_id: id,
      run_id: id.nullable(),
      user_id: id.nullable(),
    }),
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
};
