import { Logger } from '@nestjs/common';
import argon2 from 'argon2';
import { loadConfig } from '../../config/load-config';
import { PasswordHasher } from './password-hasher';

/** The module object itself (an ES namespace import would be frozen), so `verify` can be spied on. */
const rustArgon2 = jest.requireActual<typeof import('@node-rs/argon2')>('@node-rs/argon2');

const PEPPER = Buffer.alloc(32, 9).toString('base64');
const OTHER_PEPPER = Buffer.alloc(32, 8).toString('base64');

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher(loadConfig({}));
  const password = 'correct horse battery staple';

  afterEach(() => jest.restoreAllMocks());

  it('hashes with argon2id and the configured parameters, salted', async () => {
    const hash = await hasher.hash(password);
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(hash).not.toContain(password);
    expect(await hasher.hash(password)).not.toBe(hash);
  });

  it('verifies the password it hashed and refuses another', async () => {
    const hash = await hasher.hash(password);
    expect(await hasher.verify(hash, password)).toEqual({ valid: true, needsRehash: false });
    expect(await hasher.verify(hash, 'correct horse battery stapl')).toEqual({
      valid: false,
      needsRehash: false,
    });
  });

  it('treats NFKC-equivalent inputs as the same password', async () => {
    const hash = await hasher.hash('caf\u00e9 \ufb01 ｐａｓｓ');
    expect((await hasher.verify(hash, 'cafe\u0301 fi pass')).valid).toBe(true);
  });

  it('never truncates: passwords differing only past 200 characters differ', async () => {
    const prefix = 'p'.repeat(200);
    const hash = await hasher.hash(`${prefix}A`);
    expect((await hasher.verify(hash, `${prefix}B`)).valid).toBe(false);
    expect((await hasher.verify(hash, `${prefix}A`)).valid).toBe(true);
    const long = 'q'.repeat(5000);
    expect((await hasher.verify(await hasher.hash(`${long}1`), `${long}2`)).valid).toBe(false);
  });

  it('keys hashes with the pepper: they verify only with the same pepper', async () => {
    const peppered = new PasswordHasher(loadConfig({ PASSWORD_PEPPER: PEPPER }));
    const hash = await peppered.hash(password);
    expect((await peppered.verify(hash, password)).valid).toBe(true);
    expect((await hasher.verify(hash, password)).valid).toBe(false);
    const repeppered = new PasswordHasher(loadConfig({ PASSWORD_PEPPER: OTHER_PEPPER }));
    expect((await repeppered.verify(hash, password)).valid).toBe(false);
    expect((await peppered.verify(await hasher.hash(password), password)).valid).toBe(false);
  });

  it('asks for a rehash when the parameters change, only once the password is proven', async () => {
    const older = new PasswordHasher(loadConfig({ ARGON2_ITERATIONS: '3' }));
    const hash = await older.hash(password);
    expect(await older.verify(hash, password)).toEqual({ valid: true, needsRehash: false });
    expect(await hasher.verify(hash, password)).toEqual({ valid: true, needsRehash: true });
    expect(await hasher.verify(hash, 'wrong password!')).toEqual({
      valid: false,
      needsRehash: false,
    });
  });

  it('verifies hashes stored by the `argon2` binding, peppered or not, and refuses wrong passwords', async () => {
    const parameters = {
      type: argon2.argon2id,
      memoryCost: 19456,
      timeCost: 2,
      parallelism: 1,
    } as const;
    const stored = await argon2.hash(password, parameters);
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(await hasher.verify(stored, password)).toEqual({ valid: true, needsRehash: false });
    expect((await hasher.verify(stored, `${password}!`)).valid).toBe(false);

    const peppered = new PasswordHasher(loadConfig({ PASSWORD_PEPPER: PEPPER }));
    const secret = Buffer.from(PEPPER, 'base64');
    const storedPeppered = await argon2.hash(password, { ...parameters, secret });
    expect(await peppered.verify(storedPeppered, password)).toEqual({
      valid: true,
      needsRehash: false,
    });
    expect((await hasher.verify(storedPeppered, password)).valid).toBe(false);
    // And the other way round: what this service stores, the other binding reads.
    expect(await argon2.verify(await hasher.hash(password), password)).toBe(true);
    expect(await argon2.verify(await peppered.hash(password), password, { secret })).toBe(true);
  });

  it('asks for a rehash of a hash of another argon2 variant', async () => {
    const hash = await argon2.hash(password, {
      type: argon2.argon2i,
      memoryCost: 19456,
      timeCost: 2,
      parallelism: 1,
    });
    expect(await hasher.verify(hash, password)).toEqual({ valid: true, needsRehash: true });
  });

  it('spends a verification on a dummy hash with the current parameters when there is no hash', async () => {
    await hasher.onModuleInit();
    const verify = jest.spyOn(rustArgon2, 'verify');
    expect(await hasher.verify(null, password)).toEqual({ valid: false, needsRehash: false });
    expect(verify).toHaveBeenCalledTimes(1);
    expect(verify.mock.calls[0][0]).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    // Made once: every later call verifies against the same dummy.
    await hasher.verify(null, 'another guess');
    expect(verify.mock.calls[1][0]).toBe(verify.mock.calls[0][0]);
  });

  it('runs no more hashes and verifications at once than ARGON2_MAX_CONCURRENT', async () => {
    const limited = new PasswordHasher(loadConfig({ ARGON2_MAX_CONCURRENT: '1' }));
    let running = 0;
    let most = 0;
    const counted =
      <A extends unknown[], R>(original: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        most = Math.max(most, ++running);
        try {
          return await original(...args);
        } finally {
          running--;
        }
      };
    const { hash, verify } = rustArgon2;
    jest.spyOn(rustArgon2, 'hash').mockImplementation(counted(hash));
    jest.spyOn(rustArgon2, 'verify').mockImplementation(counted(verify));
    const stored = await hasher.hash(password);
    // An unknown account's first verification makes the dummy hash in a turn of its own first.
    const answers = await Promise.all([
      limited.verify(null, password),
      limited.verify(stored, password),
      limited.hash(password),
      limited.verify(stored, 'wrong password!'),
    ]);
    expect(answers[0]).toEqual({ valid: false, needsRehash: false });
    expect(answers[1]).toEqual({ valid: true, needsRehash: false });
    expect((await limited.verify(answers[2], password)).valid).toBe(true);
    expect(answers[3]).toEqual({ valid: false, needsRehash: false });
    expect(most).toBe(1);
  });

  it('refuses a malformed stored hash, logging neither it nor the password', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const malformed = [
      '',
      'not a hash',
      '$argon2id$v=19$m=19456,t=2,p=1$c2VjcmV0c2FsdHNlY3JldA$aGFzaA$unexpected',
      '$argon2id$v=19$m=1,t=2,p=1$c2VjcmV0c2FsdHNlY3JldA$aGFzaGhhc2hoYXNoaGFzaA',
    ];
    for (const hash of malformed) {
      expect(await hasher.verify(hash, password)).toEqual({ valid: false, needsRehash: false });
    }
    expect(warn).toHaveBeenCalledTimes(malformed.length);
    const logged = JSON.stringify(warn.mock.calls);
    expect(logged).not.toContain('c2VjcmV0c2FsdHNlY3JldA');
    expect(logged).not.toContain(password);
  });
});
