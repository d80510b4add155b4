import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  JWK,
  JWTPayload,
  SignJWT,
} from 'jose';
import type Provider from 'oidc-provider';

/** Where each product puts its issuer and endpoints (EXTERNAL-CONTRACTS.md §2c, §3, §5). */
export const PROVIDER_SHAPES = {
  /** Okta's custom authorization server `default`. */
  okta: {
    prefix: '/oauth2/default',
    routes: {
      authorization: '/v1/authorize',
      token: '/v1/token',
      jwks: '/v1/keys',
      userinfo: '/v1/userinfo',
      end_session: '/v1/logout',
    },
  },
  /** Keycloak's realm `test`. */
  keycloak: {
    prefix: '/realms/test',
    routes: {
      authorization: '/protocol/openid-connect/auth',
      token: '/protocol/openid-connect/token',
      jwks: '/protocol/openid-connect/certs',
      userinfo: '/protocol/openid-connect/userinfo',
      end_session: '/protocol/openid-connect/logout',
    },
  },
} as const;

export type ProviderShape = keyof typeof PROVIDER_SHAPES;

/** Keycloak's introspection and revocation paths, for a peer with offline access. */
const OFFLINE_ROUTES = {
  introspection: '/protocol/openid-connect/token/introspect',
  revocation: '/protocol/openid-connect/revoke',
};

export interface PeerClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

/** A person at the provider: the claims its ID tokens carry. */
export interface PeerAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  phone_number?: string;
  locale?: string;
}

/**
 * Offline access as Keycloak offers it (EXTERNAL-CONTRACTS §4): `offline_access` refresh tokens,
 * revocation (RFC 7009), introspection (RFC 7662), client credentials, `sid` in ID tokens, and
 * a thin stand-in for Keycloak's admin `DELETE /admin/realms/{realm}/sessions/{sid}`.
 */
export interface OfflineAccessOptions {
  /** A new refresh token at every refresh, the spent one refused (Keycloak's "Revoke Refresh Token"). */
  rotateRefreshTokens: boolean;
  /**
   * What revoking a refresh token revokes: `per_session`, the token's own grant (Keycloak 26.1+,
   * one offline session); `per_client`, every grant of the person for the client (older Keycloak).
   */
  revocation: 'per_session' | 'per_client';
}

/** Rewrites the ID token of the next token response (a compromised or broken provider). */
export type IdTokenTamper = (idToken: string, peer: OidcProviderPeer) => Promise<string>;

/**
 * `oidc-provider` (an OpenID-certified server) on loopback, shaped as Okta or Keycloak (issuer
 * path and endpoint paths), with RS256 keys of its own. Sign-ins need no browser: the
 * interaction route logs in the account the test chose (`signInAs`) and grants its scopes. A
 * test can also tamper with the next ID token (`tamperNextIdToken`), publish extra signing keys
 * (`publishKey`) and stop answering (`stop`).
 */
export class OidcProviderPeer {
  readonly accounts = new Map<string, PeerAccount>();
  private server!: Server;
  private provider!: Provider;
  private privateJwk!: JWK;
  private readonly extraPublicKeys: JWK[] = [];
  private nextAccount: string | null = null;
  private tamper: IdTokenTamper | null = null;
  issuer = '';
  /** Token requests the peer answered. */
  tokenRequests = 0;
  /** Refresh-token grants among them. */
  refreshRequests = 0;
  /** Admin session ends the peer answered with 204 (offline access only). */
  readonly endedSessions: string[] = [];
  private denyConsent = false;
  private tokenDelayMs = 0;
  /** Grants by the `sid` their refresh tokens carry, and by whom and for which client. */
  private readonly grantsBySid = new Map<string, Set<string>>();
  private readonly grantOwners = new Map<string, string>();
  private pendingRevocations: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly shape: ProviderShape,
    private readonly clients: PeerClient[],
    private readonly offline?: OfflineAccessOptions,
  ) {}

  get prefix(): string {
    return PROVIDER_SHAPES[this.shape].prefix;
  }

  async start(): Promise<this> {
    const { default: ProviderClass } = await import('oidc-provider');
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    this.privateJwk = {
      ...(await exportJWK(privateKey)),
      kid: randomUUID(),
      alg: 'RS256',
      use: 'sig',
    };
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.issuer = `http://127.0.0.1:${port}${this.prefix}`;
    this.provider = new ProviderClass(this.issuer, {
      clients: this.clients.map((client) => ({
        ...client,
        grant_types: this.offline
          ? ['authorization_code', 'refresh_token', 'client_credentials']
          : ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'RS256',
        ...(this.offline
          ? {
              // Only so that ID tokens carry `sid`, as Keycloak's do; nothing is ever sent there.
              backchannel_logout_uri: 'https://rp.example.com/backchannel-logout',
              backchannel_logout_session_required: true,
            }
          : {}),
      })),
      jwks: { keys: [this.privateJwk] },
      routes: {
        ...PROVIDER_SHAPES[this.shape].routes,
        ...(this.offline ? OFFLINE_ROUTES : {}),
      },
      scopes: this.offline
        ? ['openid', 'offline_access', 'email', 'profile', 'phone']
        : ['openid', 'email', 'profile', 'phone'],
      claims: {
        openid: ['sub'],
        email: ['email', 'email_verified'],
        profile: ['name', 'locale'],
        phone: ['phone_number'],
      },
      conformIdTokenClaims: false,
      pkce: { required: () => true },
      features: {
        devInteractions: { enabled: false },
        ...(this.offline
          ? {
              revocation: { enabled: true },
              introspection: { enabled: true },
              clientCredentials: { enabled: true },
              backchannelLogout: { enabled: true },
            }
          : {}),
      },
      ...(this.offline ? { rotateRefreshToken: () => this.offline!.rotateRefreshTokens } : {}),
      interactions: {
        url: (_ctx: unknown, interaction: { uid: string }) =>
          `${this.prefix}/interaction/${interaction.uid}`,
      },
      findAccount: (_ctx: unknown, sub: string) => {
        const account = this.accounts.get(sub);
        if (!account) return undefined;
        return { accountId: sub, claims: () => ({ ...account }) };
      },
    });
    if (this.offline) this.trackGrants();
    return this;
  }

  /** The account the next interaction signs in. */
  signInAs(account: PeerAccount): void {
    this.accounts.set(account.sub, account);
    this.nextAccount = account.sub;
  }

  /** The next interaction ends in `access_denied` (the person refused consent). */
  denyNextConsent(): void {
    this.denyConsent = true;
  }

  /** Token responses come this much later (a slow provider); 0 for none. */
  delayTokenResponses(ms: number): void {
    this.tokenDelayMs = ms;
  }

  /** Revokes every grant of the person's session (an administrator, or an idle timeout). */
  async endSession(sid: string): Promise<boolean> {
    const grants = this.grantsBySid.get(sid);
    if (!grants) return false;
    this.grantsBySid.delete(sid);
    await Promise.all([...grants].map((grantId) => this.revokeGrant(grantId)));
    return true;
  }

  tamperNextIdToken(tamper: IdTokenTamper): void {
    this.tamper = tamper;
  }

  /** An ID token signed with the provider's own key, as the provider would sign these claims. */
  async sign(payload: JWTPayload, header: { kid?: string } = {}): Promise<string> {
    const key = await importJWK(this.privateJwk, 'RS256');
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: header.kid ?? this.privateJwk.kid })
      .sign(key);
  }

  /** Adds a public key to the JWKS (a provider rotating its keys). */
  publishKey(jwk: JWK): void {
    this.extraPublicKeys.push(jwk);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    void this.pendingRevocations.then(() => this.route(req, res));
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    if (this.offline && url.startsWith(`/admin${this.prefix}/sessions/`)) {
      void this.adminEndSession(req, res, url);
      return;
    }
    // The provider is mounted under the issuer's path; the URLs it builds for itself (resuming
    // an authorization after its interaction) leave that path out.
    const inner = url.startsWith(this.prefix) ? url.slice(this.prefix.length) || '/' : url;
    const routes = PROVIDER_SHAPES[this.shape].routes;
    if (inner.startsWith('/interaction/')) {
      req.url = inner;
      void this.interact(req, res);
      return;
    }
    if (inner.startsWith(routes.token) && !inner.startsWith(`${routes.token}/`)) {
      this.tokenRequests++;
      if (this.tamper) this.rewriteIdToken(res, this.tamper);
      this.tamper = null;
    }
    if (inner.startsWith(routes.jwks) && this.extraPublicKeys.length > 0) this.addKeys(res);
    req.url = inner;
    const delay = inner.startsWith(routes.token) ? this.tokenDelayMs : 0;
    if (delay > 0) {
      setTimeout(() => this.provider.callback()(req, res), delay);
    } else {
      this.provider.callback()(req, res);
    }
  }

  /**
   * Which grants each session (`sid`) holds, from the refresh tokens saved; and Keycloak's older
   * revocation, which takes every grant of the person for the client with the one revoked.
   */
  private trackGrants(): void {
    const countRefresh = (ctx: { oidc: { params?: { grant_type?: unknown } } }) => {
      if (ctx.oidc.params?.grant_type === 'refresh_token') this.refreshRequests++;
    };
    this.provider.on('grant.success', countRefresh);
    this.provider.on('grant.error', countRefresh);
    this.provider.on(
      'refresh_token.saved',
      (token: { sid?: string; grantId: string; accountId: string; clientId: string }) => {
        if (token.sid) {
          const grants = this.grantsBySid.get(token.sid) ?? new Set<string>();
          grants.add(token.grantId);
          this.grantsBySid.set(token.sid, grants);
        }
        this.grantOwners.set(token.grantId, `${token.accountId} ${token.clientId}`);
      },
    );
    this.provider.on('grant.revoked', (ctx: { oidc: { route: string } }, grantId: string) => {
      if (this.offline!.revocation !== 'per_client' || ctx.oidc.route !== 'revocation') return;
      const owner = this.grantOwners.get(grantId);
      const others = [...this.grantOwners]
        .filter(([id, of]) => of === owner && id !== grantId)
        .map(([id]) => id);
      this.pendingRevocations = Promise.all(others.map((id) => this.revokeGrant(id)));
    });
  }

  private async revokeGrant(grantId: string): Promise<void> {
    this.grantOwners.delete(grantId);
    await Promise.all([
      this.provider.RefreshToken.revokeByGrantId(grantId),
      this.provider.AccessToken.revokeByGrantId(grantId),
      this.provider.Grant.adapter.destroy(grantId),
    ]);
  }

  /**
   * Keycloak's `DELETE /admin/realms/{realm}/sessions/{sid}?isOffline=true`: a Bearer token of
   * a client (from client credentials) is required; 204 when the session ended, 404 unknown.
   */
  private async adminEndSession(req: IncomingMessage, res: ServerResponse, url: string) {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ? await this.provider.ClientCredentials.find(bearer) : undefined;
    if (req.method !== 'DELETE' || !token || token.isExpired) {
      res.writeHead(401).end();
      return;
    }
    const sid = decodeURIComponent(new URL(url, this.issuer).pathname.split('/').pop()!);
    if (!(await this.endSession(sid))) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'Sesssion not found' }));
      return;
    }
    this.endedSessions.push(sid);
    res.writeHead(204).end();
  }

  /** Logs in the chosen account and grants what the client asked, in one interaction. */
  private async interact(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const details = await this.provider.interactionDetails(req, res);
      const accountId = this.nextAccount;
      if (!accountId) throw new Error('no account chosen: call signInAs first');
      if (this.denyConsent) {
        this.denyConsent = false;
        const redirect = await this.provider.interactionResult(req, res, {
          error: 'access_denied',
          error_description: 'The person refused.',
        });
        res.writeHead(303, { location: redirect }).end();
        return;
      }
      const grant = new this.provider.Grant({
        accountId,
        clientId: String(details.params.client_id),
      });
      grant.addOIDCScope(String(details.params.scope));
      const grantId = await grant.save();
      const redirect = await this.provider.interactionResult(req, res, {
        login: { accountId },
        consent: { grantId },
      });
      res.writeHead(303, { location: redirect }).end();
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    }
  }

  private rewriteIdToken(res: ServerResponse, tamper: IdTokenTamper): void {
    const end = res.end.bind(res);
    res.end = ((chunk?: unknown) => {
      const text = Buffer.isBuffer(chunk) ? chunk.toString('utf8') : (chunk as string);
      void (async () => {
        const body = JSON.parse(text) as { id_token?: string };
        if (body.id_token) body.id_token = await tamper(body.id_token, this);
        const json = JSON.stringify(body);
        res.setHeader('content-length', Buffer.byteLength(json));
        end(json);
      })();
      return res;
    }) as typeof res.end;
  }

  private addKeys(res: ServerResponse): void {
    const end = res.end.bind(res);
    res.end = ((chunk?: unknown) => {
      const text = Buffer.isBuffer(chunk) ? chunk.toString('utf8') : (chunk as string);
      const body = JSON.parse(text) as { keys: JWK[] };
      body.keys.push(...this.extraPublicKeys);
      const json = JSON.stringify(body);
      res.setHeader('content-length', Buffer.byteLength(json));
      return end(json);
    }) as typeof res.end;
  }
}

/** The claims and header of a compact JWS, unverified (to re-sign them changed). */
export function jwtParts(token: string): {
  header: ReturnType<typeof decodeProtectedHeader>;
  payload: JWTPayload;
} {
  return { header: decodeProtectedHeader(token), payload: decodeJwt(token) };
}

/** A browser's cookie jar, no more than a sign-in needs: every cookie goes to every request. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const index = pair.indexOf('=');
      this.cookies.set(pair.slice(0, index).trim(), pair.slice(index + 1).trim());
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/**
 * Follows a browser through the provider from its authorization URL to the redirect back to the
 * client: answers the parameters of that redirect (`code`, `state`, `iss`).
 */
export async function authorize(
  authorizationUrl: string,
  jar = new CookieJar(),
): Promise<URLSearchParams> {
  let url = authorizationUrl;
  for (let hop = 0; hop < 10; hop++) {
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.store(response);
    const location = response.headers.get('location');
    if (!location) {
      throw new Error(`the provider stopped at ${response.status}: ${await response.text()}`);
    }
    const next = new URL(location, url);
    if (next.origin !== new URL(authorizationUrl).origin) return next.searchParams;
    url = next.toString();
  }
  throw new Error('too many redirects at the provider');
}
