import { DomainError } from '../../../common/errors/domain-error';
import { PublishedEvent } from '../domain-event';
import { EventStreamFilter, parseLastEventId, parseTypesQuery } from './event-stream-filter';

const ME = '0190a000-0000-7000-8000-000000000001';
const SOMEONE = '0190a000-0000-7000-8000-000000000002';

function event(type: string, userId: string | null): PublishedEvent {
  return {
    id: '0190a000-0000-7000-8000-0000000000ff',
    type,
    schemaVersion: 1,
    occurredAt: new Date(0),
    actor: null,
    context: { requestId: null, ip: null, userAgent: null },
    userId,
    data: {},
    position: 1,
  } as unknown as PublishedEvent;
}

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('parseTypesQuery', () => {
  it('reads comma-separated exact types and families, blanks ignored', () => {
    expect(parseTypesQuery(' user.session.*, client.disabled ,')).toEqual([
      'user.session.*',
      'client.disabled',
    ]);
    expect(parseTypesQuery('*')).toEqual(['*']);
  });

  it('means every type when absent or blank', () => {
    expect(parseTypesQuery(undefined)).toBeNull();
    expect(parseTypesQuery(' , ')).toBeNull();
  });

  it('refuses unknown types and families, naming every one', () => {
    const error = refusal(() => parseTypesQuery('user.created,user.nope,nothing.*,user.*'));
    expect(error.code).toBe('unknown_event_types');
    expect(error.details.extensions).toEqual({ unknown_types: ['user.nope', 'nothing.*'] });
    expect(error.detail).toContain('user.nope, nothing.*');
  });
});

describe('parseLastEventId', () => {
  it('reads a position, absent or blank as none', () => {
    expect(parseLastEventId('42')).toBe(42);
    expect(parseLastEventId(' 0 ')).toBe(0);
    expect(parseLastEventId(undefined)).toBeNull();
    expect(parseLastEventId('')).toBeNull();
  });

  it.each(['-1', '1.5', 'abc', '1e3', '1234567890123456'])('refuses %p', (raw) => {
    expect(refusal(() => parseLastEventId(raw)).code).toBe('unknown_event_position');
  });
});

describe('EventStreamFilter', () => {
  it('shows a user only their own user.* events, whatever types they ask for', () => {
    const own = new EventStreamFilter({ kind: 'own', userId: ME }, null);
    expect(own.matches(event('user.session.created', ME))).toBe(true);
    expect(own.matches(event('user.session.created', SOMEONE))).toBe(false);
    // About them, but not a user.* event (an attempt names an account; it is not theirs to see).
    expect(own.matches(event('auth.attempt.failed', ME))).toBe(false);
    expect(own.matches(event('role.created', null))).toBe(false);
    const asked = new EventStreamFilter({ kind: 'own', userId: ME }, ['*']);
    expect(asked.matches(event('role.created', null))).toBe(false);
  });

  it('shows a holder of events:read every event, narrowed by the types asked for', () => {
    const all = new EventStreamFilter({ kind: 'all' }, null);
    expect(all.matches(event('role.created', null))).toBe(true);
    expect(all.matches(event('user.session.created', SOMEONE))).toBe(true);
    const sessions = new EventStreamFilter({ kind: 'all' }, ['user.session.*', 'client.disabled']);
    expect(sessions.matches(event('user.session.revoked', SOMEONE))).toBe(true);
    expect(sessions.matches(event('client.disabled', null))).toBe(true);
    expect(sessions.matches(event('user.created', SOMEONE))).toBe(false);
  });
});
