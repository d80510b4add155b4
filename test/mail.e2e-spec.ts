import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MailModule } from '../src/modules/mail/mail.module';
import { MailService } from '../src/modules/mail/mail.service';
import { actionLink, passwordReset, verifyEmail } from '../src/modules/mail/mail-templates';
import { SmtpPeer } from './peers/smtp-peer';
import { startTestApp, TestApp } from './support/test-app';
import { sleep } from './support/assertions';
import { settled } from './support/accounts';
import { migratedDatabase } from './support/test-database';
import { MAIL_QUEUE } from '../src/modules/mail/mail.service';

const FROM = 'Gatehouse <no-reply@gatehouse.test>';

/** A recipient of its own per test: log lines and deliveries are told apart by it. */
function recipient(): { address: string; masked: string } {
  const domain = `${randomUUID().slice(0, 8)}.example.com`;
  return { address: `alice.liddell@${domain}`, masked: `al***@${domain}` };
}

function token(): string {
  return `evt_${randomUUID().replace(/-/g, '')}`;
}

function startMailApp(
  env: Record<string, string>,
  options: { databaseUrl?: string } = {},
): Promise<TestApp> {
  return startTestApp({
    env: { MAIL_FROM: FROM, ...env },
    extraModules: [MailModule],
    databaseUrl: options.databaseUrl,
  });
}

/** The states of the queued mails (pg-boss's job states). */
async function mailJobs(t: TestApp): Promise<{ state: string; retry_count: number }[]> {
  return t.app
    .get(DataSource)
    .query('SELECT state, retry_count FROM pgboss.job WHERE name = $1 ORDER BY created_on', [
      MAIL_QUEUE,
    ]);
}

/** As if a retry's backoff had passed: the retries waiting are due now. */
async function retriesDueNow(t: TestApp): Promise<void> {
  await t.app
    .get(DataSource)
    .query("UPDATE pgboss.job SET start_after = now() WHERE name = $1 AND state = 'retry'", [
      MAIL_QUEUE,
    ]);
}

describe('mail through SMTP', () => {
  const credentials = { user: 'gatehouse', pass: 's3cret p@ss:word' };
  const peer = new SmtpPeer(credentials);
  let t: TestApp;
  let mail: MailService;

  beforeAll(async () => {
    await peer.start();
    t = await startMailApp({ SMTP_URL: peer.url() });
    mail = t.app.get(MailService);
  });
  afterAll(async () => {
    await t.close();
    await peer.stop();
  });

  const deliveredTo = (address: string) =>
    peer.received.filter((m) => m.envelope.to[0] === address);

  it('delivers with From, To, Subject and body, authenticated with the credentials of SMTP_URL', async () => {
    const to = recipient();
    const message = verifyEmail(to.address, actionLink(t.config.mail.webAppUrl, 'verify', token()));
    await mail.enqueue(message);
    await settled(t);

    const [delivered, ...more] = deliveredTo(to.address);
    expect(more).toHaveLength(0);
    expect(delivered.user).toBe(credentials.user);
    expect(delivered.envelope).toEqual({ from: 'no-reply@gatehouse.test', to: [to.address] });
    expect(delivered.headers).toMatchObject({
      from: FROM,
      to: to.address,
      subject: message.subject,
    });
    expect(delivered.headers['content-type']).toMatch(/^text\/plain; charset=utf-8/i);
    expect(delivered.text.trimEnd()).toBe(message.text.trimEnd());
    expect(delivered.text).toContain(message.link);
  });

  it('logs where mail goes without the password of SMTP_URL, and no mail text', async () => {
    const to = recipient();
    const link = actionLink(t.config.mail.webAppUrl, 'reset-password', token());
    await mail.enqueue(passwordReset(to.address, link));
    await settled(t);

    expect(deliveredTo(to.address)).toHaveLength(1);
    const port = new URL(peer.url()).port;
    expect(t.logs).toContainEqual(
      expect.objectContaining({ msg: `Sending mail through smtp://127.0.0.1:${port}` }),
    );
    const written = JSON.stringify(t.logs);
    expect(written).not.toContain('s3cret');
    expect(written).not.toContain(encodeURIComponent(credentials.pass));
    expect(written).not.toContain(link);
  });

  it('takes the recipient as one mailbox, never as a list', async () => {
    const to = recipient();
    const other = recipient();
    await mail.enqueue(
      verifyEmail(`${to.address}, ${other.address}`, 'https://app.example/verify'),
    );
    await settled(t);

    expect(deliveredTo(other.address)).toHaveLength(0);
    expect(peer.received.flatMap((m) => m.envelope.to)).not.toContain(other.address);
  });

  it('queues the mail and answers before it is sent; a worker then sends it', async () => {
    const to = recipient();
    const held = peer.hold();
    await mail.enqueue(verifyEmail(to.address, 'https://app.example/verify'));
    expect(deliveredTo(to.address)).toHaveLength(0);

    let done = false;
    const settling = settled(t).then(() => (done = true));
    await held.arrived;
    expect(done).toBe(false);
    held.release();
    await settling;
    expect(deliveredTo(to.address)).toHaveLength(1);
  });

  it('sends a mail sent again (its job run twice, as around a crash) with the same Message-ID', async () => {
    const to = recipient();
    await mail.enqueue(verifyEmail(to.address, 'https://app.example/verify'));
    await mail.enqueue(passwordReset(to.address, 'https://app.example/reset'));
    await settled(t);
    const jobs = await t.app
      .get(DataSource)
      .query<{ id: string; data: { sealed: string; queued: string } }[]>(
        "SELECT id, data FROM pgboss.job WHERE name = $1 AND data->>'queued' IS NOT NULL ORDER BY created_on DESC LIMIT 2",
        [MAIL_QUEUE],
      );
    const [first] = deliveredTo(to.address);
    const again = jobs.find(
      (job) => `<${job.data.queued}@gatehouse.test>` === first.headers['message-id'],
    );
    expect(again).toBeDefined();

    expect(await mail.send([again as never])).toEqual([{ id: again!.id, status: 'completed' }]);
    const [, second, resent] = deliveredTo(to.address);
    expect(resent.headers['message-id']).toBe(first.headers['message-id']);
    expect(resent.text).toBe(first.text);
    expect(second.headers['message-id']).toMatch(/^<[0-9a-f-]{36}@gatehouse\.test>$/);
    expect(second.headers['message-id']).not.toBe(first.headers['message-id']);
  });

  it('keeps the mail only sealed while it waits: no address, subject or link in the job', async () => {
    const to = recipient();
    const secret = token();
    const held = peer.hold();
    await mail.enqueue(passwordReset(to.address, actionLink(t.config.mail.webAppUrl, 'r', secret)));
    await held.arrived;
    const [job] = await t.app
      .get(DataSource)
      .query<{ data: unknown }[]>('SELECT data FROM pgboss.job WHERE name = $1 AND state = $2', [
        MAIL_QUEUE,
        'active',
      ]);
    held.release();
    await settled(t);
    const stored = JSON.stringify(job.data);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(to.address);
    expect(stored).not.toContain('password');
  });

  it('logs a recipient the server refuses, without the mail text, and does not retry it', async () => {
    const to = recipient();
    peer.refusedRecipients.add(to.address);
    const secret = token();
    const message = passwordReset(to.address, actionLink(t.config.mail.webAppUrl, 'reset', secret));

    await mail.enqueue(message);
    await settled(t);

    const line = await t.waitForLog(
      (l) =>
        l.msg === 'Mail refused by the server for its recipient; not retried' && l.to === to.masked,
    );
    expect(line).toMatchObject({ level: 'warn', context: 'MailService', subject: message.subject });
    expect(line.reason).toMatch(/550/);
    expect(JSON.stringify(line)).not.toContain(secret);
    expect(JSON.stringify(line)).not.toContain(to.address);
    expect(deliveredTo(to.address)).toHaveLength(0);
  });
});

describe('mail while the SMTP server is down', () => {
  const peer = new SmtpPeer();
  let t: TestApp;

  beforeAll(async () => {
    await peer.start();
    t = await startMailApp({ SMTP_URL: peer.url() });
  });
  afterAll(async () => {
    await t.close();
    await peer.stop();
  });

  it('retries with backoff and delivers once the server is back; the caller never waits', async () => {
    await peer.stop();
    const to = recipient();
    await t.app.get(MailService).enqueue(verifyEmail(to.address, 'https://app.example/v'));
    await settled(t);
    // One attempt failed; the mail waits for its retry instead of being lost.
    expect(await mailJobs(t)).toEqual([{ state: 'retry', retry_count: 0 }]);
    await t.waitForLog(
      (l) => l.msg === 'Mail could not be sent; it will be retried' && l.to === to.masked,
    );

    // Still down at the next attempt.
    await retriesDueNow(t);
    await settled(t);
    expect(await mailJobs(t)).toEqual([{ state: 'retry', retry_count: 1 }]);

    await peer.start();
    await retriesDueNow(t);
    await settled(t);
    expect(peer.received.map((m) => m.envelope.to)).toEqual([[to.address]]);
    expect(await mailJobs(t)).toEqual([{ state: 'completed', retry_count: 2 }]);
  });
});

describe('mail through SMTP with wrong credentials', () => {
  const peer = new SmtpPeer({ user: 'gatehouse', pass: 'right' });
  let t: TestApp;

  beforeAll(async () => {
    await peer.start();
    t = await startMailApp({ SMTP_URL: peer.url({ user: 'gatehouse', pass: 'wrong' }) });
  });
  afterAll(async () => {
    await t.close();
    await peer.stop();
  });

  it('logs the refused login and keeps the mail for a retry (an operator fixes credentials)', async () => {
    const mail = t.app.get(MailService);
    const to = recipient();

    await mail.enqueue(verifyEmail(to.address, 'https://app.example/v'));
    await settled(t);

    const line = await t.waitForLog(
      (l) => l.msg === 'Mail could not be sent; it will be retried' && l.to === to.masked,
    );
    expect(line.level).toBe('warn');
    expect(line.reason).toMatch(/535/);
    expect(JSON.stringify(t.logs)).not.toContain(':wrong@');
    expect(peer.received).toHaveLength(0);
    expect(await mailJobs(t)).toEqual([{ state: 'retry', retry_count: 0 }]);
  });
});

describe('mail at shutdown', () => {
  const peer = new SmtpPeer();

  beforeAll(() => peer.start());
  afterAll(() => peer.stop());

  it('waits for mails still being sent before closing', async () => {
    const t = await startMailApp({ SMTP_URL: peer.url() });
    const to = recipient();
    const held = peer.hold();
    await t.app.get(MailService).enqueue(verifyEmail(to.address, 'https://app.example/v'));
    await held.arrived;

    let deliveredBeforeClosed: boolean | undefined;
    const closing = t
      .close()
      .then(
        () => (deliveredBeforeClosed = peer.received.some((m) => m.envelope.to[0] === to.address)),
      );
    await sleep(200);
    expect(deliveredBeforeClosed).toBeUndefined();
    held.release();
    await closing;
    expect(deliveredBeforeClosed).toBe(true);
  });

  it('waits a bounded time for a mail server that does not answer, and keeps the mail queued', async () => {
    const db = await migratedDatabase();
    const first = await startMailApp({ SMTP_URL: peer.url() }, { databaseUrl: db.url });
    const held = peer.hold();
    await first.app
      .get(MailService)
      .enqueue(verifyEmail(recipient().address, 'https://a.example/v'));
    await held.arrived;

    const started = Date.now();
    try {
      await first.close();
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(4900);
      expect(waited).toBeLessThan(7000);
      // Not lost: the attempt that was cut short is failed, and waits for its retry.
      const next = await startMailApp({ SMTP_URL: peer.url() }, { databaseUrl: db.url });
      try {
        expect(await mailJobs(next)).toEqual([{ state: 'retry', retry_count: 0 }]);
      } finally {
        await next.close();
      }
    } finally {
      held.release();
      await db.drop();
    }
  });
});

describe('mail in the development outbox', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startMailApp({});
  });
  afterAll(() => t.close());

  it('says so at boot', () => {
    expect(t.logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'SMTP_URL is not set: mails go to the development outbox, links logged',
      }),
    );
  });

  it('stores the mail and logs its link with the recipient masked', async () => {
    const mail = t.app.get(MailService);
    const to = recipient();
    const message = passwordReset(
      to.address,
      actionLink(t.config.mail.webAppUrl, 'reset-password', token()),
    );
    await mail.enqueue(message);
    await settled(t);

    const rows = await t.app
      .get(DataSource)
      .query<{ recipient: string; subject: string; text: string; link: string | null }[]>(
        'SELECT recipient, subject, text, link FROM mail_outbox WHERE recipient = $1',
        [to.address],
      );
    expect(rows).toEqual([
      { recipient: to.address, subject: message.subject, text: message.text, link: message.link },
    ]);

    const line = await t.waitForLog(
      (l) => l.msg === 'Mail kept in the development outbox' && l.to === to.masked,
    );
    expect(line).toMatchObject({
      level: 'info',
      context: 'DevelopmentOutboxMailer',
      subject: message.subject,
      link: message.link,
    });
    expect(JSON.stringify(line)).not.toContain(to.address);
  });

  it('stores a mail without a link with none', async () => {
    const mail = t.app.get(MailService);
    const to = recipient();
    await mail.enqueue({ to: to.address, subject: 'Notice', text: 'Nothing to click.\n' });
    await settled(t);

    const rows = await t.app
      .get(DataSource)
      .query<{ link: string | null }[]>('SELECT link FROM mail_outbox WHERE recipient = $1', [
        to.address,
      ]);
    expect(rows).toEqual([{ link: null }]);
  });
});
