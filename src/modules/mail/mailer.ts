/** One plain-text mail to one recipient. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /** The one action link the text contains, if any (kept apart for the development outbox). */
  link?: string;
}

/**
 * Where mail goes: SMTP in production, the development outbox otherwise. An abstract class
 * rather than an interface so that it can serve as its own injection token.
 */
export abstract class Mailer {
  /**
   * Resolves once the mail has been handed over; rejects when it could not be. `id` names the
   * message and is the same each time it is sent again: a job retried after a crash that came
   * between the handover and the job's completion sends it twice, as one message.
   */
  abstract send(message: MailMessage, id: string): Promise<void>;
}
