import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClientInfo } from '../../common/auth/client-info';
import { DomainError } from '../../common/errors/domain-error';
import { OAuthErrorCode } from '../../common/errors/error-code';
import { tooManyAttempts } from '../../common/throttle/too-many-attempts';
import { FormParameters } from '../../common/http/form-body';
import { ClientAuthThrottle } from '../../common/throttle/client-auth-throttle.service';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { INTROSPECTION_SCOPE, parseScopeList } from '../clients/client-identifiers';
import { OAuthClientsService } from '../clients/oauth-clients.service';
import { ClientCredentials } from '../clients/client-model';
import {
  AccessTokenService,
  CLOCK_TOLERANCE_S,
  InvalidAccessTokenError,
  VerifiedAccessToken,
} from './access-token.service';
import { ClientTokenDto, IntrospectionDto } from './dto/oauth.dto';
import { invalidClient, presentedClientCredentials, singleParameter } from './oauth-parameters';
import { SessionService } from './session.service';

/** What an OAuth endpoint is given: the form, the Authorization header and the caller's address. */
export interface OAuthRequest {
  form: FormParameters;
  authorization: string | undefined;
  client: ClientInfo;
}

const INACTIVE: IntrospectionDto = { active: false };
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The OAuth 2.0 endpoints for service clients: the client-credentials grant (RFC 6749 §4.4),
 * token introspection (RFC 7662) and revocation (RFC 7009). Every request authenticates a client
 * the same way (see `authenticate`).
 */
@Injectable()
export class OAuthService {
  private readonly logger = new Logger(OAuthService.name);

  constructor(
    private readonly clients: OAuthClientsService,
    private readonly accessTokens: AccessTokenService,
    private readonly sessions: SessionService,
    private readonly throttle: ClientAuthThrottle,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * `grant_type=client_credentials`, optionally `scope` (a subset of the client's allowed scopes;
   * all of them when absent). The request's shape is checked before the client is authenticated,
   * so that a malformed request costs no lookup.
   */
  async token(request: OAuthRequest): Promise<ClientTokenDto> {
    const grantType = singleParameter(request.form, 'grant_type');
    if (grantType === undefined) {
      throw new DomainError(OAuthErrorCode.InvalidRequest, 'The grant_type parameter is required.');
    }
    if (grantType !== 'client_credentials') {
      throw new DomainError(
        OAuthErrorCode.UnsupportedGrantType,
        'Only the client_credentials grant is supported.',
      );
    }
    const scope = singleParameter(request.form, 'scope');
    const requested = scope === undefined ? undefined : parseScopeList(scope);
    if (requested === null) {
      throw new DomainError(OAuthErrorCode.InvalidScope, 'The scope parameter is malformed.');
    }
    const client = await this.authenticate(request);
    if (!client.grantTypes.includes('client_credentials')) {
      throw new DomainError(
        OAuthErrorCode.UnauthorizedClient,
        'This client may not use the client_credentials grant.',
      );
    }
    const allowed = new Set(client.allowedScopes);
    if (requested && !requested.every((s) => allowed.has(s))) {
      throw new DomainError(
        OAuthErrorCode.InvalidScope,
        'The requested scope exceeds what this client is allowed.',
      );
    }
    const scopes = [...new Set(requested ?? client.allowedScopes)].sort();
    const issued = await this.accessTokens.issueForClient({ clientId: client.clientId, scopes });
    return {
      access_token: issued.token,
      token_type: 'Bearer',
      expires_in: issued.expiresIn,
      scope: scopes.join(' '),
    };
  }

  /**
   * Describes a token to a client holding the `oauth:introspect` scope: any of Gatehouse's access
   * tokens (users' and services') and refresh tokens. Anything that would not be accepted now
   * (malformed, forged, expired, revoked, of an ended session, of a disabled client or issued
   * before its client's tokens were ended) is
   * `{active: false}` and nothing more. `token_type_hint` may be sent but is not needed: the two
   * kinds are told apart by their form (RFC 7662 §2.1 lets the server ignore it).
   */
  async introspect(request: OAuthRequest): Promise<IntrospectionDto> {
    const token = this.presentedToken(request.form);
    const client = await this.authenticate(request);
    if (!client.allowedScopes.includes(INTROSPECTION_SCOPE)) {
      throw new DomainError(
        OAuthErrorCode.UnauthorizedClient,
        `This client may not introspect tokens (it needs the ${INTROSPECTION_SCOPE} scope).`,
      );
    }
    if (token.startsWith('ghr_')) return this.describeRefreshToken(token);
    const verified = await this.verifiedAccessToken(token);
    return verified ? this.describeAccessToken(verified) : INACTIVE;
  }

  /**
   * Revokes a token the authenticated client was issued: one of its own access tokens, which
   * every instance refuses within seconds. Any other token (another client's, a user's, a refresh
   * token, an invalid one) is left alone, and the answer is the same 200 (RFC 7009 §2.2), so it
   * tells the caller nothing about tokens that are not its own.
   */
  async revoke(request: OAuthRequest): Promise<void> {
    const token = this.presentedToken(request.form);
    const client = await this.authenticate(request);
    const verified = await this.verifiedAccessToken(token);
    const caller = verified?.caller;
    if (caller?.kind !== 'service' || caller.clientId !== client.clientId) return;
    await this.clients.revokeToken(client, {
      jti: caller.tokenId,
      // Verification accepts a token this long past its expiry: so must the revocation last.
      expiresAt: new Date((verified!.expiresAt + CLOCK_TOLERANCE_S) * 1000),
    });
  }

  /**
   * The active client whose credentials the request presents. Failures are throttled per client
   * network; a wrong secret and an unknown client are the same 401. A disabled client learns that
   * it is disabled only once its secret was right.
   */
  private async authenticate(request: OAuthRequest): Promise<ClientCredentials> {
    const presented = presentedClientCredentials(request.authorization, request.form);
    const { ip } = request.client;
    const { retryAfterSeconds } = await this.throttle.admit(ip);
    if (retryAfterSeconds > 0) {
      throw tooManyAttempts(
        retryAfterSeconds,
        'Too many failed client authentications from this network; try again later.',
      );
    }
    const client = await this.clients.authenticate(presented.clientId, presented.secret);
    if (!client) {
      await this.throttle.failed(ip);
      this.logger.debug('Client authentication failed');
      throw invalidClient();
    }
    if (client.status !== 'active') {
      throw new DomainError(OAuthErrorCode.UnauthorizedClient, 'This client is disabled.');
    }
    await this.clients.recordUse(client);
    return client;
  }

  private presentedToken(form: FormParameters): string {
    const token = singleParameter(form, 'token');
    // A hint is only a hint (see introspect), but it is a parameter like any other.
    singleParameter(form, 'token_type_hint');
    if (token === undefined) {
      throw new DomainError(OAuthErrorCode.InvalidRequest, 'The token parameter is required.');
    }
    return token;
  }

  private async verifiedAccessToken(token: string): Promise<VerifiedAccessToken | null> {
    if (!COMPACT_JWS.test(token)) return null;
    try {
      return await this.accessTokens.verify(token);
    } catch (error) {
      if (error instanceof InvalidAccessTokenError) return null;
      throw error;
    }
  }

  private async describeAccessToken(verified: VerifiedAccessToken): Promise<IntrospectionDto> {
    const { caller, issuedAt, expiresAt, issuedAtMs } = verified;
    // Completed with Object.assign: named properties after a spread take V8's slow define path
    // (about 3 µs an answer).
    const common = {
      active: true,
      token_use: 'access_token',
      token_type: 'Bearer',
      iss: this.config.http.publicUrl,
      aud: this.config.tokens.audience,
      iat: issuedAt,
      exp: expiresAt,
      jti: caller.tokenId,
    } as const;
    if (caller.kind === 'user') {
      const live = await this.sessions.isLive(caller.sessionId, caller.userId);
      return live ? Object.assign(common, { sub: caller.userId, sid: caller.sessionId }) : INACTIVE;
    }
    const live = await this.clients.isTokenLive(caller.clientId, caller.tokenId, issuedAtMs);
    return live
      ? Object.assign(common, {
          sub: caller.clientId,
          client_id: caller.clientId,
          scope: caller.scopes.join(' '),
        })
      : INACTIVE;
  }

  private async describeRefreshToken(token: string): Promise<IntrospectionDto> {
    const usable = await this.sessions.describeRefreshToken(token);
    if (!usable) return INACTIVE;
    return {
      active: true,
      token_use: 'refresh_token',
      iss: this.config.http.publicUrl,
      sub: usable.userId,
      sid: usable.sessionId,
      iat: Math.floor(usable.createdAt.getTime() / 1000),
      exp: Math.floor(usable.expiresAt.getTime() / 1000),
    };
  }
}
