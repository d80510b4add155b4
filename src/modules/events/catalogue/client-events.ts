import { z } from 'zod';
import { defineEvent, timestamp } from './event-definition';

const clientId = z.string().max(100);
const secretId = z.uuid();

/** Service clients (OAuth client-credentials) and their secrets; never a secret itself. */
export const CLIENT_EVENTS = {
  'client.created': defineEvent({
    version: 1,
    description: 'A service client was created with its first secret.',
    data: z.strictObject({
      client_id: clientId,
      name: z.string(),
      allowed_scopes: z.array(z.string()),
      secret_id: secretId,
      secret_expires_at: timestamp.nullable(),
    }),
  }),
  'client.secret.created': defineEvent({
    version: 1,
    description: 'A secret was added to a service client.',
    data: z.strictObject({
      client_id: clientId,
      secret_id: secretId,
      expires_at: timestamp.nullable(),
    }),
  }),
  'client.secret.removed': defineEvent({
    version: 1,
    description: "A service client's secret was removed; it no longer authenticates.",
    data: z.strictObject({ client_id: clientId, secret_id: secretId }),
  }),
  'client.tokens_revoked': defineEvent({
    version: 1,
    description: 'Every access token the client was issued before `tokens_valid_after` is refused.',
    data: z.strictObject({ client_id: clientId, tokens_valid_after: timestamp }),
  }),
  'client.access_token.revoked': defineEvent({
    version: 1,
    description: 'The client revoked one of its access tokens (RFC 7009), identified by its `jti`.',
    data: z.strictObject({ client_id: clientId, jti: z.string().max(200), expires_at: timestamp }),
  }),
  'client.disabled': defineEvent({
    version: 1,
    description: 'The client can no longer get tokens, and its tokens are refused.',
    data: z.strictObject({ client_id: clientId }),
  }),
  'client.enabled': defineEvent({
    version: 1,
    description: 'A disabled client was enabled again.',
    data: z.strictObject({ client_id: clientId }),
  }),
};
