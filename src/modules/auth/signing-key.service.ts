import { createHash, generateKeyPair, KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { EnvelopeCipher } from '../../common/crypto/envelope-cipher';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { KeySetTransaction } from './key-set.transaction';
import { SigningKeyRepository } from './signing-key.repository';

const generateKeyPairAsync = promisify(generateKeyPair);

/** How often each instance checks whether the current key is due for rotation. */
const ROTATION_CHECK_INTERVAL_MS = 60 * 60 * 1000;
/** Clock skew verifiers are allowed: a retired key stays published this much past the TTL. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
/** Published keys are served from memory this long; rotation publishes keys a period ahead. */
const JWKS_CACHE_MS = 30 * 1000;

export type PublicJwk = Record<string, string>;

/** The members RFC 7638 hashes for each key type, in the order it prescribes. */
const THUMBPRINT_MEMBERS: Record<string, string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
};

function jwkThumbprint(jwk: PublicJwk): string {
  const members = THUMBPRINT_MEMBERS[jwk.kty];
  if (!members) throw new Error(`no thumbprint members for key type ${jwk.kty}`);
  const canonical = JSON.stringify(Object.fromEntries(members.map((m) => [m, jwk[m]])));
  return createHash('sha256').update(canonical).digest('base64url');
}

async function generateSigningKeyPair(
  alg: AppConfig['tokens']['signingAlg'],
): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  switch (alg) {
    case 'ES256':
      return generateKeyPairAsync('ec', { namedCurve: 'P-256' });
    case 'RS256':
      return generateKeyPairAsync('rsa', { modulusLength: 3072 });
    case 'EdDSA':
      return generateKeyPairAsync('ed25519');
  }
}

/**
 * The token-signing key set: generated on first start, rotated on schedule (checked hourly by
 * every instance, done by one under a lock) or on demand, and published as a JWKS with the
 * next key ahead of use and retired keys until the tokens they signed have expired.
 */
@Injectable()
export class SigningKeyService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SigningKeyService.name);
  private timer: NodeJS.Timeout | undefined;
  private cached: { keys: PublicJwk[]; until: number } | undefined;

  constructor(
    private readonly keys: SigningKeyRepository,
    private readonly cipher: EnvelopeCipher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.rotateIfDue();
    this.timer = setInterval(() => {
      this.rotateIfDue().catch((error: unknown) =>
        this.logger.error({ err: error }, 'Scheduled signing key rotation failed'),
      );
    }, ROTATION_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Completes the key set and rotates when the current key has served its period. */
  rotateIfDue(now = new Date()): Promise<boolean> {
    const period = this.config.tokens.signingKeyRotationDays * 24 * 60 * 60 * 1000;
    return this.keys.changeKeySet(async (tx) => {
      const current = await tx.findByStatus('current');
      const due = !current || now.getTime() - (current.activatedAt?.getTime() ?? 0) >= period;
      if (due) await this.advance(tx, now);
      else if (!(await tx.findByStatus('next'))) await this.addNextKey(tx);
      return due;
    });
  }

  /** Rotates now, whatever the schedule says (`npm run cli -- keys:rotate`). */
  async rotate(now = new Date()): Promise<void> {
    await this.keys.changeKeySet((tx) => this.advance(tx, now));
  }

  /** The public keys verifiers need, newest first, without any private member. */
  async publishedKeys(now = new Date()): Promise<PublicJwk[]> {
    if (this.cached && this.cached.until > now.getTime()) return this.cached.keys;
    const keys = (await this.keys.findPublished(this.retiredCutoff(now))).map((k) => k.publicJwk);
    this.cached = { keys, until: now.getTime() + JWKS_CACHE_MS };
    return keys;
  }

  private retiredCutoff(now: Date): Date {
    return new Date(
      now.getTime() - this.config.tokens.accessTokenTtlSeconds * 1000 - CLOCK_SKEW_MS,
    );
  }

  private async advance(tx: KeySetTransaction, now: Date): Promise<void> {
    const current = await tx.findByStatus('current');
    const next = (await tx.findByStatus('next')) ?? (await this.addNextKey(tx));
    await tx.promote(current, next, now);
    await this.addNextKey(tx);
    await tx.deleteRetiredBefore(this.retiredCutoff(now));
    this.cached = undefined;
    this.logger.log(`Signing key ${next.kid} is now current`);
  }

  private async addNextKey(tx: KeySetTransaction) {
    const alg = this.config.tokens.signingAlg;
    const { publicKey, privateKey } = await generateSigningKeyPair(alg);
    const jwk = publicKey.export({ format: 'jwk' }) as PublicJwk;
    const kid = jwkThumbprint(jwk);
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    const key = {
      kid,
      alg,
      status: 'next' as const,
      publicJwk: { ...jwk, kid, alg, use: 'sig' },
      privateKeySealed: this.cipher.encrypt(der, signingKeyContext(kid)),
      activatedAt: null,
      retiredAt: null,
    };
    der.fill(0);
    await tx.insert(key);
    this.cached = undefined;
    return key;
  }
}

/** Associated data binding a sealed private key to its row. */
export function signingKeyContext(kid: string): string {
  return `signing_keys:${kid}`;
}
