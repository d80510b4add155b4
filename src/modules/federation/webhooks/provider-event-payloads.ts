import { DomainError } from '../../../common/errors/domain-error';
import { CommonErrorCode } from '../../../common/errors/error-code';

/** An event of a provider's webhook about one of its users, as stored for its job. */
export interface ReceivedEvent {
  eventId: string;
  eventType: string;
  subject: string;
  occurredAt: Date;
}

/**
 * Okta's hook-eligible user lifecycle and profile events (EXTERNAL-CONTRACTS §2a), and
 * `user.lifecycle.unsuspend`, the counterpart of a suspension.
 */
export const OKTA_USER_EVENTS = new Set([
  'user.lifecycle.unsuspend',
  'user.lifecycle.create',
  'user.account.update_profile',
  'user.lifecycle.deactivate',
  'user.lifecycle.activate',
  'user.lifecycle.suspend',
  'user.lifecycle.reactivate',
  'user.lifecycle.delete.initiated',
]);

const ASGARDEO_USER_EVENT_PREFIX = 'https://schemas.identity.wso2.org/events/user/event-type/';

/** Asgardeo's and WSO2 IS's user events (EXTERNAL-CONTRACTS §3), by the last part of the URI. */
export const ASGARDEO_USER_EVENTS = new Set([
  'userCreated',
  'userProfileUpdated',
  'userDeleted',
  'userEnabled',
  'userDisabled',
  'userAccountLocked',
  'userAccountUnlocked',
]);

/** Longest id or type kept from a provider's event. */
const MAX_TEXT = 255;

function malformed(detail: string): DomainError {
  return new DomainError(CommonErrorCode.MalformedBody, detail);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TEXT;
}

/**
 * The user events of an Okta event hook delivery (`data.events[]`, System Log events): each by
 * its `uuid`, about its first `User` target, at its `published` time. Events of other types are
 * left out (ignored, as Okta's docs ask); a body not of Okta's shape is refused whole.
 */
export function oktaEvents(body: unknown): ReceivedEvent[] {
  if (!isObject(body) || !isObject(body.data) || !Array.isArray(body.data.events)) {
    throw malformed('The body is not an Okta event hook delivery: `data.events` is missing.');
  }
  const events: ReceivedEvent[] = [];
  body.data.events.forEach((event: unknown, i) => {
    if (!isObject(event) || !text(event.uuid) || !text(event.eventType)) {
      throw malformed(`\`data.events[${i}]\` has no \`uuid\` or \`eventType\`.`);
    }
    const published = typeof event.published === 'string' ? new Date(event.published) : null;
    if (!published || Number.isNaN(published.getTime())) {
      throw malformed(`\`data.events[${i}].published\` is not a time.`);
    }
    if (!OKTA_USER_EVENTS.has(event.eventType)) return;
    const targets = Array.isArray(event.target) ? event.target : [];
    const user = targets.find(
      (target: unknown) => isObject(target) && target.type === 'User' && text(target.id),
    ) as { id: string } | undefined;
    if (!user) throw malformed(`\`data.events[${i}]\` has no \`User\` target.`);
    events.push({
      eventId: event.uuid,
      eventType: event.eventType,
      subject: user.id,
      occurredAt: published,
    });
  });
  return events;
}

/**
 * The user events of an Asgardeo (or WSO2 IS) security event token, sent as plain JSON: one per
 * known event URI under `events`, identified by the token's `jti` and the event's type, about
 * `user.id`, at `iat` (milliseconds). Unknown URIs are ignored, as the docs ask.
 */
export function asgardeoEvents(body: unknown): ReceivedEvent[] {
  if (!isObject(body) || !text(body.jti) || !isObject(body.events)) {
    throw malformed('The body is not a security event token: `jti` or `events` is missing.');
  }
  if (typeof body.iat !== 'number' || !Number.isFinite(body.iat) || body.iat <= 0) {
    throw malformed('`iat` is not a time in milliseconds.');
  }
  const occurredAt = new Date(body.iat);
  const events: ReceivedEvent[] = [];
  for (const [uri, event] of Object.entries(body.events)) {
    if (!uri.startsWith(ASGARDEO_USER_EVENT_PREFIX)) continue;
    const type = uri.slice(ASGARDEO_USER_EVENT_PREFIX.length);
    if (!ASGARDEO_USER_EVENTS.has(type)) continue;
    if (!isObject(event) || !isObject(event.user) || !text(event.user.id)) {
      throw malformed(`The \`${type}\` event has no \`user.id\`.`);
    }
    events.push({
      eventId: `${body.jti}:${type}`,
      eventType: type,
      subject: event.user.id,
      occurredAt,
    });
  }
  return events;
}
