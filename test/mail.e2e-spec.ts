import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MailModule } from '../src/modules/mail/mail.module';
import { MailService } from '../src/modules/mail/mail.service';
import { actionLink, passwordReset, verifyEmail } from '../src/modules/mail/mail-templates';
import { SmtpPeer } from './peers/smtp-peer';
import { startTestApp, TestApp } from './support/test-app';
import { sleep } from './support/assertions';

const FROM = 'Gatehouse <no-reply@gatehouse.test>';

/** A recipient of its own per test: log lines and deliveries are told apart by it. */
function recipient(): { address: string; masked: string } {
  const domain = `${randomUUID().slice(0, 8)}.example.com`;
  return { address: `alice.liddell@${domain}`, masked: `al***@${domain}` };
}

function token(): string {
  return `evt_${randomUUID().replace(/-/g, '')}`;
}

function startMailApp(env: Record<string, string>): Promise<TestApp> {
  return startTestApp({ env: { MAIL_FROM: FROM, ...env }, extraModules: [MailModule] });
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
    mail.dispatch(message);
    await mail.settled();

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
    mail.dispatch(passwordReset(to.address, link));
    await mail.settled();

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
    mail.dispatch(verifyEmail(`${to.address}, ${other.address}`, 'https://app.example/verify'));
    await mail.settled();

    expect(deliveredTo(other.address)).toHaveLength(0);
    expect(peer.received.flatMap((m) => m.envelope.to)).not.toContain(other.address);
  });

  it('returns before the mail is sent, and settled() waits until it is', async () => {
    const to = recipient();
    const held = peer.hold();
    expect(mail.dispatch(verifyEmail(to.address, 'https://app.example/verify'))).toBeUndefined();
    expect(deliveredTo(to.address)).toHaveLength(0);

    let settled = false;
    const settling = mail.settled().then(() => (settled = true));
    await held.arrived;
    expect(settled).toBe(false);
    held.release();
    await settling;
    expect(deliveredTo(to.address)).toHaveLength(1);
  });

  it('logs a recipient the server refuses, without the mail text, and the caller never sees it', async () => {
    const to = recipient();
    peer.refusedRecipients.add(to.address);
    const secret = token();
    const message = passwordReset(to.address, actionLink(t.config.mail.webAppUrl, 'reset', secret));

    expect(() => mail.dispatch(message)).not.toThrow();
    await mail.settled();

    const line = await t.waitForLog(
      (l) => l.msg === 'Mail could not be sent' && l.to === to.masked,
    );
    expect(line).toMatchObject({
      level: 'error',
      context: 'MailService',
      subject: message.subject,
    });
    expect((line.err as { message: string }).message).toMatch(/550/);
    expect(JSON.stringify(line)).not.toContain(secret);
    expect(JSON.stringify(line)).not.toContain(to.address);
    expect(deliveredTo(to.address)).toHaveLength(0);
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

  it('logs the refused login and does not throw into the caller', async () => {
    const mail = t.app.get(MailService);
    const to = recipient();

    expect(() => mail.dispatch(verifyEmail(to.address, 'https://app.example/v'))).not.toThrow();
    await mail.settled();

    const line = await t.waitForLog(
      (l) => l.msg === 'Mail could not be sent' && l.to === to.masked,
    );
    expect(line.level).toBe('error');
    expect((line.err as { message: string }).message).toMatch(/535/);
    expect(JSON.stringify(t.logs)).not.toContain(':wrong@');
    expect(peer.received).toHaveLength(0);
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
    t.app.get(MailService).dispatch(verifyEmail(to.address, 'https://app.example/v'));
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

  it('waits a bounded time for a mail server that does not answer', async () => {
    const t = await startMailApp({ SMTP_URL: peer.url() });
    const held = peer.hold();
    t.app.get(MailService).dispatch(verifyEmail(recipient().address, 'https://app.example/v'));
    await held.arrived;

    const started = Date.now();
    try {
      await t.close();
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(4900);
      expect(waited).toBeLessThan(7000);
      await t.waitForLog(
        (l) =>
          l.level === 'warn' &&
          l.msg === 'Shutting down with 1 mail(s) still being sent after 5000 ms',
      );
    } finally {
      held.release();
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
    mail.dispatch(message);
    await mail.settled();

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
      context: 'OutboxMailer',
      subject: message.subject,
      link: message.link,
    });
    expect(JSON.stringify(line)).not.toContain(to.address);
  });

  it('stores a mail without a link with none', async () => {
    const mail = t.app.get(MailService);
    const to = recipient();
    mail.dispatch({ to: to.address, subject: 'Notice', text: 'Nothing to click.\n' });
    await mail.settled();

    const rows = await t.app
      .get(DataSource)
      .query<{ link: string | null }[]>('SELECT link FROM mail_outbox WHERE recipient = $1', [
        to.address,
      ]);
    expect(rows).toEqual([{ link: null }]);
  });
});
