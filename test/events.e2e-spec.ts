import { Injectable, Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { Transactions } from '../src/database/transactions';
import { PublishedEvent } from '../src/modules/events/domain-event';
import { DomainEvents } from '../src/modules/events/domain-events.service';
import { UsersService } from '../src/modules/users/users.service';
import { OnBroadcast, OnPublished } from '../src/modules/events/on-event.decorator';
import { CONSUME_AGAIN_QUEUE, OutboxRelay } from '../src/modules/events/outbox-relay';
import { RELAY_LOCK_KEY } from '../src/modules/events/outbox.repository';
import { login, settled, signedInAccount } from './support/accounts';
import { itOnServer } from './support/server-only';
import { startTestApp, TestApp } from './support/test-app';

type PreferencesEvent = PublishedEvent<'user.preferences.updated'>;

/**
 * Consumers of one event type that nothing else in Gatehouse consumes or derives rows from.
 * Relay consumers write in the relay's transaction, as real ones do: `probe_consumed` holds
 * what each consumed, once committed (its key refuses a second row for one event).
 */
@Injectable()
class ProbeConsumers {
  readonly broadcast: string[] = [];
  /** Event ids on which `flaky` throws, and how many more times it will. */
  readonly failures = new Map<string, number>();

  constructor(private readonly transactions: Transactions) {}

  @OnPublished('user.preferences.updated')
  record(events: PreferencesEvent[]): Promise<void> {
    return this.consumed('record', events);
  }

  @OnPublished('user.preferences.updated')
  async flaky(events: PreferencesEvent[]): Promise<void> {
    for (const event of events) {
      const left = this.failures.get(event.id) ?? 0;
      if (left > 0) {
        this.failures.set(event.id, left - 1);
        throw new Error(`flaky consumer refuses ${event.id}`);
      }
    }
    await this.consumed('flaky', events);
  }

  @OnBroadcast('user.preferences.updated')
  seen(event: { id: string }): void {
    this.broadcast.push(event.id);
  }

  private async consumed(consumer: string, events: PreferencesEvent[]): Promise<void> {
    await this.transactions
      .manager()
      .query(
        'INSERT INTO probe_consumed (consumer, event_id, user_id, position) SELECT $1, * FROM unnest($2::uuid[], $3::uuid[], $4::bigint[])',
        [
          consumer,
          events.map((e) => e.id),
          events.map((e) => e.data.user_id),
          events.map((e) => e.position),
        ],
      );
  }
}

@Module({ providers: [ProbeConsumers] })
class ProbeConsumersModule {}

describe('domain events', () => {
  let t: TestApp;
  let events: DomainEvents;
  let transactions: Transactions;
  let probe: ProbeConsumers;
  let database: DataSource;

  beforeAll(async () => {
    t = await startTestApp({ extraModules: [ProbeConsumersModule] });
    await t.app
      .get(DataSource)
      .query(
        'CREATE TABLE probe_consumed (consumer text, event_id uuid, user_id uuid, position bigint, PRIMARY KEY (consumer, event_id))',
      );
    events = t.app.get(DomainEvents);
    transactions = t.app.get(Transactions);
    probe = t.app.get(ProbeConsumers);
    database = t.app.get(DataSource);
  });

  afterAll(() => t.close());

  const emitFor = (userId: string) =>
    events.emit('user.preferences.updated', { user_id: userId, changed_fields: ['theme'] });

  /** What a consumer consumed of a user's events, committed, in order of position. */
  const consumedBy = async (consumer: string, userId: string) =>
    (
      await database.query<{ event_id: string; position: string }[]>(
        'SELECT event_id, position FROM probe_consumed WHERE consumer = $1 AND user_id = $2 ORDER BY position',
        [consumer, userId],
      )
    ).map((row) => ({ id: row.event_id, position: Number(row.position) }));

  const outboxRowsOf = (userId: string) =>
    database.query<{ id: string; position: string | null }[]>(
      "SELECT id, position FROM outbox WHERE data->>'user_id' = $1 ORDER BY position",
      [userId],
    );

  it('writes nothing, and tells no consumer, when the transaction that emitted rolls back', async () => {
    const userId = randomUUID();
    const emitted: string[] = [];
    await expect(
      transactions.run(async () => {
        emitted.push((await emitFor(userId)).id, (await emitFor(userId)).id);
        throw new Error('the change failed after its events were added');
      }),
    ).rejects.toThrow('the change failed');
    await settled(t);
    expect(await outboxRowsOf(userId)).toEqual([]);
    expect(await consumedBy('record', userId)).toEqual([]);
    for (const id of emitted) expect(probe.broadcast).not.toContain(id);
  });

  it('publishes a committed transaction’s events once each, in order, with their payloads', async () => {
    const userId = randomUUID();
    const emitted = await transactions.run(async () => [
      await emitFor(userId),
      await emitFor(userId),
      await emitFor(userId),
    ]);
    await settled(t);

    const rows = await outboxRowsOf(userId);
    expect(rows.map((row) => row.id)).toEqual(emitted.map((event) => event.id));
    // Once each (the table's key would refuse a second), in the order they were emitted.
    const seen = await consumedBy('record', userId);
    expect(seen.map((event) => event.id)).toEqual(emitted.map((event) => event.id));
    expect(new Set(seen.map((event) => event.position)).size).toBe(3);
    expect(await consumedBy('flaky', userId)).toEqual(seen);
    for (const event of emitted) expect(probe.broadcast).toContain(event.id);
  });

  // The embedded database's one session would hold the emitting transaction up behind the lock.
  itOnServer(
    'tells once what was emitted up to an instant is published, and waits no longer than asked',
    async () => {
      const relay = t.app.get(OutboxRelay);
      await settled(t);
      const holder = new Client({ connectionString: t.config.database.url });
      await holder.connect();
      try {
        // The relay's lock, held elsewhere: no run can publish meanwhile.
        await holder.query('BEGIN');
        await holder.query('SELECT pg_advisory_xact_lock($1)', [RELAY_LOCK_KEY]);
        const userId = randomUUID();
        await transactions.run(() => emitFor(userId));
        const asked = new Date();
        expect(await relay.publishedThrough(asked, 300)).toBe(false);
        expect((await outboxRowsOf(userId))[0].position).toBeNull();
        // A reader that waits for it goes on after the timeout, saying so.
        await relay.awaitPublishedThrough(
          asked,
          { what: 'a test read', fields: { reader: userId } },
          300,
        );
        expect(t.logs).toContainEqual(
          expect.objectContaining({
            reader: userId,
            msg: 'Events from before a test read was asked for are not all published yet; it holds what is',
          }),
        );

        const published = relay.publishedThrough(asked);
        await holder.query('COMMIT');
        expect(await published).toBe(true);
        expect((await outboxRowsOf(userId))[0].position).not.toBeNull();
      } finally {
        await holder.end();
      }
    },
  );

  // A second session holds the account's row: the embedded database has one session.
  itOnServer(
    'publishes while a consumer waits on a row another transaction holds, and consumes it once the row is free',
    async () => {
      const relay = t.app.get(OutboxRelay);
      const account = await signedInAccount(t);
      const user = await t.app.get(UsersService).findByEmail(account.email);
      const lastLogin = async () =>
        (
          await database.query<{ last_login_at: Date | null }[]>(
            'SELECT last_login_at FROM users WHERE id = $1',
            [user!.id],
          )
        )[0].last_login_at;
      await settled(t);
      const before = await lastLogin();
      expect(before).not.toBeNull();
      const holder = new Client({ connectionString: t.config.database.url });
      await holder.connect();
      try {
        // As a change of the account does (a profile sync, say): the row last_login_at is on.
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [user!.id]);
        await login(t, account.email, account.password);
        const signedIn = new Date();
        // The sign-in's event is published, and the other consumers' work with it, while the
        // row is held: the relay does not wait for the holder (which could be waiting for it).
        expect(await relay.publishedThrough(signedIn, 5_000)).toBe(true);
        expect(await lastLogin()).toEqual(before);
        await holder.query('COMMIT');
        // LastLogin is retried as a job, which waits for the row as long as it takes.
        await settled(t);
        expect((await lastLogin())!.getTime()).toBeGreaterThan(before!.getTime());
      } finally {
        await holder.end();
      }
    },
  );

  it('refuses a payload outside its schema before anything is written', async () => {
    const userId = randomUUID();
    await expect(
      events.emit('user.preferences.updated', {
        user_id: userId,
        changed_fields: ['theme'],
        password_hash: 'x',
      } as never),
    ).rejects.toThrow('invalid user.preferences.updated payload');
    expect(await outboxRowsOf(userId)).toEqual([]);
  });

  it('retries a failing consumer alone, as a job, without holding up the others', async () => {
    const userId = randomUUID();
    const [first, second] = await transactions.run(async () => [
      await emitFor(userId),
      await emitFor(userId),
    ]);
    // Fails on the relay's batch (run as is, then again with each consumer isolated) and on its
    // first retry; the retry after that succeeds.
    probe.failures.set(second.id, 3);
    await settled(t);

    // The other consumer, and the flaky one's batch, went on; the batch's failure set its events
    // aside, so the flaky one had consumed none of them yet.
    expect((await consumedBy('record', userId)).map((e) => e.id)).toEqual([first.id, second.id]);
    const retries = await database.query<{ state: string; data: { event_id: string } }[]>(
      'SELECT state, data FROM pgboss.job WHERE name = $1 AND data->>$2 = ANY($3)',
      [CONSUME_AGAIN_QUEUE, 'event_id', [first.id, second.id]],
    );
    expect(retries.map((job) => job.data.event_id).sort()).toEqual([first.id, second.id].sort());
    expect((await consumedBy('flaky', userId)).map((e) => e.id)).toEqual([first.id]);
    expect(retries.find((job) => job.data.event_id === second.id)?.state).toBe('retry');

    // As if the retry's backoff had passed.
    await database.query(
      "UPDATE pgboss.job SET start_after = now() WHERE name = $1 AND state = 'retry'",
      [CONSUME_AGAIN_QUEUE],
    );
    await settled(t);
    expect((await consumedBy('flaky', userId)).map((e) => e.id)).toEqual([first.id, second.id]);
    expect(probe.failures.get(second.id)).toBe(0);
  });
});
