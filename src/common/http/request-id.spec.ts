import { resolveRequestId } from './request-id';

describe('resolveRequestId', () => {
  it('keeps a plain token up to 128 characters', () => {
    expect(resolveRequestId('abc-123_DEF.4:5')).toBe('abc-123_DEF.4:5');
    expect(resolveRequestId('a'.repeat(128))).toBe('a'.repeat(128));
  });

  it.each([
    ['a'.repeat(129)],
    [''],
    ['line\nbreak'],
    ['with space'],
    ['"quoted"'],
    ['é'],
    ['bob.smith@example.com'],
  ])('replaces %j with a fresh UUID', (header) => {
    expect(resolveRequestId(header)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/);
  });

  it('uses the first value of a repeated header', () => {
    expect(resolveRequestId(['first', 'second'])).toBe('first');
  });
});
