import { z } from 'zod';
import { changesOf, defineEvent, id } from './event-definition';

const ENDPOINT_FIELDS = {
  url: z.string(),
  description: z.string(),
  event_types: z.array(z.string()),
  enabled: z.boolean(),
};

/** Outbound webhook endpoints: their administration and what delivery did to them. */
export const DELIVERY_EVENTS = {
  'webhook.endpoint.created': defineEvent({
    version: 1,
    description: 'A webhook endpoint was registered.',
    data: z.strictObject({ endpoint_id: id, ...ENDPOINT_FIELDS }),
  }),
  'webhook.endpoint.updated': defineEvent({
    version: 1,
    description: 'A webhook endpoint changed; the fields that changed.',
    data: z.strictObject({ endpoint_id: id, changes: changesOf(ENDPOINT_FIELDS) }),
  }),
  'webhook.endpoint.deleted': defineEvent({
    version: 1,
    description: 'A webhook endpoint was deleted; nothing more is delivered to it.',
    data: z.strictObject({ endpoint_id: id, url: z.string() }),
  }),
  'webhook.endpoint.secret_rotated': defineEvent({
    version: 1,
    description:
      'The signing secret was replaced; deliveries are signed with both until `previous_valid_until`.',
    data: z.strictObject({
      endpoint_id: id,
      previous_valid_until: z.iso.datetime({ offset: true }),
    }),
  }),
  'webhook.endpoint.disabled': defineEvent({
    version: 1,
    description:
      'Delivery disabled an endpoint: it answered 410 Gone (`gone`) or kept failing for the configured time (`failing`).',
    data: z.strictObject({ endpoint_id: id, reason: z.enum(['gone', 'failing']) }),
  }),
};
