import { OnApplicationShutdown } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import SMTPPool from 'nodemailer/lib/smtp-pool';
import { Mailer, MailMessage } from './mailer';

/**
 * Sends through the SMTP server of SMTP_URL (`smtp://` upgrades with STARTTLS when offered,
 * `smtps://` is TLS from the start; credentials are the URL's user and password). Connections
 * are pooled and closed at shutdown. Nodemailer's logger is off unless the URL turns it on.
 */
export class SmtpMailer extends Mailer implements OnApplicationShutdown {
  private readonly transport: Transporter<SMTPPool.SentMessageInfo>;
  /** The domain of the From address (`localhost` when it has none), for Message-IDs. */
  private readonly domain: string;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    super();
    this.domain = /@([^\s<>@]+)>?\s*$/.exec(from)?.[1] ?? 'localhost';
    // Options given as query parameters of the URL (nodemailer's, e.g. requireTLS=true) take
    // precedence over these. `maxRequeues` is a pool option nodemailer's typings lack.
    const options: SMTPPool.Options & { maxRequeues: number } = {
      pool: true,
      url: smtpUrl,
      // A server that stops answering fails the send instead of holding it for minutes.
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      // A connection lost mid-send is retried once on a new one (the default retries forever).
      maxRequeues: 1,
    };
    this.transport = createTransport(new SMTPPool(options));
  }

  /**
   * The Message-ID is the message's `id` at the sender's domain, as nodemailer makes its own: the
   * same on every send of one message, so mail systems that collapse duplicates by it can.
   */
  async send(message: MailMessage, id: string): Promise<void> {
    await this.transport.sendMail({
      messageId: `<${id}@${this.domain}>`,
      from: this.from,
      // An address object is one mailbox; a string would be parsed as a list of them.
      to: { name: '', address: message.to },
      subject: message.subject,
      text: message.text,
    });
  }

  onApplicationShutdown(): void {
    this.transport.close();
  }
}
