import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { hash, parseOptions, verify, type Algorithm, type Version } from '@node-rs/argon2';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { ConcurrencyLimit } from '../concurrency/concurrency-limit';
import { normalizePassword } from './password-policy';

/** `@node-rs/argon2`'s const enums are types only at run time: their values, as it declares them. */
const ARGON2ID = 2 as Algorithm;
const VERSION_19 = 1 as Version;

export interface PasswordVerification {
  valid: boolean;
  /** Only ever true with `valid`: the caller then holds the password and can store a new hash. */
  needsRehash: boolean;
}

/**
 * argon2id with the configured parameters; every password is NFKC-normalized first.
 *
 * The binding is `@node-rs/argon2` (the RustCrypto implementation, run on the libuv
 * threadpool): it verifies more hashes per second than the `argon2` (reference C) binding with
 * the same parameters, and costs the event loop less per call (bench/RESULTS.md, the login
 * section). Both write and read the same PHC strings, keyed by the same argon2 secret, so
 * hashes stored by either verify.
 *
 * At most `ARGON2_MAX_CONCURRENT` run at once (by default this process's share of one libuv
 * threadpool's threads, and of no more than the machine's cores, so that worker processes
 * together hash no more at once than one process would): each holds the configured memory while
 * it runs.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private readonly logger = new Logger(PasswordHasher.name);
  private readonly parameters: { memoryCost: number; timeCost: number; parallelism: number };
  private readonly secret: { secret?: Buffer };
  private readonly limit: ConcurrencyLimit;
  private dummyHash: Promise<string> | undefined;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { memoryKib, iterations, parallelism } = config.passwords.argon2;
    this.limit = new ConcurrencyLimit(config.passwords.maxConcurrentHashes);
    this.parameters = { memoryCost: memoryKib, timeCost: iterations, parallelism };
    this.secret = config.passwords.pepper ? { secret: config.passwords.pepper } : {};
  }

  /** Made at boot, so that not even the first login of an unknown account takes longer. */
  async onModuleInit(): Promise<void> {
    await this.dummy();
  }

  hash(password: string): Promise<string> {
    const normalized = normalizePassword(password);
    return this.limit.run(() =>
      hash(normalized, {
        algorithm: ARGON2ID,
        version: VERSION_19,
        ...this.parameters,
        ...this.secret,
      }),
    );
  }

  /**
   * `hash` null (unknown account, or one without a password) costs the same as a wrong password,
   * so the time of a login does not tell whether the account exists.
   */
  async verify(stored: string | null, password: string): Promise<PasswordVerification> {
    const rejected = { valid: false, needsRehash: false };
    const normalized = normalizePassword(password);
    if (stored === null) {
      const dummy = await this.dummy();
      await this.limit.run(() => verify(dummy, normalized, this.secret));
      return rejected;
    }
    let valid: boolean;
    try {
      valid = await this.limit.run(() => verify(stored, normalized, this.secret));
    } catch {
      // Never the hash itself: it is a credential, and the library's messages can quote it.
      this.logger.warn('A stored password hash is malformed; the login is refused');
      return rejected;
    }
    if (!valid) return rejected;
    return { valid, needsRehash: this.outdated(stored) };
  }

  /** A verified hash's header: `stored` is known to parse. */
  private outdated(stored: string): boolean {
    const made = parseOptions(stored);
    return (
      made.algorithm !== ARGON2ID ||
      made.version !== VERSION_19 ||
      made.memoryCost !== this.parameters.memoryCost ||
      made.timeCost !== this.parameters.timeCost ||
      made.parallelism !== this.parameters.parallelism
    );
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= this.hash(randomBytes(32).toString('base64url'));
    return this.dummyHash;
  }
}
