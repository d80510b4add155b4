import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import * as argon2 from 'argon2';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { normalizePassword } from './password-policy';

export interface PasswordVerification {
  valid: boolean;
  /** Only ever true with `valid`: the caller then holds the password and can store a new hash. */
  needsRehash: boolean;
}

/** argon2id with the configured parameters; every password is NFKC-normalized first. */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private readonly logger = new Logger(PasswordHasher.name);
  private readonly parameters: { memoryCost: number; timeCost: number; parallelism: number };
  private readonly secret: { secret?: Buffer };
  private dummyHash: Promise<string> | undefined;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { memoryKib, iterations, parallelism } = config.passwords.argon2;
    this.parameters = { memoryCost: memoryKib, timeCost: iterations, parallelism };
    this.secret = config.passwords.pepper ? { secret: config.passwords.pepper } : {};
  }

  /** Made at boot, so that not even the first login of an unknown account takes longer. */
  async onModuleInit(): Promise<void> {
    await this.dummy();
  }

  hash(password: string): Promise<string> {
    return argon2.hash(normalizePassword(password), {
      type: argon2.argon2id,
      ...this.parameters,
      ...this.secret,
    });
  }

  /**
   * `hash` null (unknown account, or one without a password) costs the same as a wrong password,
   * so the time of a login does not tell whether the account exists.
   */
  async verify(hash: string | null, password: string): Promise<PasswordVerification> {
    const rejected = { valid: false, needsRehash: false };
    if (hash === null) {
      await argon2.verify(await this.dummy(), normalizePassword(password), this.secret);
      return rejected;
    }
    let valid: boolean;
    try {
      valid = await argon2.verify(hash, normalizePassword(password), this.secret);
    } catch {
      // The library's messages can quote parts of the stored hash: say only what happened.
      this.logger.warn('A stored password hash is malformed; the login is refused');
      return rejected;
    }
    if (!valid) return rejected;
    const outdated = !hash.startsWith('$argon2id$') || argon2.needsRehash(hash, this.parameters);
    return { valid, needsRehash: outdated };
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= this.hash(randomBytes(32).toString('base64url'));
    return this.dummyHash;
  }
}
