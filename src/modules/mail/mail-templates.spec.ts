import {
  actionLink,
  emailChanged,
  emailChangeNotice,
  emailChangeVerify,
  passwordChanged,
  passwordReset,
  registrationAttempt,
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

  it.each([
    ['passwordChanged', passwordChanged('a@example.com')],
    ['emailChangeNotice', emailChangeNotice('a@example.com', 'ne***@example.org')],
    ['emailChanged', emailChanged('a@example.com')],
  ])('%s is a notice without a link', (_name, message) => {
    expect(message.link).toBeUndefined();
    expect(message.text).not.toMatch(/https?:/);
  });

  it('names the new address to the old one only masked, as given', () => {
    expect(emailChangeNotice('old@example.com', 'ne***@example.org').text).toContain(
      'ne***@example.org',
    );
  });
});
