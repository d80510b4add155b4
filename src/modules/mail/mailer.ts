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
  /** Resolves once the mail has been handed over; rejects when it could not be. */
  abstract send(message: MailMessage): Promise<void>;
}
