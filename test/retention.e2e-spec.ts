import { randomBytes } from 'node:crypto';
import { Injectable, Module } from '@nestjs/common';
import { PgBoss } from 'pg-boss';
import { DataSource } from 'typeorm';
import { uuidV7 } from '../src/common/ids/uuid-v7';
import { SessionRepository } from '../src/modules/auth/session.repository';
import { JobQueue } from '../src/modules/events/jobs/job-queue.service';
import { EmailTokenRepository } from '../src/modules/users/email-token.repository';
import { RetentionKinds } from '../src/modules/retention/retention-kinds';
import { RETENTION_QUEUE, RetentionPurge } from '../src/modules/retention/retention-purge';
import { PurgesExpired } from '../src/modules/retention/retention-purge.decorator';
import { GOOD_PASSWORD, login, post, settled } from './support/accounts';
import { signedInUser, SignedInUser } from './support/access';
import { migratedDatabase } from './support/test-database';
import { startTestApp, TestApp } from './support/test-app';
import { itOnServer } from './support/server-only';

const DAY_MS = 24 * 60 * 60 * 1000;
const BATCH = 25;
/** The relay's advisory lock (outbox.repository.ts). */
const RELAY_LOCK_KEY = 7_243_118_602;

const daysFromNow = (days: number) => new Date(Date.now() + days * DAY_MS);

interface SessionTimes {
  revokedAt?: Date | null;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
}

/** A session of the user with these times and a family of `tokens` refresh tokens. */
async function seedSession(
  db: DataSource,
  userId: string,
  times: SessionTimes,
  tokens: number,
): Promise<string> {
  const [session] = await db.query<{ id: string }[]>(
    `INSERT INTO sessions (user_id, amr, auth_time, last_seen_at, idle_expires_at,
                           absolute_expires_at, revoked_at, revoke_reason)
     VALUES ($1, '{pwd}', $2, $2, $3, $4, $5, CASE WHEN $5::timestamptz IS NULL THEN NULL ELSE 'logout' END)
     RETURNING id`,
    [
      userId,
      new Date(times.absoluteExpiresAt.getTime() - 30 * DAY_MS),
      times.idleExpiresAt,
      times.absoluteExpiresAt,
      times.revokedAt ?? null,
    ],
  );
  let parent: string | null = null;
  for (let i = 0; i < tokens; i++) {
    const last = i === tokens - 1;
    const [token]: { id: string }[] = await db.query<{ id: string }[]>(
      `INSERT INTO refresh_tokens (session_id, parent_id, token_hash, expires_at, rotated_at,
                                   revoked_at)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [
        session.id,
        parent,
        randomBytes(32),
        times.idleExpiresAt,
        last ? null : new Date(times.idleExpiresAt.getTime() - DAY_MS),
        last ? (times.revokedAt ?? null) : null,
      ],
    );
    parent = token.id;
  }
  return session.id;
}

/** `count` sessions of the user revoked `daysAgo` days ago, each with `tokens` refresh tokens. */
async function seedEndedSessions(
  db: DataSource,
  userId: string,
  count: number,
  tokens: number,
  daysAgo = 40,
): Promise<void> {
  await db.query(
    `WITH s AS (
       INSERT INTO sessions (user_id, amr, auth_time, last_seen_at, idle_expires_at,
                             absolute_expires_at, revoked_at, revoke_reason)
       SELECT $1, '{pwd}', now() - make_interval(days => $4 + 1),
              now() - make_interval(days => $4 + 1), now() + interval '1 day',
              now() + interval '2 days', now() - make_interval(days => $4), 'logout'
         FROM generate_series(1, $2)
       RETURNING id
     )
     INSERT INTO refresh_tokens (session_id, token_hash, expires_at, revoked_at)
     SELECT s.id, sha256(convert_to(s.id::text || '/' || g, 'UTF8')), now() + interval '1 day',
            now() - make_interval(days => $4)
       FROM s, generate_series(1, $3) g`,
    [userId, count, tokens, daysAgo],
  );
}

async function seedEmailToken(
  db: DataSource,
  userId: string,
  expiresAt: Date,
  consumedAt: Date | null,
): Promise<string> {
  const [row] = await db.query<{ id: string }[]>(
    `INSERT INTO email_tokens (user_id, purpose, token_hash, expires_at, consumed_at)
     VALUES ($1, 'reset_password', $2, $3, $4) RETURNING id`,
    [userId, randomBytes(32), expiresAt, consumedAt],
  );
  return row.id;
}

async function seedSpentEmailTokens(db: DataSource, userId: string, count: number): Promise<void> {
  await db.query(
    `INSERT INTO email_tokens (user_id, purpose, token_hash, expires_at, consumed_at)
     SELECT $1, 'reset_password', sha256(convert_to(gen_random_uuid()::text, 'UTF8')),
            now() - interval '20 days', now() - interval '20 days 1 hour'
       FROM generate_series(1, $2)`,
    [userId, count],
  );
}

async function seedMfaChallenge(
  db: DataSource,
  userId: string,
  expiresAt: Date,
  consumedAt: Date | null,
): Promise<string> {
  const [row] = await db.query<{ id: string }[]>(
    `INSERT INTO mfa_challenges (user_id, purpose, token_hash, password_fingerprint, expires_at,
                                 consumed_at)
     VALUES ($1, 'login', $2, $3, $4, $5) RETURNING id`,
    [userId, randomBytes(32), randomBytes(32), expiresAt, consumedAt],
  );
  return row.id;
}

async function seedEndpoint(db: DataSource): Promise<string> {
  const [row] = await db.query<{ id: string }[]>(
    `INSERT INTO webhook_endpoints (id, owner_type, owner_id, url, event_types, secret_sealed)
     VALUES (gen_random_uuid(), 'system', 'retention-test', 'https://hooks.example.com/in',
             '{user.updated}', 'sealed') RETURNING id`,
  );
  return row.id;
}

async function seedDelivery(db: DataSource, endpointId: string, attemptedAt: Date) {
  const [row] = await db.query<{ id: string }[]>(
    `INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, attempt, outcome,
                                     status_code, latency_ms, attempted_at)
     VALUES ($1, gen_random_uuid(), 'user.updated', 1, 'success', 204, 12, $2) RETURNING id`,
    [endpointId, attemptedAt],
  );
  return row.id;
}

async function seedKnownSignIn(db: DataSource, userId: string, lastSeenAt: Date) {
  const [row] = await db.query<{ id: string }[]>(
    `INSERT INTO known_sign_ins (user_id, key_id, device_hash, network_hash, first_seen_at,
                                 last_seen_at)
     VALUES ($1, 'test-key', sha256(gen_random_uuid()::text::bytea), sha256(gen_random_uuid()::text::bytea), $2, $2) RETURNING id`,
    [userId, lastSeenAt],
  );
  return row.id;
}

async function seedNoticeClaim(db: DataSource, notifiedAt: Date) {
  const [row] = await db.query<{ id: string }[]>(
    `INSERT INTO mail_notified_events (event_id, notified_at) VALUES (gen_random_uuid(), $1)
     RETURNING event_id AS id`,
    [notifiedAt],
  );
  return row.id;
}

async function seedIdentityProvider(db: DataSource): Promise<string> {
  const [row] = await db.query<{ id: string }[]>(
    `INSERT INTO identity_providers (slug, display_name, kind, issuer, client_id,
       client_secret_sealed, scopes, claim_mapping, jit_provisioning, allowed_email_domains,
       link_by_email, redirect_uris)
     VALUES ('retention-' || gen_random_uuid(), 'Retention', 'okta', 'https://idp.example.com',
       'client', 'sealed', '{openid}', '{}', false, '{}', false, '{}')
     RETURNING id`,
  );
  return row.id;
}

async function seedProviderEvent(
  db: DataSource,
  providerId: string,
  receivedAt: Date,
  processedAt: Date | null,
): Promise<string> {
  const [row] = await db.query<{ id: string }[]>(
    `INSERT INTO identity_provider_events (provider_id, event_id, event_type, subject,
       occurred_at, received_at, processed_at, outcome)
     VALUES ($1, gen_random_uuid()::text, 'user.lifecycle.deactivate', '00u1', $2, $2, $3,
       CASE WHEN $3::timestamptz IS NULL THEN NULL ELSE 'updated' END)
     RETURNING id`,
    [providerId, receivedAt, processedAt],
  );
  return row.id;
}

async function existing(db: DataSource, table: string, ids: string[]): Promise<string[]> {
  const key = table === 'mail_notified_events' ? 'event_id' : 'id';
  const rows = await db.query<{ id: string }[]>(
    `SELECT ${key} AS id FROM ${table} WHERE ${key} = ANY($1) ORDER BY ${key}`,
    [ids],
  );
  return rows.map((r) => r.id);
}

async function count(db: DataSource, sql: string, values: unknown[] = []): Promise<number> {
  const [row] = await db.query<{ n: string }[]>(sql, values);
  return Number(row.n);
}

function purgedMetric(text: string, kind: string): number | undefined {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`gatehouse_retention_purged_rows_total{kind="${kind}"} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

describe('retention', () => {
  let t: TestApp;
  let db: DataSource;
  let purge: RetentionPurge;
  let user: SignedInUser;

  beforeAll(async () => {
    t = await startTestApp({ env: { RETENTION_BATCH_SIZE: String(BATCH) } });
    db = t.app.get(DataSource);
    purge = t.app.get(RetentionPurge);
    user = await signedInUser(t);
    await settled(t);
  });

  afterAll(async () => {
    await t?.close();
  });

  /** Purges whatever earlier tests left past retention, so counts start from nothing. */
  async function drained(): Promise<void> {
    const run = await purge.run();
    expect(run).toMatchObject({ failed: [], finished: true });
  }

  it('registers each module’s kinds with its configured retention', () => {
    const kinds = t.app
      .get(RetentionKinds)
      .all()
      .map(({ kind, retentionDays }) => ({ kind, retentionDays }));
    expect(kinds).toEqual(
      expect.arrayContaining([
        { kind: 'sessions', retentionDays: 30 },
        { kind: 'email_tokens', retentionDays: 7 },
        { kind: 'mfa_challenges', retentionDays: 7 },
        { kind: 'published_events', retentionDays: 30 },
        { kind: 'webhook_deliveries', retentionDays: 30 },
        { kind: 'identity_provider_events', retentionDays: 30 },
        { kind: 'known_sign_ins', retentionDays: 180 },
        { kind: 'notice_claims', retentionDays: 30 },
        { kind: 'personal_data_exports', retentionDays: 1 },
        { kind: 'trading_account_links', retentionDays: 1 },
        { kind: 'federation_logins', retentionDays: 1 },
        { kind: 'token_vault_consents', retentionDays: 1 },
        { kind: 'auth_events', retentionDays: 365 },
        { kind: 'audit_events', retentionDays: 730 },
        { kind: 'hr_enrichments', retentionDays: 365 },
      ]),
    );
    expect(kinds).toHaveLength(15);
  });

  it('purges sessions ended past retention with their refresh tokens, keeping live and recently ended ones', async () => {
    await drained();
    const gone = [
      // revoked 31 days ago
      await seedSession(
        db,
        user.id,
        {
          revokedAt: daysFromNow(-31),
          idleExpiresAt: daysFromNow(1),
          absoluteExpiresAt: daysFromNow(5),
        },
        3,
      ),
      // idle expiry reached 31 days ago, never revoked
      await seedSession(
        db,
        user.id,
        { idleExpiresAt: daysFromNow(-31), absoluteExpiresAt: daysFromNow(-10) },
        2,
      ),
      // absolute expiry reached 32 days ago
      await seedSession(
        db,
        user.id,
        { idleExpiresAt: daysFromNow(-32), absoluteExpiresAt: daysFromNow(-32) },
        1,
      ),
    ];
    const kept = [
      // live, with a long history of rotated tokens
      await seedSession(
        db,
        user.id,
        { idleExpiresAt: daysFromNow(3), absoluteExpiresAt: daysFromNow(20) },
        4,
      ),
      // revoked yesterday
      await seedSession(
        db,
        user.id,
        {
          revokedAt: daysFromNow(-1),
          idleExpiresAt: daysFromNow(5),
          absoluteExpiresAt: daysFromNow(9),
        },
        2,
      ),
      // idle expiry reached 29 days ago
      await seedSession(
        db,
        user.id,
        { idleExpiresAt: daysFromNow(-29), absoluteExpiresAt: daysFromNow(1) },
        2,
      ),
    ];

    const run = await purge.run();

    // Three sessions and their six tokens.
    expect(run).toEqual({ purged: { sessions: 9 }, failed: [], finished: true });
    expect(await existing(db, 'sessions', [...gone, ...kept])).toEqual([...kept].sort());
    expect(
      await count(db, 'SELECT count(*) AS n FROM refresh_tokens WHERE session_id = ANY($1)', [
        gone,
      ]),
    ).toBe(0);
    expect(
      await count(db, 'SELECT count(*) AS n FROM refresh_tokens WHERE session_id = ANY($1)', [
        kept,
      ]),
    ).toBe(8);
    // The session of the login the test signed in with is live and untouched.
    const me = await t.inject({
      method: 'GET',
      url: '/v1/auth/sessions',
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(me.statusCode).toBe(200);
  });

  it('purges email tokens spent (used or expired) past retention and keeps the others', async () => {
    await drained();
    const gone = [
      await seedEmailToken(db, user.id, daysFromNow(-7.5), daysFromNow(-8)),
      await seedEmailToken(db, user.id, daysFromNow(-8), null),
    ];
    const kept = [
      // used six days ago although it only expires later
      await seedEmailToken(db, user.id, daysFromNow(1), daysFromNow(-6)),
      await seedEmailToken(db, user.id, daysFromNow(-6), null),
      // still open
      await seedEmailToken(db, user.id, daysFromNow(1), null),
    ];

    const run = await purge.run();

    expect(run).toEqual({ purged: { email_tokens: 2 }, failed: [], finished: true });
    expect(await existing(db, 'email_tokens', [...gone, ...kept])).toEqual([...kept].sort());
  });

  it('purges MFA challenges spent (used, burnt or expired) past retention and keeps the others', async () => {
    await drained();
    const gone = [
      await seedMfaChallenge(db, user.id, daysFromNow(-7.9), daysFromNow(-8)),
      await seedMfaChallenge(db, user.id, daysFromNow(-9), null),
    ];
    const kept = [
      await seedMfaChallenge(db, user.id, daysFromNow(-6), daysFromNow(-6.1)),
      await seedMfaChallenge(db, user.id, daysFromNow(-1), null),
      await seedMfaChallenge(db, user.id, daysFromNow(0.01), null),
    ];

    const run = await purge.run();

    expect(run).toEqual({ purged: { mfa_challenges: 2 }, failed: [], finished: true });
    expect(await existing(db, 'mfa_challenges', [...gone, ...kept])).toEqual([...kept].sort());
  });

  it('forgets sign-in contexts not seen for 180 days, keeping the others', async () => {
    await drained();
    const gone = [
      await seedKnownSignIn(db, user.id, daysFromNow(-181)),
      await seedKnownSignIn(db, user.id, daysFromNow(-400)),
    ];
    const kept = [
      await seedKnownSignIn(db, user.id, daysFromNow(-179)),
      await seedKnownSignIn(db, user.id, new Date()),
    ];

    const run = await purge.run();

    expect(run).toEqual({ purged: { known_sign_ins: 2 }, failed: [], finished: true });
    expect(await existing(db, 'known_sign_ins', [...gone, ...kept])).toEqual([...kept].sort());
  });

  it('purges notice claims once the outbox no longer keeps their events', async () => {
    await drained();
    const gone = [await seedNoticeClaim(db, daysFromNow(-31))];
    const kept = [
      await seedNoticeClaim(db, daysFromNow(-29)),
      await seedNoticeClaim(db, new Date()),
    ];

    const run = await purge.run();

    expect(run).toEqual({ purged: { notice_claims: 1 }, failed: [], finished: true });
    expect(await existing(db, 'mail_notified_events', [...gone, ...kept])).toEqual(
      [...kept].sort(),
    );
  });

  it('purges identity provider webhook events received past retention and keeps recent ones', async () => {
    await drained();
    const provider = await seedIdentityProvider(db);
    const gone = [
      await seedProviderEvent(db, provider, daysFromNow(-31), daysFromNow(-31)),
      // never processed: its job gave up long ago
      await seedProviderEvent(db, provider, daysFromNow(-40), null),
    ];
    const kept = [
      await seedProviderEvent(db, provider, daysFromNow(-29), daysFromNow(-29)),
      await seedProviderEvent(db, provider, new Date(), null),
    ];

    const run = await purge.run();

    expect(run).toEqual({ purged: { identity_provider_events: 2 }, failed: [], finished: true });
    expect(await existing(db, 'identity_provider_events', [...gone, ...kept])).toEqual(
      [...kept].sort(),
    );
  });

  it('purges webhook delivery attempts past retention and keeps recent ones', async () => {
    await drained();
    const endpoint = await seedEndpoint(db);
    const gone = [
      await seedDelivery(db, endpoint, daysFromNow(-31)),
      await seedDelivery(db, endpoint, daysFromNow(-90)),
    ];
    const kept = [
      await seedDelivery(db, endpoint, daysFromNow(-29)),
      await seedDelivery(db, endpoint, new Date()),
    ];

    const run = await purge.run();

    expect(run).toEqual({ purged: { webhook_deliveries: 2 }, failed: [], finished: true });
    expect(await existing(db, 'webhook_deliveries', [...gone, ...kept])).toEqual([...kept].sort());
  });

  // A lock held by another session: the embedded database has one session for all connections.
  itOnServer(
    'purges published events past retention, never the last one nor an unpublished one',
    async () => {
      await drained();
      const [{ last }] = await db.query<{ last: string }[]>(
        'SELECT max(position) AS last FROM outbox',
      );
      const published = await count(db, 'SELECT count(*) AS n FROM outbox WHERE position < $1', [
        last,
      ]);
      expect(published).toBeGreaterThan(0);
      await db.query(`UPDATE outbox SET occurred_at = now() - interval '31 days'`);
      // The relay publishes under this lock: held, an event written long ago stays unpublished.
      const holder = db.createQueryRunner();
      await holder.connect();
      const unpublished = uuidV7(Date.now() - 400 * DAY_MS);
      try {
        await holder.startTransaction();
        await holder.query('SELECT pg_advisory_xact_lock($1)', [RELAY_LOCK_KEY]);
        await db.query(
          `INSERT INTO outbox (id, type, schema_version, occurred_at, user_id, data)
         VALUES ($1, 'user.preferences.updated', 1, now() - interval '400 days', $2, $3::jsonb)`,
          [unpublished, user.id, JSON.stringify({ user_id: user.id, changed_fields: [] })],
        );

        const run = await purge.run();

        expect(run).toEqual({
          purged: { published_events: published },
          failed: [],
          finished: true,
        });
        const rows = await db.query<{ id: string; position: string | null }[]>(
          'SELECT id, position FROM outbox ORDER BY id',
        );
        // The unpublished one's UUIDv7 is 400 days old: it sorts first.
        expect(rows).toEqual([
          { id: unpublished, position: null },
          { id: expect.any(String), position: last },
        ]);
      } finally {
        await db.query('DELETE FROM outbox WHERE id = $1', [unpublished]);
        await holder.rollbackTransaction();
        await holder.release();
      }
    },
  );

  it('deletes in bounded batches: many rows go over several calls, each at most a batch', async () => {
    await drained();
    await seedSpentEmailTokens(db, user.id, 110);
    const tokens = t.app.get(EmailTokenRepository);
    const before = daysFromNow(-7);
    const deleted: number[] = [];
    for (;;) {
      const n = await tokens.purgeSpent(before, BATCH);
      deleted.push(n);
      if (n === 0) break;
    }
    expect(deleted).toEqual([25, 25, 25, 25, 10, 0]);

    // A family larger than a batch: tokens first, a batch at a time, then its session.
    const session = await seedSession(
      db,
      user.id,
      {
        revokedAt: daysFromNow(-40),
        idleExpiresAt: daysFromNow(1),
        absoluteExpiresAt: daysFromNow(2),
      },
      60,
    );
    const sessions = t.app.get(SessionRepository);
    const calls: number[] = [];
    for (;;) {
      const n = await sessions.purgeEnded(daysFromNow(-30), BATCH);
      calls.push(n);
      if (n === 0) break;
    }
    expect(calls).toEqual([25, 25, 11, 0]);
    expect(await existing(db, 'sessions', [session])).toEqual([]);
  });

  it('one run goes through a backlog of every kind in batches and counts the rows in the metric', async () => {
    await drained();
    const metricsBefore = (await t.inject({ method: 'GET', url: '/metrics' })).body;
    expect(purgedMetric(metricsBefore, 'mfa_challenges')).toBeDefined();
    await seedEndedSessions(db, user.id, 70, 2);
    await seedSpentEmailTokens(db, user.id, 130);

    const run = await purge.run();

    expect(run).toEqual({
      purged: { sessions: 210, email_tokens: 130 },
      failed: [],
      finished: true,
    });
    const metricsAfter = (await t.inject({ method: 'GET', url: '/metrics' })).body;
    for (const [kind, rows] of Object.entries({ sessions: 210, email_tokens: 130 })) {
      expect(purgedMetric(metricsAfter, kind)).toBe(purgedMetric(metricsBefore, kind)! + rows);
    }
    expect(purgedMetric(metricsAfter, 'mfa_challenges')).toBe(
      purgedMetric(metricsBefore, 'mfa_challenges'),
    );
  });

  it('runs as the scheduled retention.purge job', async () => {
    await drained();
    const gone = await seedEmailToken(db, user.id, daysFromNow(-10), null);
    const kept = await seedEmailToken(db, user.id, daysFromNow(1), null);

    await t.app.get(JobQueue).send(RETENTION_QUEUE, {});
    await settled(t);

    expect(await existing(db, 'email_tokens', [gone, kept])).toEqual([kept]);
    const [job] = await db.query<{ state: string }[]>(
      `SELECT state FROM pgboss.job WHERE name = $1 ORDER BY created_on DESC LIMIT 1`,
      [RETENTION_QUEUE],
    );
    expect(job.state).toBe('completed');
  });

  it('two purges at once share the work: every row deleted once, counted once, no deadlock', async () => {
    await drained();
    const other = await startTestApp({
      databaseUrl: t.config.database.url,
      env: { RETENTION_BATCH_SIZE: String(BATCH) },
    });
    try {
      await seedEndedSessions(db, user.id, 150, 3);
      await seedSpentEmailTokens(db, user.id, 300);

      const runs = await Promise.all([
        purge.run(),
        other.app.get(RetentionPurge).run(),
        purge.run(),
      ]);

      for (const run of runs) expect(run.failed).toEqual([]);
      const total = (kind: string) => runs.reduce((sum, run) => sum + (run.purged[kind] ?? 0), 0);
      expect(total('sessions')).toBe(150 * 4);
      expect(total('email_tokens')).toBe(300);
      expect(
        await count(
          db,
          `SELECT count(*) AS n FROM sessions WHERE user_id = $1 AND revoked_at < now() - interval '30 days'`,
          [user.id],
        ),
      ).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('logins and refreshes succeed while a purge deletes sessions of the same account', async () => {
    await drained();
    await seedEndedSessions(db, user.id, 1500, 2);
    const fresh = await login(t, user.email, GOOD_PASSWORD);

    const [run, logins, refresh] = await Promise.all([
      purge.run(),
      Promise.all(Array.from({ length: 6 }, () => login(t, user.email, GOOD_PASSWORD))),
      post(t, '/v1/auth/refresh', { refresh_token: fresh.refresh_token }),
    ]);

    expect(run).toMatchObject({ failed: [], finished: true });
    expect(run.purged.sessions).toBe(1500 * 3);
    expect(refresh.statusCode).toBe(200);
    const ids = [...logins.map((l) => l.session_id), fresh.session_id];
    expect(await existing(db, 'sessions', ids)).toEqual([...ids].sort());
    for (const pair of logins) {
      const res = await post(t, '/v1/auth/refresh', { refresh_token: pair.refresh_token });
      expect(res.statusCode).toBe(200);
    }
  });
});

describe('retention configured to keep a kind forever', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      env: { RETENTION_WEBHOOK_DELIVERIES_DAYS: '0', RETENTION_SESSIONS_DAYS: '0' },
    });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('never purges a kind whose retention is 0', async () => {
    const db = t.app.get(DataSource);
    const endpoint = await seedEndpoint(db);
    const old = await seedDelivery(db, endpoint, daysFromNow(-3000));
    const user = await signedInUser(t);
    const session = await seedSession(
      db,
      user.id,
      {
        revokedAt: daysFromNow(-3000),
        idleExpiresAt: daysFromNow(-2999),
        absoluteExpiresAt: daysFromNow(-2990),
      },
      2,
    );

    const run = await t.app.get(RetentionPurge).run();

    expect(run.failed).toEqual([]);
    expect(run.purged).not.toHaveProperty('webhook_deliveries');
    expect(run.purged).not.toHaveProperty('sessions');
    expect(await existing(db, 'webhook_deliveries', [old])).toEqual([old]);
    expect(await existing(db, 'sessions', [session])).toEqual([session]);
  });
});

@Injectable()
class SecondSessionPurge {
  @PurgesExpired({ kind: 'sessions', retentionDays: () => 1 })
  purge(_before: Date, _limit: number): Promise<number> {
    return Promise.resolve(0);
  }
}

@Module({ providers: [SecondSessionPurge] })
class SecondSessionPurgeModule {}

@Injectable()
class BrokenPurge {
  @PurgesExpired({ kind: 'broken', retentionDays: () => 1 })
  purge(_before: Date, _limit: number): Promise<number> {
    return Promise.reject(new Error('relation "broken" does not exist'));
  }
}

@Module({ providers: [BrokenPurge] })
class BrokenPurgeModule {}

describe('retention kinds', () => {
  it('refuses to start with two purges of one kind', async () => {
    await expect(startTestApp({ extraModules: [SecondSessionPurgeModule] })).rejects.toThrow(
      'two purges for the retention kind sessions',
    );
  });

  it('goes on with the other kinds when one fails, and fails the job so it is retried', async () => {
    const t = await startTestApp({ extraModules: [BrokenPurgeModule] });
    try {
      const db = t.app.get(DataSource);
      const user = await signedInUser(t);
      const gone = await seedEmailToken(db, user.id, daysFromNow(-10), null);

      const run = await t.app.get(RetentionPurge).run();

      expect(run).toEqual({ purged: { email_tokens: 1 }, failed: ['broken'], finished: true });
      expect(await existing(db, 'email_tokens', [gone])).toEqual([]);
      expect(
        t.logs.some(
          (line) =>
            line.msg === 'Purging rows past their retention failed' && line.kind === 'broken',
        ),
      ).toBe(true);

      await t.app.get(JobQueue).send(RETENTION_QUEUE, {});
      await settled(t);
      const [job] = await db.query<{ state: string; output: { error: string } }[]>(
        `SELECT state, output FROM pgboss.job WHERE name = $1 ORDER BY created_on DESC LIMIT 1`,
        [RETENTION_QUEUE],
      );
      expect(job).toEqual({ state: 'retry', output: { error: 'purging failed: broken' } });
    } finally {
      await t.close();
    }
  });

  it('stops starting batches once its time budget is spent, leaving the rest to the next run', async () => {
    const t = await startTestApp();
    try {
      const db = t.app.get(DataSource);
      const user = await signedInUser(t);
      const left = await seedEmailToken(db, user.id, daysFromNow(-10), null);

      const spent = await t.app.get(RetentionPurge).run(new Date(), 0);

      expect(spent).toEqual({ purged: {}, failed: [], finished: false });
      expect(await existing(db, 'email_tokens', [left])).toEqual([left]);
      const next = await t.app.get(RetentionPurge).run();
      expect(next).toEqual({ purged: { email_tokens: 1 }, failed: [], finished: true });
    } finally {
      await t.close();
    }
  });

  it('removes the schedule of a queue this version no longer works (the hourly events.retention)', async () => {
    const database = await migratedDatabase();
    try {
      const boss = new PgBoss({
        connectionString: database.url,
        supervise: false,
        schedule: false,
      });
      await boss.start();
      await boss.createQueue('events.retention');
      await boss.schedule('events.retention', '17 * * * *', {});
      await boss.stop({ graceful: false });

      const t = await startTestApp({ databaseUrl: database.url });
      try {
        const names = await t.app
          .get(DataSource)
          .query<{ name: string }[]>('SELECT name FROM pgboss.schedule ORDER BY name');
        expect(names.map((n) => n.name)).toContain(RETENTION_QUEUE);
        expect(names.map((n) => n.name)).not.toContain('events.retention');
      } finally {
        await t.close();
      }
    } finally {
      await database.drop();
    }
  });
});
