import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DomainEvents } from '../../src/modules/events/domain-events.service';
import { DEAD_LETTER_QUEUE } from '../../src/modules/events/jobs/job-queue.service';
import { Client } from 'pg';
import { sleep } from './assertions';
import { TestApp } from './test-app';

/** Long enough for any handler that does not wait for the database, even on a busy machine. */
const LOCKED_ANSWER_WAIT_MS = 5000;

/** A password the policy accepts (long, not common, unrelated to any test address). */
export const GOOD_PASSWORD = 'correct horse battery staple 42';

export interface TokenPairBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
  session_id: string;
}

export interface OutboxRow {
  recipient: string;
  subject: string;
  text: string;
  link: string | null;
}

/** A fresh address no other test uses. */
export function uniqueEmail(tag = 'user'): string {
  return `${tag}-${randomUUID()}@example.com`;
}

/**
 * A fresh client address, so tests in one app do not share per-IP limits (inject comes from
 * 127.0.0.1 otherwise) and runs against a shared Redis do not meet each other's counters.
 */
export function uniqueIp(): string {
  const b = randomBytes(3);
  return `10.${b[0]}.${b[1]}.${b[2]}`;
}

export function tokenFromLink(link: string): string {
  const token = new URLSearchParams(new URL(link).hash.slice(1)).get('token');
  if (!token) throw new Error(`no token in ${link}`);
  return token;
}

/** How long `settled` waits for the application to be done with what it started. */
const SETTLE_TIMEOUT_MS = 30_000;

/**
 * Waits until the application (on a database of its own) is done with everything it started:
 * events written, published and consumed, and every job due by now worked (account requests
 * answered 202, mails). Jobs waiting for a later time (a retry's backoff) are not waited for.
 */
export async function settled(t: TestApp): Promise<void> {
  await t.app.get(DomainEvents).settled();
  const database = t.app.get(DataSource);
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const [{ busy }] = await database.query<{ busy: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM outbox WHERE position IS NULL)
           OR EXISTS (SELECT 1 FROM pgboss.job
                       WHERE name <> $1 AND state IN ('created', 'retry', 'active')
                         AND start_after <= now()) AS busy`,
      [DEAD_LETTER_QUEUE],
    );
    if (!busy) return;
    if (Date.now() > deadline) throw new Error('the application never settled');
    await sleep(10);
  }
}

/**
 * Sends a request while another connection holds an exclusive lock on the account tables, and
 * returns its answer if it came while they were locked. A handler that looked an address up,
 * or wrote a token, before answering would wait for the lock instead: then this throws. So an
 * answer that cannot depend on whether the address has an account is shown without timing it.
 * Only on a PostgreSQL server (`itOnServer`): the embedded database's one session would hold up
 * the request's own job insert too.
 */
export async function answeredWithAccountsLocked<T extends { statusCode: number }>(
  t: TestApp,
  request: () => Promise<T>,
): Promise<T> {
  await settled(t);
  const holder = new Client({ connectionString: t.config.database.url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE users, email_tokens, auth_events IN ACCESS EXCLUSIVE MODE');
    const answer = request();
    const outcome = await Promise.race([
      answer.then((res) => ({ res })),
      sleep(LOCKED_ANSWER_WAIT_MS).then(() => null),
    ]);
    await holder.query('ROLLBACK');
    if (!outcome) {
      await answer;
      throw new Error('the request waited for the account tables before answering');
    }
    return outcome.res;
  } finally {
    await holder.end();
    await settled(t);
  }
}

/** Mails the development outbox holds for an address, oldest first, once sending settled. */
export async function mailsTo(t: TestApp, recipient: string): Promise<OutboxRow[]> {
  await settled(t);
  return t.app
    .get(DataSource)
    .query<OutboxRow[]>(
      'SELECT recipient, subject, text, link FROM mail_outbox WHERE recipient = $1 ORDER BY created_at, id',
      [recipient.toLowerCase()],
    );
}

export async function lastMailTo(t: TestApp, recipient: string): Promise<OutboxRow> {
  const mails = await mailsTo(t, recipient);
  const last = mails.at(-1);
  if (!last) throw new Error(`no mail to ${recipient}; ${await unfinishedWork(t)}`);
  return last;
}

/**
 * What `settled` did not wait for, for a failure's message: the jobs not completed (a retry
 * waiting for its time, a dead letter) with their last error, and the events not published.
 */
async function unfinishedWork(t: TestApp): Promise<string> {
  const database = t.app.get(DataSource);
  const [jobs, [{ unpublished }]] = await Promise.all([
    database.query<object[]>(
      `SELECT name, state, retry_count, start_after, output FROM pgboss.job
        WHERE state <> 'completed' AND name <> $1 ORDER BY created_on`,
      [DEAD_LETTER_QUEUE],
    ),
    database.query<{ unpublished: number }[]>(
      'SELECT count(*)::int AS unpublished FROM outbox WHERE position IS NULL',
    ),
  ]);
  return `jobs not completed: ${JSON.stringify(jobs)}; events not published: ${unpublished}`;
}

export function post(
  t: TestApp,
  url: string,
  payload: unknown,
  options: { token?: string; ip?: string; headers?: Record<string, string> } = {},
) {
  return t.inject({
    method: 'POST',
    url,
    payload: payload as Record<string, unknown>,
    remoteAddress: options.ip ?? uniqueIp(),
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
  });
}

export function get(t: TestApp, url: string, token?: string) {
  return t.inject({
    method: 'GET',
    url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

/** Registers and verifies an account through the API; returns its address and password. */
export async function createVerifiedAccount(
  t: TestApp,
  options: { email?: string; password?: string; name?: string } = {},
): Promise<{ email: string; password: string }> {
  const email = options.email ?? uniqueEmail();
  const password = options.password ?? GOOD_PASSWORD;
  const registered = await post(t, '/v1/auth/register', {
    email,
    password,
    name: options.name ?? 'Test User',
  });
  if (registered.statusCode !== 202) throw new Error(`register: ${registered.body}`);
  const mail = await lastMailTo(t, email);
  const verified = await post(t, '/v1/auth/verify-email', { token: tokenFromLink(mail.link!) });
  if (verified.statusCode !== 204) throw new Error(`verify: ${verified.body}`);
  return { email, password };
}

export async function login(
  t: TestApp,
  email: string,
  password: string,
  options: { ip?: string; userAgent?: string } = {},
): Promise<TokenPairBody> {
  const res = await post(
    t,
    '/v1/auth/login',
    { email, password },
    {
      ip: options.ip,
      headers: options.userAgent ? { 'user-agent': options.userAgent } : {},
    },
  );
  if (res.statusCode !== 200) throw new Error(`login: ${res.statusCode} ${res.body}`);
  return JSON.parse(res.body) as TokenPairBody;
}

/** A verified account and a session of it. */
export async function signedInAccount(
  t: TestApp,
  options: { email?: string; password?: string } = {},
): Promise<{ email: string; password: string; tokens: TokenPairBody }> {
  const account = await createVerifiedAccount(t, options);
  return { ...account, tokens: await login(t, account.email, account.password) };
}
