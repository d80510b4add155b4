import { REDACTED, scrubLogValue, scrubString } from './log-scrubber';

describe('log scrubbing', () => {
  it('masks email addresses to two characters and the domain', () => {
    expect(scrubString('sent to jane.doe@example.com and x@a.io')).toBe(
      'sent to ja***@example.com and x***@a.io',
    );
  });

  it.each([
    ['jane@exämple.com', 'ja***@exämple.com'],
    ['jöhn.doe@example.com', 'jö***@example.com'],
    ['first!last@example.com', 'fi***@example.com'],
    ["o'brien+tag@mail.example.co.uk", "o'***@mail.example.co.uk"],
  ])('masks the internationalised or unusual address %s whole', (address, masked) => {
    expect(scrubString(`user ${address} here`)).toBe(`user ${masked} here`);
  });

  it('removes passwords from URLs and keeps the rest', () => {
    expect(scrubString('connect postgres://gh:s3cr%40t@db.internal:5432/app failed')).toBe(
      'connect postgres://gh:[REDACTED]@db.internal:5432/app failed',
    );
    expect(scrubString('redis://:hunter2@cache:6379')).toBe('redis://:[REDACTED]@cache:6379');
  });

  it('redacts credential keys at any depth, whatever their case or spelling', () => {
    const scrubbed = scrubLogValue({
      Password: 'p',
      user: { email: 'bob@example.org', profile: { refresh_token: 'r', clientSecret: 's' } },
      headers: { Authorization: 'Bearer x', Cookie: 'c', 'x-api-key': 'k' },
      codes: [{ backup_code: 'b', totp: '123456' }],
      oauth: { code: 'c', jwt: 'j', session: 's', auth: 'a', signature: 'x', password_hash: 'h' },
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
      oauth: {
        code: REDACTED,
        jwt: REDACTED,
        session: REDACTED,
        auth: REDACTED,
        signature: REDACTED,
        password_hash: REDACTED,
      },
      note: 'fine',
    });
  });

  it('keeps identifiers that merely contain a short keyword', () => {
    expect(scrubLogValue({ author: 'a', session_id: 's', country_code: 'NZ' })).toEqual({
      author: 'a',
      session_id: 's',
      country_code: 'NZ',
    });
  });

  it('keeps errors readable (type, code, cause) but masks addresses in them', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const error = new TypeError('no user ann@example.com', { cause });
    const scrubbed = scrubLogValue({ err: error }) as {
      err: { type: string; message: string; stack: string; cause: { type: string; code: string } };
    };
    expect(scrubbed.err.type).toBe('TypeError');
    expect(scrubbed.err.message).toBe('no user an***@example.com');
    expect(scrubbed.err.stack).not.toContain('ann@example.com');
    expect(scrubbed.err.cause).toMatchObject({ type: 'Error', code: 'ECONNREFUSED' });
  });

  it('renders dates, binary data and collections readably', () => {
    expect(
      scrubLogValue({
        at: new Date('2026-11-22T10:00:00Z'),
        blob: Buffer.from('secret bytes'),
        map: new Map([['password', 'p']]),
        set: new Set(['x@example.com']),
      }),
    ).toEqual({
      at: '2026-11-22T10:00:00.000Z',
      blob: '[12 bytes]',
      map: { password: REDACTED },
      set: ['x***@example.com'],
    });
  });

  it('does not modify the object it was given, and survives cycles by depth', () => {
    const original = { password: 'p', self: {} as Record<string, unknown> };
    original.self = original;
    expect(() => scrubLogValue(original)).not.toThrow();
    expect(original.password).toBe('p');
  });
});
