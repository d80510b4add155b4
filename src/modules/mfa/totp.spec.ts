import { AUTHENTICATOR_TOTP, matchTotpStep, totpCode, TotpParameters, totpTimeStep } from './totp';

/** RFC 6238 Appendix A: the seed repeated to the HMAC's output length. */
const SEEDS = {
  SHA1: Buffer.from('12345678901234567890', 'ascii'),
  SHA256: Buffer.from('12345678901234567890123456789012', 'ascii'),
  SHA512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii'),
};

describe('totpCode', () => {
  /** RFC 6238 Appendix B: unix seconds, algorithm, 8-digit TOTP. */
  const RFC_6238_VECTORS: [number, TotpParameters['algorithm'], string][] = [
    [59, 'SHA1', '94287082'],
    [59, 'SHA256', '46119246'],
    [59, 'SHA512', '90693936'],
    [1111111109, 'SHA1', '07081804'],
    [1111111109, 'SHA256', '68084774'],
    [1111111109, 'SHA512', '25091201'],
    [1111111111, 'SHA1', '14050471'],
    [1111111111, 'SHA256', '67062674'],
    [1111111111, 'SHA512', '99943326'],
    [1234567890, 'SHA1', '89005924'],
    [1234567890, 'SHA256', '91819424'],
    [1234567890, 'SHA512', '93441116'],
    [2000000000, 'SHA1', '69279037'],
    [2000000000, 'SHA256', '90698825'],
    [2000000000, 'SHA512', '38618901'],
    [20000000000, 'SHA1', '65353130'],
    [20000000000, 'SHA256', '77737706'],
    [20000000000, 'SHA512', '47863826'],
  ];

  it.each(RFC_6238_VECTORS)('RFC 6238: %i s with %s is %s', (seconds, algorithm, expected) => {
    const params = { algorithm, digits: 8, periodSeconds: 30 };
    const step = totpTimeStep(seconds * 1000, params);
    expect(totpCode(SEEDS[algorithm], step, params)).toBe(expected);
  });

  it('RFC 6238 lists the time steps of its vectors', () => {
    expect(
      [59, 1111111109, 1111111111, 1234567890, 2000000000, 20000000000].map((s) =>
        totpTimeStep(s * 1000).toString(16),
      ),
    ).toEqual(['1', '23523ec', '23523ed', '273ef07', '3f940aa', '27bc86aa']);
  });

  /** RFC 4226 Appendix D: 6-digit HOTP of counters 0 to 9 with the SHA1 seed. */
  const RFC_4226_VALUES = [
    '755224',
    '287082',
    '359152',
    '969429',
    '338314',
    '254676',
    '287922',
    '162583',
    '399871',
    '520489',
  ];

  it.each(RFC_4226_VALUES.map((code, counter) => [counter, code]))(
    'RFC 4226: counter %i is %s',
    (counter, expected) => {
      expect(totpCode(SEEDS.SHA1, counter)).toBe(expected);
    },
  );

  it('uses all 64 bits of the counter (value from Python hmac, counter 2^32 + 1)', () => {
    const params = { ...AUTHENTICATOR_TOTP, digits: 8 };
    expect(totpCode(SEEDS.SHA1, 2 ** 32 + 1, params)).toBe('39108930');
    expect(totpCode(SEEDS.SHA1, 1, params)).toBe('94287082');
  });

  it.each([-1, 1.5, Number.NaN, 2 ** 53])('refuses the time step %p', (step) => {
    expect(() => totpCode(SEEDS.SHA1, step)).toThrow(RangeError);
  });

  it.each([5, 9, 6.5])('refuses %p digits', (digits) => {
    expect(() => totpCode(SEEDS.SHA1, 1, { ...AUTHENTICATOR_TOTP, digits })).toThrow(RangeError);
  });
});

describe('totpTimeStep', () => {
  it('starts a step on the exact boundary millisecond', () => {
    expect(totpTimeStep(0)).toBe(0);
    expect(totpTimeStep(29_999)).toBe(0);
    expect(totpTimeStep(30_000)).toBe(1);
    expect(totpTimeStep(1_111_111_109_999)).toBe(37_037_036);
    expect(totpTimeStep(1_111_111_110_000)).toBe(37_037_037);
  });
});

describe('matchTotpStep', () => {
  const secret = SEEDS.SHA1;
  const step = 56_666_666;
  const now = step * 30_000 + 12_345;
  const codeAt = (offset: number) => totpCode(secret, step + offset);

  it.each([-1, 0, 1])('accepts the code of step %i within window 1, as that step', (offset) => {
    expect(matchTotpStep(secret, codeAt(offset), now, { window: 1 })).toBe(step + offset);
  });

  it.each([-2, 2])('refuses the code of step %i outside window 1', (offset) => {
    expect(matchTotpStep(secret, codeAt(offset), now, { window: 1 })).toBeNull();
  });

  it('window 0 accepts only the current step', () => {
    expect(matchTotpStep(secret, codeAt(0), now, { window: 0 })).toBe(step);
    expect(matchTotpStep(secret, codeAt(-1), now, { window: 0 })).toBeNull();
  });

  it('moves to the next step at the exact boundary millisecond', () => {
    const lastMs = (step + 1) * 30_000 - 1;
    expect(matchTotpStep(secret, codeAt(-1), lastMs, { window: 1 })).toBe(step - 1);
    expect(matchTotpStep(secret, codeAt(-1), lastMs + 1, { window: 1 })).toBeNull();
    expect(matchTotpStep(secret, codeAt(2), lastMs, { window: 1 })).toBeNull();
    expect(matchTotpStep(secret, codeAt(2), lastMs + 1, { window: 1 })).toBe(step + 2);
  });

  it('refuses a step already accepted or earlier (replay)', () => {
    expect(matchTotpStep(secret, codeAt(0), now, { window: 1, after: step })).toBeNull();
    expect(matchTotpStep(secret, codeAt(0), now, { window: 1, after: step + 1 })).toBeNull();
    expect(matchTotpStep(secret, codeAt(-1), now, { window: 1, after: step - 1 })).toBeNull();
  });

  it('accepts a step later than the last one accepted', () => {
    expect(matchTotpStep(secret, codeAt(0), now, { window: 1, after: step - 1 })).toBe(step);
    expect(matchTotpStep(secret, codeAt(1), now, { window: 1, after: step })).toBe(step + 1);
    expect(matchTotpStep(secret, codeAt(0), now, { window: 1, after: null })).toBe(step);
  });

  it('returns the earliest step after `after` when two steps share a code', () => {
    // Steps 56188870 and 56188871 both give 617002 (found by a search with Python's hmac).
    const first = 56_188_870;
    expect(totpCode(secret, first)).toBe('617002');
    expect(totpCode(secret, first + 1)).toBe('617002');
    const at = (first + 1) * 30_000;
    expect(matchTotpStep(secret, '617002', at, { window: 1 })).toBe(first);
    expect(matchTotpStep(secret, '617002', at, { window: 1, after: first })).toBe(first + 1);
    expect(matchTotpStep(secret, '617002', at, { window: 1, after: first + 1 })).toBeNull();
  });

  it.each([
    '',
    '12345',
    '1234567',
    '12a456',
    ' 123456',
    '123456 ',
    '123456\n',
    '１２３４５６',
    '+12345',
    '-12345',
    '12 456',
  ])('refuses the malformed code %p', (code) => {
    expect(matchTotpStep(secret, code, now, { window: 1 })).toBeNull();
  });

  it('does not count steps before the epoch', () => {
    expect(matchTotpStep(secret, totpCode(secret, 0), 1_000, { window: 2 })).toBe(0);
  });

  it.each([-1, 0.5])('refuses the window %p', (window) => {
    expect(() => matchTotpStep(secret, codeAt(0), now, { window })).toThrow(RangeError);
  });
});
