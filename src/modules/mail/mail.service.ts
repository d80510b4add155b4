import { Injectable, Logger } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { EnvelopeCipher } from '../../common/crypto/envelope-cipher';
import { monotonicUuidV7 } from '../../common/ids/uuid-v7';
import { JobHandler, JobOutcome } from '../events/jobs/job-handler.decorator';
import { JobQueue } from '../events/jobs/job-queue.service';
import { maskAddress } from './mail-address';
import { DevelopmentOutboxRepository } from './development-outbox.repository';
import { Mailer, MailMessage } from './mailer';

export const MAIL_QUEUE = 'mail.send';
/** Binds a sealed mail to this use: a ciphertext copied elsewhere does not open. */
export const SEALED_MAIL_CONTEXT = 'mail.send';

/**
 * The server refused the recipient for good (5xx at RCPT TO: no such mailbox): sending again
 * cannot help. Anything else (a server down, a temporary 4xx, refused credentials an operator
 * will fix) is retried.
 */
function refusedRecipient(error: unknown): boolean {
  const { code, responseCode } = error as { code?: string; responseCode?: number };
  return code === 'EENVELOPE' && responseCode !== undefined && responseCode >= 500;
}

interface MailJob {
  /** The message, envelope-encrypted: its text carries links with tokens. */
  sealed: string;
  /**
   * When it was queued, as a UUIDv7 that sorts after every one queued before by this process:
   * jobs queued by one transaction share pg-boss's `created_on`, which it then orders at random.
   * Also the message's id (its Message-ID), the same when the job runs again.
   */
  queued: string;
}

/**
 * Durable mail: `enqueue` writes a job (in the caller's transaction, so a mail exists exactly
 * when the change it tells of commits) and a worker hands it to the mailer, retrying with
 * backoff for more than an hour when the mail server is down or refuses. A request never waits
 * for a mail. The job holds the message only encrypted under the master key, and is deleted a
 * day after it was sent.
 */
@Injectable()
export class MailService {
  private readonly logger = new Logger(MailService.name);

  constructor(
    private readonly jobs: JobQueue,
    private readonly cipher: EnvelopeCipher,
    private readonly mailer: Mailer,
    private readonly developmentOutbox: DevelopmentOutboxRepository,
  ) {}

  /**
   * Erasure: the mails the development outbox kept for this address go (an SMTP server's copies
   * are beyond reach; mails still queued are sealed, and sent or dropped within their retries).
   */
  async forgetRecipient(address: string): Promise<void> {
    await this.developmentOutbox.deleteTo(address);
  }

  async enqueue(message: MailMessage): Promise<void> {
    const sealed = this.cipher.encrypt(Buffer.from(JSON.stringify(message)), SEALED_MAIL_CONTEXT);
    await this.jobs.send(MAIL_QUEUE, { sealed, queued: monotonicUuidV7() } satisfies MailJob);
  }

  @JobHandler({
    name: MAIL_QUEUE,
    // 10 s doubling to 10 min, then every 10 min: about 3 h in all.
    retryLimit: 22,
    retryDelaySeconds: 10,
    retryBackoff: true,
    retryDelayMaxSeconds: 600,
    expireInSeconds: 120,
    deleteAfterSeconds: 24 * 60 * 60,
    // One worker per process, sending in order: of two links to one address, the newer one
    // (the one that works) arrives last.
    batchSize: 10,
  })
  async send(jobs: Job<MailJob>[]): Promise<JobOutcome[]> {
    const outcomes: JobOutcome[] = [];
    const inOrder = [...jobs].sort((a, b) => (a.data.queued < b.data.queued ? -1 : 1));
    for (const job of inOrder) {
      let message: MailMessage;
      try {
        message = JSON.parse(
          this.cipher.decrypt(job.data.sealed, SEALED_MAIL_CONTEXT).toString('utf8'),
        ) as MailMessage;
      } catch {
        // Sealed under a master key this instance does not have: retrying cannot help.
        this.logger.error({ job_id: job.id }, 'A queued mail cannot be opened; dropped');
        outcomes.push({ id: job.id, status: 'deadletter', output: { error: 'cannot open' } });
        continue;
      }
      try {
        await this.mailer.send(message, job.data.queued);
        outcomes.push({ id: job.id, status: 'completed' });
      } catch (error) {
        // The text and its link carry tokens: only who, what and why it failed are logged.
        const reason = (error as Error).message;
        const refused = refusedRecipient(error);
        this.logger.warn(
          {
            to: maskAddress(message.to),
            subject: message.subject,
            attempt: job.retryCount,
            reason,
          },
          refused
            ? 'Mail refused by the server for its recipient; not retried'
            : 'Mail could not be sent; it will be retried',
        );
        outcomes.push({
          id: job.id,
          status: refused ? 'deadletter' : 'failed',
          output: { error: reason.slice(0, 500) },
        });
      }
    }
    return outcomes;
  }
}
