import { maskEmails, REDACTED, scrubLogValue } from './log-scrubber';

describe('log scrubbing', () => {
  it('masks email addresses to two characters and the domain', () => {
    expect(maskEmails('sent to jane.doe@example.com and x@a.io')).toBe(
      'sent to ja***@example.com and x***@a.io',
    );
  });

  it('redacts credential keys at any depth, whatever their case or spelling', () => {
    const scrubbed = scrubLogValue({
      Password: 'p',
      user: { email: 'bob@example.org', profile: { refresh_token: 'r', clientSecret: 's' } },
      headers: { Authorization: 'Bearer x', Cookie: 'c', 'x-api-key': 'k' },
      codes: [{ backup_code: 'b', totp: '123456' }],
      note: 'fine',
    });
    expect(scrubbed).toEqual({
      Password: REDACTED,
      user: {
        email: 'bo***@example.org',
        profile: { refresh_token: REDACTED, clientSecret: REDACTED },
      },
      headers: { Authorization: REDACTED, Cookie: REDACTED, 'x-api-key': REDACTED },
      codes: [{ backup_code: REDACTED, totp: REDACTED }],
      note: 'fine',
    });
  });

  it('keeps errors readable but masks addresses in their message and stack', () => {
    const scrubbed = scrubLogValue({ err: new Error('no user ann@example.com') }) as {
      err: { type: string; message: string; stack: string };
    };
    expect(scrubbed.err.type).toBe('Error');
    expect(scrubbed.err.message).toBe('no user an***@example.com');
    expect(scrubbed.err.stack).not.toContain('ann@example.com');
  });

  it('does not modify the object it was given, and survives cycles by depth', () => {
    const original = { password: 'p', self: {} as Record<string, unknown> };
    original.self = original;
    expect(() => scrubLogValue(original)).not.toThrow();
    expect(original.password).toBe('p');
  });
});
