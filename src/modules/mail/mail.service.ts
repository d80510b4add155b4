import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { PendingWork } from '../../common/background/pending-work';
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
  private readonly sending = new PendingWork(this.logger, 'mail(s) still being sent');

  constructor(private readonly mailer: Mailer) {}

  /** Returns at once; the mail goes out after the current event-loop turn. */
  dispatch(message: MailMessage): void {
    this.sending.start(
      () => this.mailer.send(message),
      (error) =>
        // The text and its link carry tokens: only who, what and why it failed are logged.
        this.logger.error(
          { err: error, to: maskAddress(message.to), subject: message.subject },
          'Mail could not be sent',
        ),
    );
  }

  /** Resolves once every mail dispatched so far, and any dispatched meanwhile, is sent or failed. */
  settled(): Promise<void> {
    return this.sending.settled();
  }

  /**
   * Nest shuts a module's providers down dependents first, so this runs before the mailer
   * closes its connections; requests have finished by then, so no new mail is dispatched.
   */
  onApplicationShutdown(): Promise<void> {
    return this.sending.drain(SHUTDOWN_DRAIN_MS);
  }
}
