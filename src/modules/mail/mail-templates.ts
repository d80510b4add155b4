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

/**
 * What a security notice says about a change besides what it was: when, and from which device
 * and address when it came from a request of the user. Links lead to pages where the user
 * signs in or asks for a reset; none carries a token or acts by being opened.
 */
export interface NoticeDetails {
  /** When it happened, as `formatWhen` gives it. */
  when: string;
  /** Browser and system ("Firefox on Linux"), when the change came from the user's request. */
  device: string | null;
  ip: string | null;
  webAppUrl: string;
}

const WHEN_FORMAT: Intl.DateTimeFormatOptions = {
  year: 'numeric',
  month: 'long',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'short',
};

/**
 * A time as a notice gives it: in the user's time zone when the profile names a valid one,
 * otherwise in UTC ("6 December 2026 at 20:04 UTC").
 */
export function formatWhen(at: Date, timeZone: string | null): string {
  if (timeZone) {
    try {
      return new Intl.DateTimeFormat('en-GB', { ...WHEN_FORMAT, timeZone }).format(at);
    } catch {
      // Not a zone this runtime knows: UTC below.
    }
  }
  return new Intl.DateTimeFormat('en-GB', { ...WHEN_FORMAT, timeZone: 'UTC' }).format(at);
}

function detailLines({ when, device, ip }: NoticeDetails): string {
  return [
    `When: ${when}`,
    ...(device ? [`Device: ${device}`] : []),
    ...(ip ? [`IP address: ${ip}`] : []),
  ].join('\n');
}

/** What to do when the change was not the user's: reset the password, end strange sessions. */
function ifNotYou({ webAppUrl }: NoticeDetails): string {
  return lines(
    'If this was not you, someone else may have your password. Reset it right away:',
    `${webAppUrl}/forgot-password`,
    'Then sign in, end the sessions you do not recognise and check your second factor, and contact support:',
    `${webAppUrl}/login`,
  ).trimEnd();
}

export function passwordChanged(
  to: string,
  method: 'change' | 'reset',
  details: NoticeDetails,
): MailMessage {
  return {
    to,
    subject: 'Your password was changed',
    text: lines(
      method === 'reset'
        ? 'The password of your account was reset through a link mailed to this address. Your other sessions were ended.'
        : 'The password of your account was changed. Your other sessions were ended.',
      detailLines(details),
      ifNotYou(details),
    ),
  };
}

/**
 * Sent to the address an account no longer has: it cannot reset the password any more, so it
 * is told to contact support. The new address appears only masked.
 */
export function emailChanged(
  to: string,
  newEmailMasked: string,
  details: NoticeDetails,
): MailMessage {
  return {
    to,
    subject: 'Your email address was changed',
    text: lines(
      `The email address of your account was changed to ${newEmailMasked}. This address no longer signs in to it.`,
      detailLines(details),
      'If this was not you, contact support right away: someone else may have taken over your account.',
    ),
  };
}

/** Sent to the address that just became the account's, once it was confirmed. */
export function emailChangedTo(
  to: string,
  oldEmailMasked: string,
  details: NoticeDetails,
): MailMessage {
  return {
    to,
    subject: 'This is now the email address of your account',
    text: lines(
      `The email address of your account was changed from ${oldEmailMasked} to this one; sign in with it from now on.`,
      detailLines(details),
      ifNotYou(details),
    ),
  };
}

export function secondFactorAdded(to: string, details: NoticeDetails): MailMessage {
  return {
    to,
    subject: 'An authenticator app was added to your account',
    text: lines(
      'An authenticator app was set up as the second factor of your account, with a new set of backup codes.',
      detailLines(details),
      ifNotYou(details),
    ),
  };
}

export function secondFactorRemoved(
  to: string,
  by: 'user' | 'administrator',
  details: NoticeDetails,
): MailMessage {
  return {
    to,
    subject: 'The second factor of your account was removed',
    text: lines(
      by === 'administrator'
        ? 'An administrator removed the authenticator app and the backup codes of your account; your sessions were ended. Signing in now takes only your password until you set up a second factor again.'
        : 'The authenticator app and the backup codes of your account were removed. Signing in now takes only your password.',
      detailLines(details),
      ifNotYou(details),
    ),
  };
}

export function backupCodesRegenerated(
  to: string,
  count: number,
  details: NoticeDetails,
): MailMessage {
  return {
    to,
    subject: 'New backup codes were made for your account',
    text: lines(
      `A new set of ${count} backup codes was made for your account; the old codes no longer work.`,
      detailLines(details),
      ifNotYou(details),
    ),
  };
}

/** A sign-in from a device and a network the account had never signed in from. */
export function newSignIn(to: string, details: NoticeDetails): MailMessage {
  return {
    to,
    subject: 'New sign-in to your account',
    text: lines(
      'Your account was signed in to from a device and a network it had not been signed in from before.',
      detailLines(details),
      'If this was you, there is nothing to do.',
      ifNotYou(details),
    ),
  };
}

/** An administrator created an account for this address; the link chooses its password. */
export function invitation(to: string, link: string): MailMessage {
  return {
    to,
    subject: 'You are invited to create your account',
    text: lines(
      'An administrator created an account for this email address.',
      `To start using it, choose your password here (the link works for 72 hours):\n${link}`,
      'If you did not expect this, you can ignore this message.',
    ),
    link,
  };
}

/** An administrator ended the password of the account; the link chooses a new one. */
export function forcedPasswordReset(to: string, link: string): MailMessage {
  return {
    to,
    subject: 'Choose a new password',
    text: lines(
      'An administrator reset the password of your account: the old one no longer works, and you were signed out everywhere.',
      `Choose a new password here (the link works for 1 hour):\n${link}`,
      'If the link has expired, ask for a new one with "Forgot password".',
    ),
    link,
  };
}

/** The export of the person's data is built; it is downloaded from the account, signed in. */
export function dataExportReady(to: string, until: string, webAppUrl: string): MailMessage {
  return {
    to,
    subject: 'Your data export is ready',
    text: lines(
      'The export of your data you (or an administrator, at your request) asked for is ready.',
      `Sign in and download it from your account until ${until}:\n${webAppUrl}/login`,
      'If you did not ask for it, sign in, change your password and contact support.',
    ),
  };
}

/** The user asked to delete their account: when it happens, and how to stop it. */
export function accountDeletionScheduled(to: string, when: string, webAppUrl: string): MailMessage {
  return {
    to,
    subject: 'Your account will be deleted',
    text: lines(
      `As asked, your account and its data will be deleted on ${when}. You were signed out everywhere.`,
      `If you change your mind, sign in before then and the deletion is cancelled:\n${webAppUrl}/login`,
      'If you did not ask for this, sign in now, change your password and contact support.',
    ),
  };
}

/** A sign-in during the grace period cancelled the deletion. */
export function accountDeletionCancelled(to: string, webAppUrl: string): MailMessage {
  return {
    to,
    subject: 'Your account will not be deleted',
    text: lines(
      'You signed in, so the deletion of your account you asked for is cancelled: it stays as it was.',
      `To delete it after all, ask again from your account:\n${webAppUrl}/login`,
    ),
  };
}
