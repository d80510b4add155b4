import { z } from 'zod';
import { ACCESS_EVENTS } from './catalogue/access-events';
import { ACCOUNT_EVENTS } from './catalogue/account-events';
import { CLIENT_EVENTS } from './catalogue/client-events';
import { DELIVERY_EVENTS } from './catalogue/delivery-events';
import { EventDefinition } from './catalogue/event-definition';
import { TRADING_ACCOUNT_EVENTS } from './catalogue/trading-account-events';
import { IDENTITY_EVENTS } from './catalogue/identity-events';
import { PROVISIONING_EVENTS } from './catalogue/provisioning-events';
import { TOKEN_VAULT_EVENTS } from './catalogue/token-vault-events';

/**
 * Every domain event Gatehouse emits, by type: the one event map. A type is
 * `<aggregate>[.<part>].<past-tense verb>`; families to come (`trading_account.*`,
 * `identity.*`) get a catalogue file of their own here.
 */
export const EVENT_CATALOGUE = {
  ...ACCOUNT_EVENTS,
  ...ACCESS_EVENTS,
  ...CLIENT_EVENTS,
  ...DELIVERY_EVENTS,
  ...TRADING_ACCOUNT_EVENTS,
  ...IDENTITY_EVENTS,
  ...PROVISIONING_EVENTS,
  ...TOKEN_VAULT_EVENTS,
} satisfies Record<string, EventDefinition>;

export type EventCatalogue = typeof EVENT_CATALOGUE;
export type EventType = Extract<keyof EventCatalogue, string>;
export type EventData<T extends EventType> = z.output<EventCatalogue[T]['data']>;

/** An exact type, a family (`user.*`, `user.session.*`) or every type (`*`). */
export type EventPattern = EventType | `${string}.*` | '*';

/** The types a pattern stands for, as a type: `user.session.*` → the session events. */
export type MatchingType<P extends EventPattern> = P extends '*'
  ? EventType
  : P extends `${infer Family}.*`
    ? Extract<EventType, `${Family}.${string}`>
    : Extract<P, EventType>;

export const EVENT_TYPES = Object.keys(EVENT_CATALOGUE) as EventType[];

export function isEventType(value: string): value is EventType {
  return Object.prototype.hasOwnProperty.call(EVENT_CATALOGUE, value);
}

/** Whether `type` is one of the types `pattern` stands for. */
export function patternMatches(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

/**
 * Whether a pattern stands for at least one type of the catalogue; one that stands for none
 * is a mistake (a typo, a family that does not exist), refused where patterns are accepted.
 */
export function isKnownPattern(pattern: string): pattern is EventPattern {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) {
    const family = pattern.slice(0, -2);
    return (
      /^[a-z_]+(\.[a-z_]+)*$/.test(family) && EVENT_TYPES.some((t) => patternMatches(pattern, t))
    );
  }
  return isEventType(pattern);
}

/** The payload schema of a type, validated at emit time (extra fields are refused). */
export function eventDataSchema(type: EventType): z.ZodType {
  return EVENT_CATALOGUE[type].data;
}
