import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  KeyObject,
  verify,
} from 'node:crypto';
import { promisify } from 'node:util';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { EnvelopeCipher } from '../../common/crypto/envelope-cipher';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { signCompactJws } from './compact-jws';
import { KeySetTransaction } from './key-set-transaction.repository';
import { SigningKey } from './signing-key.entity';
import { SigningKeyRepository } from './signing-key.repository';

const generateKeyPairAsync = promisify(generateKeyPair);

/** How often each instance checks whether the current key is due for rotation. */
const ROTATION_CHECK_INTERVAL_MS = 60 * 60 * 1000;
/** Clock skew verifiers are allowed: a retired key stays published this much past the TTL. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
/** This instance re-reads the key set at most this often. */
const JWKS_CACHE_MS = 30 * 1000;
/** How long verifiers may cache the JWKS (its Cache-Control max-age). */
export const JWKS_MAX_AGE_S = 300;
/**
 * A next key must have been published this long before it signs: every verifier's cached
 * JWKS (and every instance's in-memory copy) has then been refreshed and contains it.
 */
export const PUBLICATION_LEAD_MS = JWKS_MAX_AGE_S * 1000 + JWKS_CACHE_MS + CLOCK_SKEW_MS;

export type PublicJwk = Record<string, string>;

/** The key tokens are signed with now. */
export interface Signer {
  kid: string;
  alg: string;
  privateKey: KeyObject;
}

/** A published key, ready to verify with. */
export interface VerificationKey {
  alg: string;
  publicKey: KeyObject;
}

/** A kid we do not know triggers at most one re-read of the key set per this interval. */
const UNKNOWN_KID_RELOAD_MS = 5 * 1000;

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

/** Associated data binding a sealed private key to its row. */
export function signingKeyContext(kid: string): string {
  return `signing_keys:${kid}`;
}

/** A statement of Gatehouse's own, signed with the key that was current, and that key. */
export interface SignedStatement {
  jws: string;
  kid: string;
  /** The public half of the signing key, for verifying once the key is no longer published. */
  publicJwk: PublicJwk;
}

/** What checking a signed statement found. */
export type StatementCheck =
  | { valid: true; payload: Record<string, unknown>; kid: string; key: 'published' | 'recorded' }
  | { valid: false; reason: string };

const STATEMENT_DIGESTS: Record<string, string | null> = {
  ES256: 'sha256',
  RS256: 'sha256',
  EdDSA: null,
};

const PUBLISHED_ORDER: Record<SigningKey['status'], number> = { current: 0, next: 1, retired: 2 };

/**
 * The token-signing key set: generated on first start, rotated on schedule (checked hourly by
 * every instance, done by one under a lock) or on demand, and published as a JWKS with the
 * next key a publication lead ahead of use and retired keys until the tokens they signed have
 * expired.
 */
@Injectable()
export class SigningKeyService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SigningKeyService.name);
  private timer: NodeJS.Timeout | undefined;
  private cached: { keys: SigningKey[]; until: number } | undefined;
  private signer: { signer: Signer; until: number } | undefined;
  private signerReload: Promise<Signer> | undefined;
  private verificationKeys = new Map<string, VerificationKey>();
  private verificationKeysFrom: SigningKey[] | undefined;
  private lastUnknownKidReload = 0;

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

  /**
   * Completes the key set (first start), rotates when the current key has served its period and
   * the next one has been published long enough, and prunes expired retired keys. Returns
   * whether a key became current.
   */
  async rotateIfDue(now = new Date()): Promise<boolean> {
    const period = this.config.tokens.signingKeyRotationDays * 24 * 60 * 60 * 1000;
    const rotated = await this.keys.changeKeySet(async (tx) => {
      const current = await tx.findByStatus('current');
      const next = await tx.findByStatus('next');
      this.assertOpenable(current, next);
      let promoted = false;
      if (!current) {
        // First start: nothing was published before, so the first key signs at once.
        await this.advance(tx, null, next ?? (await this.addNextKey(tx)), now);
        promoted = true;
      } else if (!next) {
        await this.addNextKey(tx);
      } else if (
        now.getTime() - current.activatedAt!.getTime() >= period &&
        this.publishedLongEnough(next, now)
      ) {
        await this.advance(tx, current, next, now);
        promoted = true;
      }
      await tx.deleteRetiredBefore(this.retiredCutoff(now));
      return promoted;
    });
    this.cached = undefined;
    return rotated;
  }

  /**
   * Rotates now, whatever the schedule (`npm run cli -- keys:rotate`). Refuses while the next
   * key is younger than the publication lead, since verifiers may not have it yet; `force`
   * rotates anyway, for a compromised key, at the price of a few minutes of rejected tokens.
   */
  async rotate({ now = new Date(), force = false } = {}): Promise<SigningKey> {
    const next = await this.keys.changeKeySet(async (tx) => {
      const current = await tx.findByStatus('current');
      const candidate = await tx.findByStatus('next');
      this.assertOpenable(current, candidate);
      const next = candidate ?? (await this.addNextKey(tx));
      if (!force && current && !this.publishedLongEnough(next, now)) {
        const ready = new Date(next.createdAt.getTime() + PUBLICATION_LEAD_MS);
        throw new Error(
          `next key ${next.kid} has been published only since ${next.createdAt.toISOString()}; ` +
            `verifiers may not have it before ${ready.toISOString()} (use --force for a compromised key)`,
        );
      }
      await this.advance(tx, current, next, now);
      return next;
    });
    this.cached = undefined;
    return next;
  }

  /** The public keys verifiers need, current first, without any private member. */
  async publishedKeys(now = new Date()): Promise<PublicJwk[]> {
    const keys = await this.loadKeys();
    const cutoff = this.retiredCutoff(now).getTime();
    return keys
      .filter((k) => k.status !== 'retired' || k.retiredAt!.getTime() > cutoff)
      .sort((a, b) => PUBLISHED_ORDER[a.status] - PUBLISHED_ORDER[b.status])
      .map((k) => k.publicJwk);
  }

  /**
   * Signs a statement of Gatehouse's own (an audit checkpoint) with the current key: a compact
   * JWS of type `typ` that anyone holding the JWKS can check.
   */
  async signStatement(typ: string, payload: Record<string, unknown>): Promise<SignedStatement> {
    const signer = await this.currentSigner();
    const jws = signCompactJws(
      { alg: signer.alg, kid: signer.kid, typ },
      payload,
      signer.privateKey,
    );
    const jwk = createPublicKey(signer.privateKey).export({ format: 'jwk' }) as PublicJwk;
    return {
      jws,
      kid: signer.kid,
      publicJwk: { ...jwk, kid: signer.kid, alg: signer.alg, use: 'sig' },
    };
  }

  /**
   * Checks a statement of type `typ` signed by `signStatement`: with the published key of its
   * kid, or, once that key was retired and pruned, with `recorded` (the JWK kept with the
   * statement), which must be the key the kid names (its RFC 7638 thumbprint). The answer says
   * which: a recorded key proves only that whoever wrote the statement held that key.
   */
  async verifyStatement(
    typ: string,
    jws: string,
    recorded: PublicJwk | null,
  ): Promise<StatementCheck> {
    const parts = jws.split('.');
    if (parts.length !== 3) return { valid: false, reason: 'not a compact JWS' };
    let header: Record<string, unknown>;
    let payload: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as Record<
        string,
        unknown
      >;
      payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<
        string,
        unknown
      >;
    } catch {
      return { valid: false, reason: 'not a compact JWS' };
    }
    if (header.typ !== typ || typeof header.kid !== 'string' || typeof header.alg !== 'string') {
      return { valid: false, reason: `not a ${typ} statement` };
    }
    const kid = header.kid;
    const digest = STATEMENT_DIGESTS[header.alg];
    if (digest === undefined)
      return { valid: false, reason: `unsupported algorithm ${header.alg}` };
    let source: 'published' | 'recorded' = 'published';
    let key = await this.verificationKey(kid);
    if (!key) {
      if (!recorded || recorded.kid !== kid || jwkThumbprint(recorded) !== kid) {
        return { valid: false, reason: `signing key ${kid} is neither published nor recorded` };
      }
      key = { alg: recorded.alg, publicKey: createPublicKey({ key: recorded, format: 'jwk' }) };
      source = 'recorded';
    }
    if (key.alg !== header.alg) return { valid: false, reason: `key ${kid} is not ${header.alg}` };
    const valid = verify(
      digest,
      Buffer.from(`${parts[0]}.${parts[1]}`),
      { key: key.publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(parts[2], 'base64url'),
    );
    return valid
      ? { valid: true, payload, kid, key: source }
      : { valid: false, reason: `the signature does not verify with key ${kid}` };
  }

  /** Algorithms of the current and next keys: what tokens are signed with now and soon. */
  async signingAlgorithms(): Promise<string[]> {
    const keys = await this.loadKeys();
    return [...new Set(keys.filter((k) => k.status !== 'retired').map((k) => k.alg))];
  }

  /**
   * The current key with its private half opened, re-read at most every JWKS_CACHE_MS. Right
   * after another instance rotates, this one may sign with the previous key for those seconds:
   * harmless, since a retired key stays published for the whole token lifetime. Once a key is
   * known, an expired cache is refreshed by one read in the background while requests go on
   * signing with the key they have: no burst of reads at each expiry, and no request waits for
   * a pool connection to sign (which, inside a transaction, could wait for itself).
   */
  async currentSigner(): Promise<Signer> {
    if (this.signer && this.signer.until > Date.now()) return this.signer.signer;
    if (!this.signerReload) {
      this.signerReload = this.reloadSigner().finally(() => (this.signerReload = undefined));
      if (this.signer) {
        this.signerReload.catch((error: unknown) =>
          this.logger.error({ err: error }, 'Could not re-read the current signing key'),
        );
      }
    }
    return this.signer ? this.signer.signer : this.signerReload;
  }

  private async reloadSigner(): Promise<Signer> {
    const current = await this.keys.findCurrentWithPrivateKey();
    if (!current?.privateKeySealed) throw new Error('no current signing key');
    if (this.signer?.signer.kid !== current.kid) {
      const der = this.cipher.decrypt(current.privateKeySealed, signingKeyContext(current.kid));
      const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      der.fill(0);
      this.signer = { signer: { kid: current.kid, alg: current.alg, privateKey }, until: 0 };
    }
    this.signer.until = Date.now() + JWKS_CACHE_MS;
    return this.signer.signer;
  }

  /**
   * The published key with this kid, or null. An unknown kid re-reads the key set (from our
   * own database, never from anything the token names) at most once per UNKNOWN_KID_RELOAD_MS,
   * so a stream of made-up kids cannot turn into a stream of queries.
   */
  async verificationKey(kid: string, now = new Date()): Promise<VerificationKey | null> {
    await this.syncVerificationKeys(now);
    const known = this.verificationKeys.get(kid);
    if (known || Date.now() - this.lastUnknownKidReload < UNKNOWN_KID_RELOAD_MS) {
      return known ?? null;
    }
    this.lastUnknownKidReload = Date.now();
    this.cached = undefined;
    await this.syncVerificationKeys(now);
    return this.verificationKeys.get(kid) ?? null;
  }

  private async syncVerificationKeys(now: Date): Promise<void> {
    const published = await this.publishedKeys(now);
    if (this.verificationKeysFrom === this.cached?.keys && this.verificationKeys.size > 0) {
      // Same snapshot: only drop keys whose retirement window has passed.
      const live = new Set(published.map((k) => k.kid));
      for (const kid of this.verificationKeys.keys()) {
        if (!live.has(kid)) this.verificationKeys.delete(kid);
      }
      return;
    }
    this.verificationKeys = new Map(
      published.map((jwk) => [
        jwk.kid,
        { alg: jwk.alg, publicKey: createPublicKey({ key: jwk, format: 'jwk' }) },
      ]),
    );
    this.verificationKeysFrom = this.cached?.keys;
  }

  private async loadKeys(): Promise<SigningKey[]> {
    if (!this.cached || this.cached.until <= Date.now()) {
      this.cached = { keys: await this.keys.findAll(), until: Date.now() + JWKS_CACHE_MS };
    }
    return this.cached.keys;
  }

  private publishedLongEnough(next: SigningKey, now: Date): boolean {
    return now.getTime() - next.createdAt.getTime() >= PUBLICATION_LEAD_MS;
  }

  /** A retired key stays published while a token it signed, user's or service's, may be valid. */
  private retiredCutoff(now: Date): Date {
    const { accessTokenTtlSeconds, clientAccessTokenTtlSeconds } = this.config.tokens;
    const longestTtlMs = Math.max(accessTokenTtlSeconds, clientAccessTokenTtlSeconds) * 1000;
    return new Date(now.getTime() - longestTtlMs - CLOCK_SKEW_MS);
  }

  /**
   * Keys sealed under another master key would sign nothing once current: stop at once, with
   * the reason, instead of at the next rotation weeks later.
   */
  private assertOpenable(...keys: (SigningKey | null)[]): void {
    for (const key of keys) {
      const sealed = key?.privateKeySealed;
      if (key && !(sealed && this.cipher.canOpen(sealed))) {
        throw new Error(
          `signing key ${key.kid} is sealed under master key ${String(sealed && this.cipher.keyIdOf(sealed))}, ` +
            `but this instance has ${this.cipher.keyIds.join(', ')}: check MASTER_KEY`,
        );
      }
    }
  }

  private async advance(
    tx: KeySetTransaction,
    current: SigningKey | null,
    next: SigningKey,
    now: Date,
  ): Promise<void> {
    await tx.promote(current, next, now);
    await this.addNextKey(tx);
    this.logger.log(`Signing key ${next.kid} is now current`);
  }

  private async addNextKey(tx: KeySetTransaction): Promise<SigningKey> {
    const alg = this.config.tokens.signingAlg;
    const { publicKey, privateKey } = await generateSigningKeyPair(alg);
    const jwk = publicKey.export({ format: 'jwk' }) as PublicJwk;
    const kid = jwkThumbprint(jwk);
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    const key: SigningKey = {
      kid,
      alg,
      status: 'next',
      publicJwk: { ...jwk, kid, alg, use: 'sig' },
      privateKeySealed: this.cipher.encrypt(der, signingKeyContext(kid)),
      createdAt: new Date(),
      activatedAt: null,
      retiredAt: null,
    };
    der.fill(0);
    await tx.insert(key);
    return key;
  }
}
