import { z } from 'zod';
import { defineEvent, id } from './event-definition';

const record = { token_id: id, user_id: id, provider_id: id };

/**
 * The vault of users' offline tokens at identity providers: records stored, used, refused by
 * the provider and deleted. `user_id` is the token's owner; never a token.
 */
export const TOKEN_VAULT_EVENTS = {
  'token_vault.token_stored': defineEvent({
    version: 1,
    description:
      'A user consented at a provider and its offline token was stored (`created` false: the vault held this very token already, and the record was kept).',
    data: z.strictObject({
      ...record,
      created: z.boolean(),
      scopes: z.array(z.string().max(200)).max(100),
    }),
  }),
  'token_vault.access_token_issued': defineEvent({
    version: 1,
    description:
      'An access token was minted from the offline token, for its owner or a service (`client_id`) acting for them; `rotated`: the provider replaced the offline token, and the vault stored the new one.',
    data: z.strictObject({
      ...record,
      client_id: z.string().max(200).nullable(),
      rotated: z.boolean(),
    }),
  }),
  'token_vault.offline_token_renewed': defineEvent({
    version: 1,
    description: 'A new offline token was obtained from the stored one and replaced it.',
    data: z.strictObject({ ...record, client_id: z.string().max(200).nullable() }),
  }),
  'token_vault.token_rejected': defineEvent({
    version: 1,
    description:
      'The provider refused the offline token (`invalid_grant`): the record is marked revoked, and the user must consent again.',
    data: z.strictObject(record),
  }),
  'token_vault.token_deleted': defineEvent({
    version: 1,
    description:
      'A record was deleted: `provider_revoked` says whether the provider confirmed the revocation (RFC 7009), `provider_session` what became of its provider session.',
    data: z.strictObject({
      ...record,
      provider_revoked: z.boolean(),
      provider_session: z.enum([
        'ended',
        'already_gone',
        'shared',
        'not_supported',
        'failed',
        'none',
      ]),
    }),
  }),
};
