import fc from 'fast-check';
import { decodeBase32, encodeBase32 } from './base32';

describe('base32', () => {
  /** RFC 4648 §10, without the padding the otpauth format leaves out. */
  const RFC_4648_VECTORS = [
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ];

  it.each(RFC_4648_VECTORS)('encodes %p as %p', (text, encoded) => {
    expect(encodeBase32(Buffer.from(text))).toBe(encoded);
  });

  it.each(RFC_4648_VECTORS)('decodes %p from %p', (text, encoded) => {
    expect(decodeBase32(encoded)).toEqual(Buffer.from(text));
  });

  it.each([
    ['MY======', 'f'],
    ['MZXQ====', 'fo'],
    ['MZXW6===', 'foo'],
    ['MZXW6YQ=', 'foob'],
    ['MZXW6YTBOI======', 'foobar'],
  ])('decodes the padded %p', (encoded, text) => {
    expect(decodeBase32(encoded)).toEqual(Buffer.from(text));
  });

  it('decodes lower case and groups separated by spaces', () => {
    expect(decodeBase32('mzxw6ytboi')).toEqual(Buffer.from('foobar'));
    expect(decodeBase32('mzxw 6ytb oi')).toEqual(Buffer.from('foobar'));
    expect(decodeBase32(' MzXw6YtBoI== ')).toEqual(Buffer.from('foobar'));
  });

  it.each(['MZXW0', 'MZXW1', 'MZXW8', 'MZXW9', 'MZXW!', 'MZ-XW6', 'MZXW6\t', 'MZXW6\n'])(
    'refuses the invalid character in %p',
    (encoded) => {
      expect(decodeBase32(encoded)).toBeNull();
    },
  );

  it('refuses non-ASCII letters that upper-case into the alphabet', () => {
    expect('ı'.toUpperCase()).toBe('I');
    expect(decodeBase32('MZXWıYQ')).toBeNull();
    expect(decodeBase32('ſZXW6YQ')).toBeNull();
  });

  it('refuses padding before the end', () => {
    expect(decodeBase32('MY==MZXQ')).toBeNull();
  });

  it.each(['M', 'MZX', 'MZXW6Y', 'MZXW6YTBO'])('refuses the impossible length of %p', (encoded) => {
    expect(decodeBase32(encoded)).toBeNull();
  });

  it.each(['MZ', 'MZXR', 'MZXW7', 'MZXW6YR', 'MZXW6YTBOJ'])(
    'refuses the non-zero trailing bits of %p',
    (encoded) => {
      expect(decodeBase32(encoded)).toBeNull();
    },
  );

  it('decodes what it encodes, and encodes only the alphabet', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const encoded = encodeBase32(Buffer.from(bytes));
        expect(encoded).toMatch(/^[A-Z2-7]*$/);
        expect(encoded).toHaveLength(Math.ceil((bytes.length * 8) / 5));
        expect(decodeBase32(encoded)).toEqual(Buffer.from(bytes));
        expect(decodeBase32(encoded.toLowerCase())).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it('encodes again exactly what it decoded: one spelling per secret', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Z2-7]{0,40}$/), (text) => {
        const decoded = decodeBase32(text);
        if (decoded !== null) expect(encodeBase32(decoded)).toBe(text);
      }),
    );
  });
});
