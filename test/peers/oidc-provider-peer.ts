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

  constructor(
    private readonly shape: ProviderShape,
    private readonly clients: PeerClient[],
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
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'RS256',
      })),
      jwks: { keys: [this.privateJwk] },
      routes: PROVIDER_SHAPES[this.shape].routes,
      scopes: ['openid', 'email', 'profile', 'phone'],
      claims: {
        openid: ['sub'],
        email: ['email', 'email_verified'],
        profile: ['name', 'locale'],
        phone: ['phone_number'],
      },
      conformIdTokenClaims: false,
      pkce: { required: () => true },
      features: { devInteractions: { enabled: false } },
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
    return this;
  }

  /** The account the next interaction signs in. */
  signInAs(account: PeerAccount): void {
    this.accounts.set(account.sub, account);
    this.nextAccount = account.sub;
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
    const url = req.url ?? '/';
    // The provider is mounted under the issuer's path; the URLs it builds for itself (resuming
    // an authorization after its interaction) leave that path out.
    const inner = url.startsWith(this.prefix) ? url.slice(this.prefix.length) || '/' : url;
    const routes = PROVIDER_SHAPES[this.shape].routes;
    if (inner.startsWith('/interaction/')) {
      req.url = inner;
      void this.interact(req, res);
      return;
    }
    if (inner.startsWith(routes.token)) {
      this.tokenRequests++;
      if (this.tamper) this.rewriteIdToken(res, this.tamper);
      this.tamper = null;
    }
    if (inner.startsWith(routes.jwks) && this.extraPublicKeys.length > 0) this.addKeys(res);
    req.url = inner;
    this.provider.callback()(req, res);
  }

  /** Logs in the chosen account and grants what the client asked, in one interaction. */
  private async interact(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const details = await this.provider.interactionDetails(req, res);
      const accountId = this.nextAccount;
      if (!accountId) throw new Error('no account chosen: call signInAs first');
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
export async function authorize(authorizationUrl: string): Promise<URLSearchParams> {
  const jar = new CookieJar();
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
