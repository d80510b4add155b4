import { MailMessage } from './mailer';

/**
 * A link into the web app carrying a token. The token goes in the fragment: browsers do not
 * send fragments to servers, so it stays out of access logs, proxies and Referer headers; the
 * web app reads it and posts it back.
 */
export function actionLink(webAppUrl: string, path: string, token: string): string {
  const url = new URL(`${webAppUrl}/${path.replace(/^\/+/, '')}`);
  url.hash = new URLSearchParams({ token }).toString();
  return url.toString();
}

const IGNORE_IF_NOT_YOU = 'If you did not ask for this, you can ignore this message.';
const ACT_IF_NOT_YOU =
  'If this was not you, reset your password right away and contact support: someone else may have access to your account.';

function lines(...paragraphs: string[]): string {
  return `${paragraphs.join('\n\n')}\n`;
}

export function verifyEmail(to: string, link: string): MailMessage {
  return {
    to,
    subject: 'Confirm your email address',
    text: lines('Confirm your email address by opening this link:', link, IGNORE_IF_NOT_YOU),
    link,
  };
}

/**
 * Sent instead of a verification mail when the address already has an account, so that
 * registration answers the same either way. Its links carry no token.
 */
export function registrationAttempt(to: string, loginLink: string, resetLink: string): MailMessage {
  return {
    to,
    subject: 'Someone tried to register with your email address',
    text: lines(
      'Someone tried to create an account with this email address, which already has one.',
      `If it was you, sign in:\n${loginLink}`,
      `If you do not remember your password, reset it:\n${resetLink}`,
      'If it was not you, you can ignore this message: nothing has changed.',
    ),
  };
}

/**
 * Sent when someone registers an address whose account was never confirmed. The account's
 * password was chosen by whoever registered first, who may not own the mailbox, so the owner
 * finishes by choosing the password (a reset link) rather than confirming the old one.
 */
export function finishRegistration(to: string, link: string): MailMessage {
  return {
    to,
    subject: 'Finish creating your account',
    text: lines(
      'An account for this email address was started but never confirmed.',
      `To finish, choose your password here (the link works for 1 hour):\n${link}`,
      'Any password given when the account was started will not work.',
      IGNORE_IF_NOT_YOU,
    ),
    link,
  };
}

export function passwordReset(to: string, link: string): MailMessage {
  return {
    to,
    subject: 'Reset your password',
    text: lines('Choose a new password by opening this link:', link, IGNORE_IF_NOT_YOU),
    link,
  };
}

export function passwordChanged(to: string): MailMessage {
  return {
    to,
    subject: 'Your password was changed',
    text: lines('The password of your account was just changed.', ACT_IF_NOT_YOU),
  };
}

/** Sent to the new address; the change takes effect once it is confirmed. */
export function emailChangeVerify(to: string, link: string): MailMessage {
  return {
    to,
    subject: 'Confirm your new email address',
    text: lines(
      'Confirm this as the new email address of your account by opening this link:',
      link,
      'Until then, your account keeps its current address.',
      IGNORE_IF_NOT_YOU,
    ),
    link,
  };
}

/**
 * Sent to the old address when a change is requested; the new address appears only masked
 * (`maskAddress`), in case the old mailbox is no longer the owner's.
 */
export function emailChangeNotice(to: string, newEmailMasked: string): MailMessage {
  return {
    to,
    subject: 'Your email address is about to change',
    text: lines(
      `Someone asked to change the email address of your account to ${newEmailMasked}. The change takes effect once that address is confirmed.`,
      ACT_IF_NOT_YOU,
    ),
  };
}

export function emailChanged(to: string): MailMessage {
  return {
    to,
    subject: 'Your email address was changed',
    text: lines(
      'The email address of your account was just changed.',
      'If this was not you, contact support right away: someone else may have taken over your account.',
    ),
  };
}
