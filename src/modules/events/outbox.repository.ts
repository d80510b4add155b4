import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { PurgesExpired } from '../retention/retention-purge.decorator';
import { ActorType } from '../../common/auth/actor';
import { DomainEvent, PublishedEvent } from './domain-event';
import { EventType } from './event-catalogue';
import { COLUMNS, valuesOf } from './outbox-statements';

/** Arbitrary but fixed: the relay of every instance publishes under this lock, one at a time. */
export const RELAY_LOCK_KEY = 7_243_118_602;

interface OutboxRow {
  id: string;
  position: string | null;
  type: string;
  schema_version: number;
  occurred_at: Date;
  actor_type: ActorType | null;
  actor_id: string | null;
  user_id: string | null;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  data: Record<string, unknown>;
}

function toEvent(row: OutboxRow): DomainEvent {
  return {
    id: row.id,
    type: row.type as EventType,
    schemaVersion: row.schema_version,
    occurredAt: row.occurred_at,
    actor: row.actor_type ? { type: row.actor_type, id: row.actor_id } : null,
    context: { requestId: row.request_id, ip: row.ip, userAgent: row.user_agent },
    userId: row.user_id,
    data: row.data as DomainEvent['data'],
  };
}

function toPublished(row: OutboxRow): PublishedEvent {
  return { ...toEvent(row), position: Number(row.position) };
}

/** The outbox: written with every change, read by the relay, the streams and replays. */
@Injectable()
export class OutboxRepository {
  constructor(private readonly transactions: Transactions) {}

  /** Any number of events in one statement, in the open transaction if there is one. */
  async insert(events: DomainEvent[]): Promise<void> {
    const column = (index: number) => events.map((event) => valuesOf(event)[index]);
    await this.transactions.prepared(
      'outbox.insert',
      `INSERT INTO outbox (${COLUMNS})
       SELECT id, type, schema_version, occurred_at, actor_type, actor_id, user_id, request_id,
              ip, user_agent, data::jsonb
         FROM unnest($1::uuid[], $2::text[], $3::int[], $4::timestamptz[], $5::text[],
                     $6::text[], $7::uuid[], $8::text[], $9::text[], $10::text[], $11::text[])
           AS e(id, type, schema_version, occurred_at, actor_type, actor_id, user_id,
                request_id, ip, user_agent, data)`,
      Array.from({ length: 11 }, (_, i) => column(i)),
    );
  }

  /**
   * Erasure: every event about the person or of their doing, with `redact` applied to its data
   * and its network (ip, user agent) blanked, in the open transaction. The outbox has no index
   * on either column (it would cost every write); its retention bounds the scan.
   */
  async forgetPerson(
    userId: string,
    redact: (type: string, data: Record<string, unknown>) => Record<string, unknown>,
  ): Promise<number> {
    const manager = this.transactions.manager();
    const rows = await manager.query<{ id: string; type: string; data: Record<string, unknown> }[]>(
      `SELECT id, type, data FROM outbox WHERE user_id = $1 OR actor_id = $1::text FOR UPDATE`,
      [userId],
    );
    if (rows.length === 0) return 0;
    await manager.query(
      `UPDATE outbox o SET data = x.data::jsonb, ip = NULL, user_agent = NULL
         FROM unnest($1::uuid[], $2::text[]) AS x(id, data) WHERE o.id = x.id`,
      [rows.map((row) => row.id), rows.map((row) => JSON.stringify(redact(row.type, row.data)))],
    );
    return rows.length;
  }

  /**
   * Publishes up to `limit` events in the order they were emitted: gives each the next
   * position and returns them in that order. Call inside a transaction; the relay lock is held
   * until it ends, so positions follow the order in which publications commit, and a reader
   * that has seen position n has seen every position below it. When there were events, the
   * last position is notified on `channel` as the transaction commits (by the same statement:
   * one round trip fewer per publication).
   */
  async publishNext(limit: number, channel: string): Promise<PublishedEvent[]> {
    const manager = this.transactions.manager();
    await manager.query('SELECT pg_advisory_xact_lock($1)', [RELAY_LOCK_KEY]);
    const rows = await manager.query<OutboxRow[]>(
      `WITH batch AS (
         SELECT id FROM outbox WHERE position IS NULL ORDER BY id LIMIT $1 FOR UPDATE
       ), top AS (
         SELECT coalesce(max(position), 0) AS position FROM outbox
       ), numbered AS (
         SELECT batch.id, top.position + row_number() OVER (ORDER BY batch.id) AS position
           FROM batch, top
       ), published AS (
         UPDATE outbox o SET position = numbered.position, published_at = now()
           FROM numbered WHERE o.id = numbered.id
         RETURNING o.*
       ), notified AS (
         SELECT pg_notify($2, max(position)::text) FROM published HAVING count(*) > 0
       )
       SELECT published.* FROM published, notified ORDER BY position`,
      [limit, channel],
    );
    return rows.map(toPublished);
  }

  /**
   * For the rest of the open transaction, a statement that waits longer than `ms` for a lock
   * fails (lock_not_available) instead.
   */
  async limitLockWaits(ms: number): Promise<void> {
    await this.transactions
      .manager()
      .query(`SELECT set_config('lock_timeout', $1, true)`, [`${ms}ms`]);
  }

  /** Published events after `position`, in order. */
  async after(position: number, limit: number): Promise<PublishedEvent[]> {
    const rows = await this.transactions.prepared<OutboxRow>(
      'outbox.after',
      'SELECT * FROM outbox WHERE position > $1 ORDER BY position LIMIT $2',
      [position, limit],
    );
    return rows.map(toPublished);
  }

  /** The position of the last published event; 0 before the first. */
  async lastPosition(): Promise<number> {
    const [row] = await this.transactions
      .manager()
      .query<{ position: string | null }[]>('SELECT max(position) AS position FROM outbox');
    return Number(row.position ?? 0);
  }

  /** The oldest published position still kept, or null when none is. */
  async firstPosition(): Promise<number | null> {
    const [row] = await this.transactions
      .manager()
      .query<{ position: string | null }[]>('SELECT min(position) AS position FROM outbox');
    return row.position === null ? null : Number(row.position);
  }

  /** Published events that occurred in [from, to), after `position`, in order. */
  async publishedBetween(
    from: Date,
    to: Date,
    afterPosition: number,
    limit: number,
  ): Promise<PublishedEvent[]> {
    const rows = await this.transactions.manager().query<OutboxRow[]>(
      `SELECT * FROM outbox
          WHERE position > $3 AND occurred_at >= $1 AND occurred_at < $2
          ORDER BY position LIMIT $4`,
      [from, to, afterPosition, limit],
    );
    return rows.map(toPublished);
  }

  async findPublished(id: string): Promise<PublishedEvent | null> {
    const [row] = await this.transactions
      .manager()
      .query<OutboxRow[]>('SELECT * FROM outbox WHERE id = $1 AND position IS NOT NULL', [id]);
    return row ? toPublished(row) : null;
  }

  /** The published events among these ids (those past the retention window are gone). */
  async findPublishedMany(ids: string[]): Promise<PublishedEvent[]> {
    if (ids.length === 0) return [];
    const rows = await this.transactions
      .manager()
      .query<OutboxRow[]>('SELECT * FROM outbox WHERE id = ANY($1) AND position IS NOT NULL', [
        ids,
      ]);
    return rows.map(toPublished);
  }

  /** The id of the oldest event not yet published (a UUIDv7: it tells when it was emitted). */
  async oldestUnpublishedId(): Promise<string | null> {
    const [row] = await this.transactions
      .manager()
      .query<{ id: string }[]>('SELECT id FROM outbox WHERE position IS NULL ORDER BY id LIMIT 1');
    return row?.id ?? null;
  }

  /**
   * Deletes up to `limit` published events that occurred before `before`; returns how many. Past
   * EVENTS_RETENTION_DAYS a stream can no longer resume from them (it is told it missed events)
   * and they cannot be replayed; unpublished events are never deleted. The last published event
   * always stays: positions continue from it (`publishNext`), and numbering them again from 1
   * would repeat ids streams and the Redis stream already gave out.
   */
  @PurgesExpired({
    kind: 'published_events',
    retentionDays: (config) => config.events.retentionDays,
  })
  async purgePublished(before: Date, limit: number): Promise<number> {
    const rows = await this.transactions.manager().query<{ id: string }[]>(
      `WITH gone AS (
         DELETE FROM outbox WHERE id IN (
           SELECT id FROM outbox
            WHERE position IS NOT NULL AND occurred_at < $1
              AND position < (SELECT max(position) FROM outbox)
            ORDER BY occurred_at LIMIT $2 FOR UPDATE SKIP LOCKED
         ) RETURNING id
       )
       SELECT id FROM gone`,
      [before, limit],
    );
    return rows.length;
  }
}
