import { loadConfig } from '../../config/load-config';
import { DomainError } from '../errors/domain-error';
import { CommonErrorCode } from '../errors/error-code';
import { commonPasswords, normalizePassword, PasswordPolicy } from './password-policy';

/** The message the policy gives for `password`, or undefined when it accepts it. */
function violation(
  policy: PasswordPolicy,
  password: string,
  context: { email?: string; field?: string } = {},
): string | undefined {
  try {
    policy.assertAcceptable(password, context);
    return undefined;
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return error.details.errors?.[0]?.message;
  }
}

const CONTROL_CHARACTERS = 'must not contain control characters (line breaks, tabs and the like)';

describe('PasswordPolicy', () => {
  const policy = new PasswordPolicy(loadConfig({}));
  const acceptable = 'violet kettle orbit 42';

  it('accepts a long, uncommon password and imposes no composition rules', () => {
    expect(() => policy.assertAcceptable(acceptable, {})).not.toThrow();
    expect(violation(policy, 'all lower case words here')).toBeUndefined();
  });

  it('refuses with a validation error naming the field, never quoting the password', () => {
    const password = 'short pw';
    let thrown: unknown;
    try {
      policy.assertAcceptable(password, { field: 'new_password' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    const refusal = thrown as DomainError;
    expect(refusal.code).toBe(CommonErrorCode.ValidationFailed);
    expect(refusal.detail).toBe('The request has 1 invalid field.');
    expect(refusal.details).toEqual({
      errors: [{ field: 'new_password', message: 'must be at least 12 characters' }],
    });
    expect(JSON.stringify(refusal.details) + refusal.message).not.toContain(password);
  });

  it('names the field `password` by default', () => {
    try {
      policy.assertAcceptable('short');
    } catch (error) {
      expect((error as DomainError).details.errors?.[0]?.field).toBe('password');
    }
    expect.assertions(1);
  });

  it('bounds the length as configured', () => {
    expect(violation(policy, 'x7'.repeat(5) + 'q')).toBe('must be at least 12 characters');
    expect(violation(policy, 'x7'.repeat(6))).toBeUndefined();
    expect(violation(policy, 'x7'.repeat(128))).toBeUndefined();
    expect(violation(policy, 'x7'.repeat(128) + 'q')).toBe('must be at most 256 characters');

    const strict = new PasswordPolicy(
      loadConfig({ PASSWORD_MIN_LENGTH: '16', PASSWORD_MAX_LENGTH: '64' }),
    );
    expect(violation(strict, 'x7'.repeat(7) + 'q')).toBe('must be at least 16 characters');
    expect(violation(strict, 'x7'.repeat(33))).toBe('must be at most 64 characters');
  });

  it('counts Unicode code points, not UTF-16 units', () => {
    // Each emoji is two UTF-16 units but one character.
    expect(violation(policy, '🦊'.repeat(11))).toBe('must be at least 12 characters');
    expect(violation(policy, '🦊'.repeat(12))).toBeUndefined();
  });

  it('counts characters after NFKC: combining accents compose, ligatures expand', () => {
    const composed = 'e\u0301'; // e + combining acute: one é after NFKC
    expect(violation(policy, composed.repeat(11))).toBe('must be at least 12 characters');
    expect(violation(policy, composed.repeat(12))).toBeUndefined();
    const ligature = '\ufb03'; // ﬃ: three letters after NFKC
    expect(violation(policy, ligature.repeat(85) + 'z')).toBeUndefined();
    expect(violation(policy, ligature.repeat(86))).toBe('must be at most 256 characters');
  });

  it('refuses common passwords at any case, after normalization', () => {
    expect(violation(policy, 'qwerty123456')).toBe('is too common');
    expect(violation(policy, 'QwErTy123456')).toBe('is too common');
    // Full-width forms are the same characters after NFKC.
    expect(violation(policy, 'ｑｗｅｒｔｙ１２３４５６')).toBe('is too common');
    expect(violation(policy, 'qwerty1234567')).toBeUndefined();
  });

  it('ships a blocklist of tens of thousands of common passwords', () => {
    expect(commonPasswords().size).toBeGreaterThanOrEqual(10_000);
    expect(commonPasswords().has('password')).toBe(true);
  });

  it("refuses a password containing the email's local part, at any case", () => {
    const email = 'Alice.Smith@example.com';
    expect(violation(policy, 'my alice.smith rocks', { email })).toBe(
      'must not contain your email address',
    );
    expect(violation(policy, 'MY-ALICE.SMITH-ROCKS', { email: 'alice.smith@example.com' })).toBe(
      'must not contain your email address',
    );
    expect(violation(policy, 'alice smith rocks!', { email })).toBeUndefined();
    expect(violation(policy, 'alice.smith rocks', {})).toBeUndefined();
  });

  it('ignores local parts shorter than three characters', () => {
    expect(violation(policy, 'al bundy forever', { email: 'al@example.com' })).toBeUndefined();
    expect(violation(policy, 'bob bundy forever', { email: 'bob@example.com' })).toBe(
      'must not contain your email address',
    );
  });

  it.each([
    ['a line feed', 'first line of it\nsecond'],
    ['a carriage return and line feed', 'first line of it\r\nsecond'],
    ['a tab', 'tabbed\tpassphrase here'],
    ['NUL', 'nul inside \u0000 this one'],
    ['DEL', 'delete \u007f in passphrase'],
    ['a C1 control (NEL)', 'next line \u0085 passphrase'],
  ])('refuses %s', (_case, password) => {
    expect(violation(policy, password)).toBe(CONTROL_CHARACTERS);
  });

  it('names control characters before any other rule: at the start, the end, in a short one', () => {
    expect(violation(policy, '\nleading line break')).toBe(CONTROL_CHARACTERS);
    expect(violation(policy, 'trailing line break\n')).toBe(CONTROL_CHARACTERS);
    expect(violation(policy, 'pw\n')).toBe(CONTROL_CHARACTERS);
  });

  it('accepts spaces and other visible separators', () => {
    expect(violation(policy, 'non\u00a0breaking space here')).toBeUndefined();
    expect(violation(policy, 'ideographic\u3000space pass')).toBeUndefined();
  });

  it('normalizes with NFKC', () => {
    expect(normalizePassword('cafe\u0301')).toBe('caf\u00e9');
    expect(normalizePassword('ｐａｓｓ')).toBe('pass');
  });
});
