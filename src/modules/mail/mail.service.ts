import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { maskAddress } from './mail-address';
import { Mailer, MailMessage } from './mailer';

/**
 * How long shutdown waits for mails still being sent; within the default HTTP_SHUTDOWN_GRACE_MS
 * (10 s), after which the process exits regardless.
 */
const SHUTDOWN_DRAIN_MS = 5000;

/**
 * Sends mail in the background. A request never waits for a mail, so a response takes the same
 * time whether or not one was sent (which would otherwise tell who has an account), and a mail
 * server that is down does not fail the request: the failure is logged instead.
 */
@Injectable()
export class MailService implements OnApplicationShutdown {
  private readonly logger = new Logger(MailService.name);
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly mailer: Mailer) {}

  /** Returns at once; the mail goes out after the current event-loop turn. */
  dispatch(message: MailMessage): void {
    const sending = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.mailer.send(message))
      .catch((error: unknown) =>
        // The text and its link carry tokens: only who, what and why it failed are logged.
        this.logger.error(
          { err: error, to: maskAddress(message.to), subject: message.subject },
          'Mail could not be sent',
        ),
      )
      .finally(() => this.pending.delete(sending));
    this.pending.add(sending);
  }

  /** Resolves once every mail dispatched so far, and any dispatched meanwhile, is sent or failed. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  /**
   * Nest shuts a module's providers down dependents first, so this runs before the mailer
   * closes its connections; requests have finished by then, so no new mail is dispatched.
   */
  async onApplicationShutdown(): Promise<void> {
    if (this.pending.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), SHUTDOWN_DRAIN_MS);
    });
    const outcome = await Promise.race([this.settled(), expired]);
    clearTimeout(timer);
    if (outcome === 'expired') {
      this.logger.warn(
        `Shutting down with ${this.pending.size} mail(s) still being sent after ${SHUTDOWN_DRAIN_MS} ms`,
      );
    }
  }
}
