import { z } from 'zod';
import { ACTOR_TYPES } from '../../../common/auth/actor';
import { EVENT_CATALOGUE, EVENT_TYPES } from '../event-catalogue';

/** JSON Schema as zod writes it (draft 2020-12). */
export type JsonSchema = Record<string, unknown>;

export interface EventTypeSchema {
  type: string;
  version: number;
  description: string;
  /** The schema of the envelope's `data` for this type. */
  data_schema: JsonSchema;
}

export interface EventSchemasDocument {
  /** The envelope every channel sends (SSE `data`, webhook body, Redis `data` field). */
  envelope: JsonSchema;
  events: EventTypeSchema[];
}

/** What `eventMessage` writes, as a schema: the one envelope of every channel. */
const nullableText = z.string().nullable();
export const EVENT_ENVELOPE = z.strictObject({
  id: z.uuid().describe('The event id: unique and stable, the key to deduplicate on.'),
  type: z.string().describe('The event type, one of `events[].type`.'),
  timestamp: z.iso.datetime({ offset: true }).describe('When it happened (ISO 8601, UTC).'),
  schema_version: z.int().positive().describe('The version of the schema `data` follows.'),
  actor: z
    .strictObject({ type: z.enum(ACTOR_TYPES), id: nullableText })
    .nullable()
    .describe('Who caused it: a user, a service client or the system; null when unknown.'),
  context: z.strictObject({
    request_id: nullableText,
    ip: nullableText,
    user_agent: nullableText,
  }),
  data: z
    .record(z.string(), z.unknown())
    .describe("The payload: it follows the `data_schema` of the event's type."),
});

/**
 * The catalogue as a document: each type with its version, meaning and payload schema, and the
 * envelope. Built from the same zod schemas that validate every payload when it is emitted.
 */
export function eventSchemasDocument(): EventSchemasDocument {
  return {
    envelope: z.toJSONSchema(EVENT_ENVELOPE),
    events: [...EVENT_TYPES].sort().map((type) => {
      const definition = EVENT_CATALOGUE[type];
      return {
        type,
        version: definition.version,
        description: definition.description,
        data_schema: z.toJSONSchema(definition.data),
      };
    }),
  };
}
