import {
  actionLink,
  backupCodesRegenerated,
  emailChanged,
  emailChangedTo,
  emailChangeNotice,
  emailChangeVerify,
  formatWhen,
  newSignIn,
  NoticeDetails,
  passwordChanged,
  passwordReset,
  registrationAttempt,
  secondFactorAdded,
  secondFactorRemoved,
  verifyEmail,
} from './mail-templates';

const WEB_APP = 'https://app.example.com/account';
const TOKEN = 'evt_Zm9vYmFy-_x';

describe('actionLink', () => {
  it('puts the token in the fragment only', () => {
    const url = new URL(actionLink(WEB_APP, 'verify-email', TOKEN));
    expect(url.origin + url.pathname).toBe('https://app.example.com/account/verify-email');
    expect(url.search).toBe('');
    expect(new URLSearchParams(url.hash.slice(1)).get('token')).toBe(TOKEN);
    expect(url.href.indexOf(TOKEN)).toBeGreaterThan(url.href.indexOf('#'));
  });

  it('joins paths with or without a leading slash alike', () => {
    expect(actionLink(WEB_APP, '/reset', TOKEN)).toBe(actionLink(WEB_APP, 'reset', TOKEN));
  });

  it('encodes a token that is not URL-safe', () => {
    const url = new URL(actionLink(WEB_APP, 'reset', 'a&b=c#d e'));
    expect(new URLSearchParams(url.hash.slice(1)).get('token')).toBe('a&b=c#d e');
  });
});

describe('mail templates', () => {
  const link = actionLink(WEB_APP, 'act', TOKEN);

  it.each([
    ['verifyEmail', verifyEmail('a@example.com', link)],
    ['passwordReset', passwordReset('a@example.com', link)],
    ['emailChangeVerify', emailChangeVerify('a@example.com', link)],
  ])('%s carries its link in the text and as the action link', (_name, message) => {
    expect(message.to).toBe('a@example.com');
    expect(message.link).toBe(link);
    expect(message.text).toContain(link);
    expect(message.subject).not.toContain(TOKEN);
  });

  it('tells who tried to register how to sign in or reset, with no token', () => {
    const message = registrationAttempt(
      'a@example.com',
      `${WEB_APP}/login`,
      `${WEB_APP}/forgot-password`,
    );
    expect(message.text).toContain(`${WEB_APP}/login`);
    expect(message.text).toContain(`${WEB_APP}/forgot-password`);
    expect(message.link).toBeUndefined();
  });

  it('emailChangeNotice is a notice without a link', () => {
    const message = emailChangeNotice('a@example.com', 'ne***@example.org');
    expect(message.link).toBeUndefined();
    expect(message.text).not.toMatch(/https?:/);
  });

  it('names the new address to the old one only masked, as given', () => {
    expect(emailChangeNotice('old@example.com', 'ne***@example.org').text).toContain(
      'ne***@example.org',
    );
  });
});

describe('formatWhen', () => {
  const at = new Date('2026-12-06T20:04:35Z');

  it('gives the time in UTC when the user named no time zone', () => {
    expect(formatWhen(at, null)).toBe('6 December 2026 at 20:04 UTC');
  });

  it('gives the time in the time zone of the profile', () => {
    expect(formatWhen(at, 'Asia/Kolkata')).toBe('7 December 2026 at 01:34 GMT+5:30');
  });

  it('falls back to UTC for a zone the runtime does not know', () => {
    expect(formatWhen(at, 'Mars/Olympus_Mons')).toBe('6 December 2026 at 20:04 UTC');
  });
});

describe('security notices', () => {
  const details: NoticeDetails = {
    when: '6 December 2026 at 20:04 UTC',
    device: 'Firefox on Linux',
    ip: '192.0.2.15',
    webAppUrl: WEB_APP,
  };
  const notices = [
    ['passwordChanged (change)', passwordChanged('a@example.com', 'change', details)],
    ['passwordChanged (reset)', passwordChanged('a@example.com', 'reset', details)],
    ['emailChanged', emailChanged('a@example.com', 'ne***@example.org', details)],
    ['emailChangedTo', emailChangedTo('a@example.com', 'ol***@example.org', details)],
    ['secondFactorAdded', secondFactorAdded('a@example.com', details)],
    ['secondFactorRemoved', secondFactorRemoved('a@example.com', 'user', details)],
    ['backupCodesRegenerated', backupCodesRegenerated('a@example.com', 10, details)],
    ['newSignIn', newSignIn('a@example.com', details)],
  ] as const;

  it.each(notices)('%s says when, from which device and address', (_name, message) => {
    expect(message.to).toBe('a@example.com');
    expect(message.text).toContain('When: 6 December 2026 at 20:04 UTC');
    expect(message.text).toContain('Device: Firefox on Linux');
    expect(message.text).toContain('IP address: 192.0.2.15');
  });

  it.each(notices)(
    '%s says what to do if it was not the user, with no action link and no token',
    (_name, message) => {
      expect(message.link).toBeUndefined();
      expect(message.text).toMatch(/If this was not you/);
      const links = message.text.match(/https?:\/\/\S+/g) ?? [];
      for (const link of links) {
        const url = new URL(link);
        expect(url.search).toBe('');
        expect(url.hash).toBe('');
        expect([`${WEB_APP}/login`, `${WEB_APP}/forgot-password`]).toContain(url.href);
      }
    },
  );

  it('tells the address that lost the account to contact support, as it can no longer reset', () => {
    const message = emailChanged('old@example.com', 'ne***@example.org', details);
    expect(message.text).toContain('changed to ne***@example.org');
    expect(message.text).toMatch(/contact support/);
    expect(message.text).not.toContain('forgot-password');
  });

  it('names each change in its subject', () => {
    expect(notices.map(([, message]) => message.subject)).toEqual([
      'Your password was changed',
      'Your password was changed',
      'Your email address was changed',
      'This is now the email address of your account',
      'An authenticator app was added to your account',
      'The second factor of your account was removed',
      'New backup codes were made for your account',
      'New sign-in to your account',
    ]);
  });

  it('tells a reset from a change, and an administrator’s removal from the user’s', () => {
    expect(passwordChanged('a@example.com', 'reset', details).text).toMatch(/reset through a link/);
    expect(passwordChanged('a@example.com', 'change', details).text).not.toMatch(/reset through/);
    expect(secondFactorRemoved('a@example.com', 'administrator', details).text).toMatch(
      /^An administrator removed/,
    );
  });

  it('leaves out the device and address when they are not known', () => {
    const message = secondFactorRemoved('a@example.com', 'administrator', {
      ...details,
      device: null,
      ip: null,
    });
    expect(message.text).toContain('When: ');
    expect(message.text).not.toContain('Device:');
    expect(message.text).not.toContain('IP address:');
  });

  it('counts the new backup codes', () => {
    expect(backupCodesRegenerated('a@example.com', 10, details).text).toContain(
      'A new set of 10 backup codes',
    );
  });
});
