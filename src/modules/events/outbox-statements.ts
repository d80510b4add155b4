import { DomainEvent } from './domain-event';

/**
 * The outbox's columns and the SQL that writes an event into it: for the repository, and for
 * the hot paths of other modules that write their rows and their event in one statement.
 */
export const COLUMNS =
  'id, type, schema_version, occurred_at, actor_type, actor_id, user_id, request_id, ip, user_agent, data';

/** The parameters of one event, in the order of COLUMNS. */
export function valuesOf(event: DomainEvent): unknown[] {
  return [
    event.id,
    event.type,
    event.schemaVersion,
    event.occurredAt,
    event.actor?.type ?? null,
    event.actor?.id ?? null,
    event.userId,
    event.context.requestId,
    event.context.ip,
    event.context.userAgent,
    JSON.stringify(event.data),
  ];
}

/**
 * The insertion of one event as part of a caller's own statement, for the hot paths that write
 * their rows and their event in one round trip (a login): `sql` is the INSERT with parameters
 * numbered from `first`, `values` its parameters.
 */
export function outboxInsert(
  event: DomainEvent,
  first: number,
): { sql: string; values: unknown[] } {
  const values = valuesOf(event);
  const placeholders = values.map((_, i) => `$${first + i}`);
  placeholders[placeholders.length - 1] += '::jsonb';
  return { sql: `INSERT INTO outbox (${COLUMNS}) VALUES (${placeholders.join(', ')})`, values };
}

/**
 * The insertion of an event whose user and payload come from the rows of the caller's
 * statement (`from`, a CTE name; `userId` and `data` SQL expressions over it): the envelope's
 * parameters are numbered from `first`. Inserts nothing when `from` has no row.
 */
export function outboxInsertFrom(
  shell: Omit<DomainEvent, 'userId' | 'data'>,
  first: number,
  source: { from: string; userId: string; data: string },
): { sql: string; values: unknown[] } {
  const values = [
    shell.id,
    shell.type,
    shell.schemaVersion,
    shell.occurredAt,
    shell.actor?.type ?? null,
    shell.actor?.id ?? null,
    shell.context.requestId,
    shell.context.ip,
    shell.context.userAgent,
  ];
  // A SELECT list gives parameters no type of their own: each is cast to its column's.
  const types = ['uuid', 'text', 'int', 'timestamptz', 'text', 'text', 'text', 'text', 'text'];
  const p = types.map((type, i) => `$${first + i}::${type}`);
  return {
    sql: `INSERT INTO outbox (${COLUMNS})
          SELECT ${p.slice(0, 6).join(', ')}, ${source.userId}, ${p.slice(6).join(', ')}, ${source.data}
            FROM ${source.from}`,
    values,
  };
}
