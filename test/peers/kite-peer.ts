import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** A Kite user as `/user/profile` describes them (kiteconnect-mocks `profile.json`). */
export interface KiteUser {
  user_id: string;
  user_name: string;
  user_shortname: string;
  email: string;
  user_type: string;
  broker: string;
  exchanges: string[];
  products: string[];
  order_types: string[];
  avatar_url: string | null;
  meta: { demat_consent: string };
}

interface KiteApp {
  secret: string;
  /** The redirect URL registered for the app, where a login sends the browser. */
  redirectUrl: string;
}

interface RequestToken {
  apiKey: string;
  userId: string;
  expiresAt: number;
}

interface KiteSession {
  apiKey: string;
  userId: string;
}

/** What the peer does with the next requests instead of answering them (tests of failures). */
export type KiteFault = 'hang' | { status: number; body?: unknown } | null;

/**
 * Kite Connect v3 on loopback, as EXTERNAL-CONTRACTS.md §1 documents it: the login redirect
 * with `redirect_params` echoed, `POST /session/token` as a form with the SHA-256 checksum,
 * request tokens valid for a couple of minutes and once, `X-Kite-Version: 3` on every call,
 * `Authorization: token api_key:access_token`, `GET /user/profile`, `GET /user/margins`,
 * `DELETE /session/token`, Kite's error envelope with its HTTP codes, and 429 past 10 requests
 * per second per app. Driven by the official `kiteconnect` client inside Gatehouse.
 */
export class KitePeer {
  readonly apps = new Map<string, KiteApp>();
  readonly users = new Map<string, KiteUser>();
  private readonly requestTokens = new Map<string, RequestToken>();
  private readonly sessions = new Map<string, KiteSession>();
  private readonly hits = new Map<string, number[]>();
  private readonly hanging = new Set<ServerResponse>();
  private server!: Server;
  /** Every request, by method and path, in order (`POST /session/token`). */
  readonly requests: string[] = [];
  /** How many requests were refused for the rate (429). */
  rateLimited = 0;
  /** How long a request token lives (Kite: "a couple of minutes"). */
  requestTokenTtlMs = 120_000;
  /** Requests per second and app before a 429 (Kite's limit for these endpoints). */
  rateLimitPerSecond = 10;
  /** When set, answers every API call this way (the login page excepted). */
  fault: KiteFault = null;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get loginUrl(): string {
    return `${this.url}/connect/login`;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  addApp(apiKey: string, secret: string, redirectUrl: string): void {
    this.apps.set(apiKey, { secret, redirectUrl });
  }

  addUser(userId: string, overrides: Partial<KiteUser> = {}): KiteUser {
    const user: KiteUser = {
      user_id: userId,
      user_name: `Trader ${userId}`,
      user_shortname: userId,
      email: `${userId.toLowerCase()}@broker.example`,
      user_type: 'individual',
      broker: 'ZERODHA',
      exchanges: ['NSE', 'BSE', 'NFO'],
      products: ['CNC', 'MIS', 'NRML'],
      order_types: ['MARKET', 'LIMIT', 'SL', 'SL-M'],
      avatar_url: null,
      meta: { demat_consent: 'consent' },
      ...overrides,
    };
    this.users.set(userId, user);
    return user;
  }

  /** The user logs in to the app at Kite: a fresh request token, as the redirect carries it. */
  issueRequestToken(apiKey: string, userId: string): string {
    const token = randomBytes(16).toString('hex');
    this.requestTokens.set(token, {
      apiKey,
      userId,
      expiresAt: Date.now() + this.requestTokenTtlMs,
    });
    return token;
  }

  /**
   * The browser at the login URL with `userId` logging in: where Kite redirects it (the app's
   * redirect URL with the request token, and `redirect_params` echoed).
   */
  async login(loginUrl: string, userId: string): Promise<string> {
    const res = await fetch(`${loginUrl}&peer_user=${encodeURIComponent(userId)}`, {
      redirect: 'manual',
    });
    const location = res.headers.get('location');
    if (res.status !== 302 || !location)
      throw new Error(`login: ${res.status} ${await res.text()}`);
    return location;
  }

  /** Ends every session of a user, as the 06:00 IST expiry (or a master logout) does. */
  expireSessionsOf(userId: string): void {
    for (const [token, session] of this.sessions) {
      if (session.userId === userId) this.sessions.delete(token);
    }
  }

  /** Whether an access token is live. */
  isLive(accessToken: string): boolean {
    return this.sessions.has(accessToken);
  }

  liveSessionsOf(userId: string): string[] {
    return [...this.sessions].filter(([, s]) => s.userId === userId).map(([token]) => token);
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', this.url);
    const route = `${req.method} ${url.pathname}`;
    this.requests.push(route);
    if (route === 'GET /connect/login') return this.loginPage(url, res);
    if (this.fault === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (this.fault) return this.send(res, this.fault.status, this.fault.body ?? {});
    // The docs require the header on every call; the answer to its absence is not documented.
    if (req.headers['x-kite-version'] !== '3') {
      return this.error(res, 400, 'InputException', 'Invalid or missing `X-Kite-Version` header.');
    }
    switch (route) {
      case 'POST /session/token':
        return this.exchange(req, res, body);
      case 'DELETE /session/token':
        return this.logout(res, url);
      case 'GET /user/profile':
        return this.authenticated(req, res, (session) => {
          const { ...profile } = this.users.get(session.userId)!;
          this.send(res, 200, { status: 'success', data: profile });
        });
      case 'GET /user/margins':
        return this.authenticated(req, res, () =>
          this.send(res, 200, { status: 'success', data: MARGINS }),
        );
      default:
        return this.error(res, 404, 'GeneralException', 'Route not found');
    }
  }

  private loginPage(url: URL, res: ServerResponse): void {
    const apiKey = url.searchParams.get('api_key') ?? '';
    const app = this.apps.get(apiKey);
    const userId = url.searchParams.get('peer_user') ?? '';
    if (url.searchParams.get('v') !== '3' || !app || !this.users.has(userId)) {
      res.writeHead(400, { 'content-type': 'text/html' });
      res.end('<p>Invalid api_key or login</p>');
      return;
    }
    const target = new URL(app.redirectUrl);
    for (const [key, value] of new URLSearchParams(url.searchParams.get('redirect_params') ?? '')) {
      target.searchParams.set(key, value);
    }
    target.searchParams.set('action', 'login');
    target.searchParams.set('type', 'login');
    target.searchParams.set('status', 'success');
    target.searchParams.set('request_token', this.issueRequestToken(apiKey, userId));
    res.writeHead(302, { location: target.toString() });
    res.end();
  }

  private exchange(req: IncomingMessage, res: ServerResponse, body: string): void {
    if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
      return this.error(
        res,
        400,
        'InputException',
        '`api_key` should be minimum 6 characters in length.',
      );
    }
    const form = new URLSearchParams(body);
    const apiKey = form.get('api_key') ?? '';
    const requestToken = form.get('request_token') ?? '';
    const checksum = form.get('checksum') ?? '';
    const app = this.apps.get(apiKey);
    if (!app) return this.error(res, 403, 'TokenException', 'Invalid `api_key`.');
    if (!this.withinRate(apiKey)) return this.tooMany(res);
    const expected = createHash('sha256')
      .update(apiKey + requestToken + app.secret)
      .digest();
    const presented = Buffer.from(checksum, 'hex');
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      return this.error(res, 403, 'TokenException', 'Invalid `checksum`.');
    }
    const issued = this.requestTokens.get(requestToken);
    this.requestTokens.delete(requestToken);
    if (!issued || issued.apiKey !== apiKey || issued.expiresAt < Date.now()) {
      return this.error(res, 403, 'TokenException', 'Token is invalid or has expired.');
    }
    const accessToken = randomBytes(16).toString('hex');
    this.sessions.set(accessToken, { apiKey, userId: issued.userId });
    const user = this.users.get(issued.userId)!;
    this.send(res, 200, {
      status: 'success',
      data: {
        ...user,
        api_key: apiKey,
        access_token: accessToken,
        public_token: randomBytes(16).toString('hex'),
        enctoken: randomBytes(16).toString('base64'),
        refresh_token: '',
        silo: '',
        login_time: new Date().toISOString().slice(0, 19).replace('T', ' '),
      },
    });
  }

  private logout(res: ServerResponse, url: URL): void {
    const apiKey = url.searchParams.get('api_key') ?? '';
    const accessToken = url.searchParams.get('access_token') ?? '';
    const session = this.sessions.get(accessToken);
    if (!session || session.apiKey !== apiKey) {
      return this.error(res, 403, 'TokenException', 'Incorrect `api_key` or `access_token`.');
    }
    this.sessions.delete(accessToken);
    this.send(res, 200, { status: 'success', data: true });
  }

  private authenticated(
    req: IncomingMessage,
    res: ServerResponse,
    answer: (session: KiteSession) => void,
  ): void {
    const match = /^token ([^:]+):(.+)$/.exec(req.headers.authorization ?? '');
    const session = match ? this.sessions.get(match[2]) : undefined;
    if (!match || !session || session.apiKey !== match[1]) {
      return this.error(res, 403, 'TokenException', 'Incorrect `api_key` or `access_token`.');
    }
    if (!this.withinRate(session.apiKey)) return this.tooMany(res);
    answer(session);
  }

  /** Kite's limit is per second: a sliding one-second window of calls per app. */
  private withinRate(apiKey: string): boolean {
    const now = Date.now();
    const recent = (this.hits.get(apiKey) ?? []).filter((at) => at > now - 1000);
    recent.push(now);
    this.hits.set(apiKey, recent);
    return recent.length <= this.rateLimitPerSecond;
  }

  private tooMany(res: ServerResponse): void {
    this.rateLimited++;
    this.error(res, 429, 'NetworkException', 'Too many requests');
  }

  private error(res: ServerResponse, status: number, type: string, message: string): void {
    this.send(res, status, { status: 'error', message, data: null, error_type: type });
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}

/** `margins.json` of kiteconnect-mocks, trimmed to the fields Gatehouse reads and their siblings. */
const MARGINS = {
  equity: {
    enabled: true,
    net: 99725.05,
    available: {
      adhoc_margin: 0,
      cash: 245431.6,
      opening_balance: 245431.6,
      live_balance: 99725.05,
      collateral: 0,
      intraday_payin: 0,
    },
    utilised: { debits: 145706.55, exposure: 38981.25, m2m_realised: 761.7, span: 101989 },
  },
  commodity: {
    enabled: true,
    net: 100661.7,
    available: {
      adhoc_margin: 0,
      cash: 100661.7,
      opening_balance: 100661.7,
      live_balance: 100661.7,
      collateral: 0,
      intraday_payin: 0,
    },
    utilised: { debits: 0, exposure: 0, m2m_realised: 0, span: 0 },
  },
};
