import { ActorType } from '../../common/auth/actor';
import { EventData, EventType } from './event-catalogue';

/** Who caused an event: a user, a service client, or the system (a tool or a job). */
export interface EventActor {
  type: ActorType;
  /** The user id, the client id, or for the system the name of the tool acting (`cli`). */
  id: string | null;
}

/** Where the change came from, as far as it came from a request. */
export interface EventContext {
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

/**
 * Something that happened, once it is committed: the unit every consumer, webhook and stream
 * receives. `id` is unique and stable (the dedupe key, `webhook-id` of every delivery);
 * `userId` is the user the event is about, when there is one (a user's own stream shows it).
 */
export interface DomainEvent<T extends EventType = EventType> {
  id: string;
  type: T;
  /** The version of the payload schema of `type` the data follows. */
  schemaVersion: number;
  occurredAt: Date;
  actor: EventActor | null;
  context: EventContext;
  userId: string | null;
  data: EventData<T>;
}

/**
 * An event as the relay published it: `position` orders all published events (the order in
 * which they were relayed, which follows commit order) and is the id SSE clients resume from.
 */
export interface PublishedEvent<T extends EventType = EventType> extends DomainEvent<T> {
  position: number;
}

/** How an event leaves Gatehouse: the JSON body of a webhook delivery, an SSE message, a stream entry. */
export interface EventMessage {
  id: string;
  type: string;
  /** When it happened, ISO 8601 (Standard Webhooks' `timestamp`). */
  timestamp: string;
  schema_version: number;
  actor: EventActor | null;
  context: { request_id: string | null; ip: string | null; user_agent: string | null };
  data: unknown;
}

export function eventMessage(event: DomainEvent): EventMessage {
  return {
    id: event.id,
    type: event.type,
    timestamp: event.occurredAt.toISOString(),
    schema_version: event.schemaVersion,
    actor: event.actor,
    context: {
      request_id: event.context.requestId,
      ip: event.context.ip,
      user_agent: event.context.userAgent,
    },
    data: event.data,
  };
}
