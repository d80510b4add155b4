import { DomainError } from '../../../common/errors/domain-error';
import { EventsErrorCode } from '../../../common/errors/error-code';
import { PublishedEvent } from '../domain-event';
import { EventPattern, isKnownPattern, patternMatches } from '../event-catalogue';

/** Whose events a stream shows: every event, or the `user.*` events about one user. */
export type StreamScope = { kind: 'all' } | { kind: 'own'; userId: string };

/**
 * Which published events one stream sends: those its scope lets the caller see and, when the
 * client asked for some (`types=`), of those types.
 */
export class EventStreamFilter {
  constructor(
    readonly scope: StreamScope,
    /** Null: every type. */
    readonly patterns: readonly EventPattern[] | null,
  ) {}

  matches(event: PublishedEvent): boolean {
    if (this.scope.kind === 'own') {
      if (!event.type.startsWith('user.') || event.userId !== this.scope.userId) return false;
    }
    return this.patterns === null || this.patterns.some((p) => patternMatches(p, event.type));
  }
}

/**
 * The patterns of a `types=` query: comma-separated exact types and families (`user.session.*`).
 * Absent or blank: every type. Any that stands for no type of the catalogue is refused, all of
 * them named, so a typo does not become a stream that is silent forever.
 */
export function parseTypesQuery(raw: string | undefined): EventPattern[] | null {
  if (raw === undefined) return null;
  const patterns = raw
    .split(',')
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern !== '');
  if (patterns.length === 0) return null;
  const unknown = patterns.filter((pattern) => !isKnownPattern(pattern));
  if (unknown.length > 0) {
    throw new DomainError(
      EventsErrorCode.UnknownEventTypes,
      `Unknown event types: ${unknown.join(', ')}. GET /v1/events/schemas lists them.`,
      { extensions: { unknown_types: unknown } },
    );
  }
  return patterns as EventPattern[];
}

/** A `Last-Event-ID`: the position of the last event the client received. Null when absent. */
export function parseLastEventId(raw: string | undefined): number | null {
  if (raw === undefined || raw.trim() === '') return null;
  const value = raw.trim();
  if (!/^\d{1,15}$/.test(value)) {
    throw new DomainError(
      EventsErrorCode.UnknownEventPosition,
      'Last-Event-ID must be the id of an event this stream sent (a whole number).',
    );
  }
  return Number(value);
}
