import { Inject, Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { errors, jwtVerify, JWTHeaderParameters, JWTPayload } from 'jose';
import { Caller } from '../../common/auth/principal';
import { ExpiringCache } from '../../common/cache/expiring-cache';
import { AssuranceLevel, assuranceOf } from '../../common/auth/step-up.decorator';
import { uuidV7, uuidV7Time } from '../../common/ids/uuid-v7';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { isClientId, parseScopeList } from '../clients/client-identifiers';
import { signCompactJws } from './compact-jws';
import { SigningKeyService } from './signing-key.service';

export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** Every algorithm a Gatehouse key can have; anything else (`none`, HS*) is refused outright. */
export const SUPPORTED_ALGORITHMS = ['ES256', 'RS256', 'EdDSA'];

/** Tolerated clock difference between this instance and whoever issued a token. */
export const CLOCK_TOLERANCE_S = 30;

/**
 * How long an instance reuses a full verification of one exact token string. A signing key
 * withdrawn from the key set stops authenticating its tokens here within this time, well inside
 * the key set's own re-read interval; session and client liveness are checked on every request
 * regardless (they have caches of their own with the same bound).
 */
export const VERIFIED_TOKEN_CACHE_MS = 2000;
const VERIFIED_TOKEN_CACHE_MAX_ENTRIES = 10_000;

const isUuid = (value: unknown): value is string => typeof value === 'string' && isUUID(value);

export interface AccessTokenSubject {
  userId: string;
  sessionId: string;
  amr: string[];
  authTime: Date;
}

/** A service client and the scopes its token grants (client-credentials grant). */
export interface ClientTokenSubject {
  clientId: string;
  scopes: string[];
}

export interface IssuedAccessToken {
  token: string;
  expiresIn: number;
}

/** A token that verified, whose caller it authenticates and its lifetime (seconds since the epoch). */
export interface VerifiedAccessToken {
  caller: Caller;
  issuedAt: number;
  expiresAt: number;
  /** When it was issued, in milliseconds since the epoch (see `issuedAtMs`). */
  issuedAtMs: number;
}

/**
 * When a token was issued, to the millisecond: the timestamp of its UUIDv7 `jti` when that agrees
 * with its `iat`; otherwise (a token issued before jtis were UUIDv7s) the start of its `iat` second,
 * the earliest it can have been issued, which errs towards treating it as older.
 */
export function issuedAtMs(jti: string, iat: number): number {
  const fromJti = uuidV7Time(jti);
  return fromJti !== null && Math.floor(fromJti / 1000) === iat ? fromJti : iat * 1000;
}

/** A token's own claims: `sign` sets the registered ones, which these cannot replace. */
type TokenClaims = Record<string, unknown> & {
  [claim in 'iss' | 'sub' | 'aud' | 'iat' | 'exp' | 'nbf' | 'jti']?: never;
};

/** A token that must not be accepted; `reason` is for logs, never for the client. */
export class InvalidAccessTokenError extends Error {
  constructor(readonly reason: string) {
    super(`invalid access token: ${reason}`);
  }
}

/** Issues and verifies access tokens (RFC 9068 JWT profile) with the rotating key set. */
@Injectable()
export class AccessTokenService {
  /**
   * Successful verifications, keyed by the exact token string, so that a caller presenting the
   * same token many times a second costs one signature check per VERIFIED_TOKEN_CACHE_MS instead
   * of one per request. An entry never outlives the token's `exp` (without the clock tolerance
   * the full verification grants), so the cache can only refuse earlier than a full verification
   * would, never accept longer. Failures are not remembered: a forged or expired token costs a
   * full verification every time.
   */
  private readonly verified = new ExpiringCache<string, VerifiedAccessToken>({
    ttlMs: VERIFIED_TOKEN_CACHE_MS,
    maxEntries: VERIFIED_TOKEN_CACHE_MAX_ENTRIES,
    whenFull: 'clear',
  });

  constructor(
    private readonly signingKeys: SigningKeyService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  issue(subject: AccessTokenSubject): Promise<IssuedAccessToken> {
    return this.sign(
      subject.userId,
      {
        sid: subject.sessionId,
        amr: subject.amr,
        acr: assuranceOf(subject.amr),
        auth_time: Math.floor(subject.authTime.getTime() / 1000),
      },
      this.config.tokens.accessTokenTtlSeconds,
    );
  }

  /**
   * A service client's token (RFC 9068 §2.2): `sub` and `client_id` are both the client id,
   * `scope` the granted scopes; no session, so no `sid`, `amr`, `acr` or `auth_time`.
   */
  issueForClient(subject: ClientTokenSubject): Promise<IssuedAccessToken> {
    return this.sign(
      subject.clientId,
      { client_id: subject.clientId, scope: subject.scopes.join(' ') },
      this.config.tokens.clientAccessTokenTtlSeconds,
    );
  }

  /**
   * `jti` is a UUIDv7 of the same clock reading as `iat`: it tells when the token was issued to the
   * millisecond, where `iat` has one-second resolution (see `issuedAtMs`). The registered claims
   * come first: named properties added after a spread of the two kinds' claims took V8's slow
   * path (a megamorphic define), about 4 µs a token, eight times the whole payload's cost.
   */
  private async sign(
    subject: string,
    claims: TokenClaims,
    ttl: number,
  ): Promise<IssuedAccessToken> {
    const signer = await this.signingKeys.currentSigner();
    // One clock reading for iat, exp and the jti's time, so exp - iat is exactly the TTL.
    const nowMs = Date.now();
    const issuedAt = Math.floor(nowMs / 1000);
    const token = signCompactJws(
      { alg: signer.alg, typ: ACCESS_TOKEN_TYPE, kid: signer.kid },
      {
        iss: this.config.http.publicUrl,
        sub: subject,
        aud: this.config.tokens.audience,
        iat: issuedAt,
        exp: issuedAt + ttl,
        jti: uuidV7(nowMs),
        ...claims,
      },
      signer.privateKey,
    );
    return { token, expiresIn: ttl };
  }

  /**
   * Checks signature (with the published key the `kid` names, in that key's own algorithm),
   * type, issuer, audience and lifetime. Resolves keys only from our own key set: `jku`,
   * `x5u` and embedded `jwk` headers are ignored. Then the claims must be exactly those of a
   * user's token or of a service's (see `callerOf`); anything in between is refused. A token
   * that verified is not checked again for up to VERIFIED_TOKEN_CACHE_MS, and never past its
   * `exp`; the answer is frozen, since requests presenting the same token share it.
   */
  async verify(token: string): Promise<VerifiedAccessToken> {
    const nowMs = Date.now();
    const cached = this.verified.get(token, nowMs);
    if (cached) return cached;
    const verified = deepFreeze(await this.verifyFully(token));
    this.verified.set(token, verified, { now: nowMs, expiresAt: verified.expiresAt * 1000 });
    return verified;
  }

  /** Every token is verified in full again from now on (a key withdrawn from the set, say). */
  forgetVerifications(): void {
    this.verified.clear();
  }

  private async verifyFully(token: string): Promise<VerifiedAccessToken> {
    try {
      const { payload } = await jwtVerify(
        token,
        async (header: JWTHeaderParameters) => {
          if (!header.kid) throw new InvalidAccessTokenError('no kid');
          const key = await this.signingKeys.verificationKey(header.kid);
          if (!key) throw new InvalidAccessTokenError('unknown kid');
          if (key.alg !== header.alg) throw new InvalidAccessTokenError('algorithm mismatch');
          return key.publicKey;
        },
        {
          algorithms: SUPPORTED_ALGORITHMS,
          typ: ACCESS_TOKEN_TYPE,
          issuer: this.config.http.publicUrl,
          audience: this.config.tokens.audience,
          clockTolerance: CLOCK_TOLERANCE_S,
          requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        },
      );
      const caller = callerOf(payload);
      return {
        caller,
        issuedAt: payload.iat!,
        expiresAt: payload.exp!,
        issuedAtMs: issuedAtMs(caller.tokenId, payload.iat!),
      };
    } catch (error) {
      if (error instanceof InvalidAccessTokenError) throw error;
      if (error instanceof errors.JOSEError) throw new InvalidAccessTokenError(error.code);
      throw error;
    }
  }
}

const deepFreeze = (verified: VerifiedAccessToken): VerifiedAccessToken => {
  const { caller } = verified;
  Object.freeze(caller.kind === 'user' ? caller.amr : caller.scopes);
  Object.freeze(caller);
  return Object.freeze(verified);
};

const isAssuranceLevel = (value: unknown): value is AssuranceLevel =>
  value === 'aal1' || value === 'aal2';

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/**
 * Who a verified token authenticates. A user's token has a UUID `sub`, a UUID `sid`, `amr`, `acr`
 * and `auth_time`, and neither `client_id` nor `scope`. A service's has `sub` equal to `client_id`,
 * in the client id format (never a UUID, so never a user id), a well-formed `scope`, and none of
 * the session claims. The ids become query parameters: anything else is a refusal, not a 500.
 */
function callerOf(payload: JWTPayload): Caller {
  const { sub, jti, sid, amr, acr, auth_time: authTime, client_id: clientId, scope } = payload;
  if (!isUuid(jti)) throw new InvalidAccessTokenError('malformed jti');
  if (clientId === undefined && scope === undefined) {
    if (
      !isUuid(sub) ||
      !isUuid(sid) ||
      typeof authTime !== 'number' ||
      !isStringArray(amr) ||
      (acr !== undefined && !isAssuranceLevel(acr))
    ) {
      throw new InvalidAccessTokenError('malformed user claims');
    }
    // Tokens issued before `acr` was added carry only `amr`, from which it follows.
    const assurance = acr ?? assuranceOf(amr);
    return {
      kind: 'user',
      userId: sub,
      sessionId: sid,
      tokenId: jti,
      amr,
      acr: assurance,
      authTime,
    };
  }
  const scopes = typeof scope === 'string' ? parseScopeList(scope) : null;
  if (
    !isClientId(clientId) ||
    sub !== clientId ||
    scopes === null ||
    sid !== undefined ||
    amr !== undefined ||
    acr !== undefined ||
    authTime !== undefined
  ) {
    throw new InvalidAccessTokenError('malformed service claims');
  }
  return { kind: 'service', clientId, tokenId: jti, scopes };
}
