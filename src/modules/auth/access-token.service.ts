import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { errors, jwtVerify, JWTHeaderParameters, SignJWT } from 'jose';
import { Principal } from '../../common/auth/principal';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { SigningKeyService } from './signing-key.service';

export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** Every algorithm a Gatehouse key can have; anything else (`none`, HS*) is refused outright. */
export const SUPPORTED_ALGORITHMS = ['ES256', 'RS256', 'EdDSA'];

/** Tolerated clock difference between this instance and whoever issued a token. */
const CLOCK_TOLERANCE_S = 30;

const isUuid = (value: unknown): value is string => typeof value === 'string' && isUUID(value);

export interface AccessTokenSubject {
  userId: string;
  sessionId: string;
  amr: string[];
  authTime: Date;
}

export interface IssuedAccessToken {
  token: string;
  expiresIn: number;
}

/** A token that must not be accepted; `reason` is for logs, never for the client. */
export class InvalidAccessTokenError extends Error {
  constructor(readonly reason: string) {
    super(`invalid access token: ${reason}`);
  }
}

/** Issues and verifies access tokens (RFC 9068 JWT profile) with the rotating key set. */
@Injectable()
export class AccessTokenService {
  constructor(
    private readonly signingKeys: SigningKeyService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async issue(subject: AccessTokenSubject): Promise<IssuedAccessToken> {
    const signer = await this.signingKeys.currentSigner();
    const ttl = this.config.tokens.accessTokenTtlSeconds;
    const issuedAt = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      sid: subject.sessionId,
      amr: subject.amr,
      auth_time: Math.floor(subject.authTime.getTime() / 1000),
    })
      .setProtectedHeader({ alg: signer.alg, typ: ACCESS_TOKEN_TYPE, kid: signer.kid })
      .setIssuer(this.config.http.publicUrl)
      .setSubject(subject.userId)
      .setAudience(this.config.tokens.audience)
      // One clock reading for both, so exp - iat is exactly the TTL.
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ttl)
      .setJti(randomUUID())
      .sign(signer.privateKey);
    return { token, expiresIn: ttl };
  }

  /**
   * Checks signature (with the published key the `kid` names, in that key's own algorithm),
   * type, issuer, audience and lifetime. Resolves keys only from our own key set: `jku`,
   * `x5u` and embedded `jwk` headers are ignored.
   */
  async verify(token: string): Promise<Principal> {
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
          requiredClaims: ['sub', 'exp', 'iat', 'jti', 'sid', 'auth_time'],
        },
      );
      const { sub, sid, jti, amr, auth_time: authTime } = payload;
      // sub and sid become UUID query parameters: anything else must be a refusal, not a 500.
      if (
        !isUuid(sub) ||
        !isUuid(sid) ||
        typeof authTime !== 'number' ||
        !Array.isArray(amr) ||
        !amr.every((m) => typeof m === 'string')
      ) {
        throw new InvalidAccessTokenError('malformed claims');
      }
      return { kind: 'user', userId: sub, sessionId: sid, tokenId: jti!, amr: amr, authTime };
    } catch (error) {
      if (error instanceof InvalidAccessTokenError) throw error;
      if (error instanceof errors.JOSEError) throw new InvalidAccessTokenError(error.code);
      throw error;
    }
  }
}
