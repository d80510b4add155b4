import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export type OktaUserStatus =
  | 'STAGED'
  | 'PROVISIONED'
  | 'ACTIVE'
  | 'RECOVERY'
  | 'LOCKED_OUT'
  | 'PASSWORD_EXPIRED'
  | 'SUSPENDED'
  | 'DEPROVISIONED';

/** An Okta user's profile (management.yaml `UserProfile`): any attribute besides these. */
export interface OktaProfile {
  login: string;
  email: string;
  firstName?: string | null;
  lastName?: string | null;
  displayName?: string | null;
  mobilePhone?: string | null;
  locale?: string | null;
  [attribute: string]: unknown;
}

export interface OktaGroup {
  id: string;
  type: 'OKTA_GROUP' | 'APP_GROUP' | 'BUILT_IN';
  profile: { name: string; description: string | null };
}

export interface OktaAppLink {
  id: string;
  label: string;
  linkUrl: string;
  appName: string;
}

interface StoredUser {
  id: string;
  status: OktaUserStatus;
  created: string;
  activated: string | null;
  statusChanged: string | null;
  lastLogin: string | null;
  lastUpdated: string;
  passwordChanged: string | null;
  profile: OktaProfile;
  groups: OktaGroup[];
  appLinks: OktaAppLink[];
}

/** Okta's rate limit of one bucket: `limit` requests per `windowSeconds`. */
export interface OktaRateLimit {
  limit: number;
  windowSeconds: number;
}

/** What the peer does with the next requests instead of answering them (failure tests). */
export type OktaFault = 'hang' | { status: number; errorCode: string; errorSummary: string } | null;

const ERRORS = {
  E0000007: { status: 404, summary: 'Not found: Resource not found: {0} (User)' },
  E0000011: { status: 401, summary: 'Invalid token provided' },
  E0000022: { status: 405, summary: 'The endpoint does not support the provided HTTP method' },
  E0000031: { status: 400, summary: 'Invalid search criteria.' },
  E0000047: { status: 429, summary: 'API call exceeded rate limit due to too many requests.' },
} as const;

const MAX_LIMIT = 200;
const FILTERABLE = new Set([
  'status',
  'lastUpdated',
  'id',
  'profile.login',
  'profile.email',
  'profile.firstName',
  'profile.lastName',
]);
const CONTAINS = new Set([
  'profile.firstName',
  'profile.lastName',
  'profile.email',
  'profile.login',
]);

type Clause = { path: string; op: 'eq' | 'sw' | 'co'; value: string };

/**
 * The Okta management API on loopback, as EXTERNAL-CONTRACTS.md §2(b) documents it:
 * `Authorization: SSWS <token>`, users by id or login (with an ETag), `search` (`eq`, `sw`,
 * `co`; case-insensitive values; DEPROVISIONED included), `filter` (`eq` only, case-sensitive;
 * `and`/`or`), `q` (prefix, 10 at most, no pages), the list paginated by `limit` and `after` with
 * absolute `Link: <…>; rel="next"` headers, a user's groups and app links, Okta's error envelope
 * and codes, `X-Okta-Request-Id` and the `X-Rate-Limit-*` headers on every answer, and a 429
 * `E0000047` once a bucket's limit is spent until its reset (epoch seconds; Node sends `Date`).
 * Latency and faults can be injected; every request is recorded.
 */
export class OktaPeer {
  private readonly users = new Map<string, StoredUser>();
  private readonly buckets = new Map<string, { used: number; resetAt: number }>();
  private readonly hanging = new Set<ServerResponse>();
  private server!: Server;
  private port = 0;
  private token = `00${randomBytes(20).toString('base64url')}`;
  /** Every request, `GET /api/v1/users?limit=2`, in order. */
  readonly requests: string[] = [];
  /** Requests per bucket (`users` for the list and search, `user` for one user). */
  rateLimit: OktaRateLimit | null = null;
  /** The largest page the list answers, whatever `limit` asks (Okta's is 200). */
  maxLimit = MAX_LIMIT;
  /** Milliseconds each answer waits before it is sent. */
  latencyMs = 0;
  /** Requests being answered now, and the most there were at once (calls made in parallel). */
  private inFlight = 0;
  maxInFlight = 0;
  fault: OktaFault = null;
  /** A fault that starts once this many more requests have been answered (`failAfter`). */
  private pendingFault: { remaining: number; fault: OktaFault } | null = null;

  get apiToken(): string {
    return this.token;
  }

  /**
   * Known from the start on, after `stop` too: an answer still being made then (`latencyMs`)
   * names its links with it rather than failing the process with an unhandled rejection.
   */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Answers `requests` more requests as usual, then every one with `fault` (until reset). */
  failAfter(requests: number, fault: OktaFault): void {
    this.pendingFault = { remaining: requests, fault };
  }

  /** How many users the peer holds. */
  get userCount(): number {
    return this.users.size;
  }

  rotateToken(): string {
    this.token = `00${randomBytes(20).toString('base64url')}`;
    return this.token;
  }

  /** Adds (or replaces) a user; `id` is Okta-shaped (`00u…`) unless given. */
  addUser(
    profile: OktaProfile,
    options: {
      id?: string;
      status?: OktaUserStatus;
      groups?: OktaGroup[];
      appLinks?: OktaAppLink[];
    } = {},
  ): string {
    const id = options.id ?? `00u${randomBytes(7).toString('hex')}`;
    const now = new Date().toISOString();
    const status = options.status ?? 'ACTIVE';
    this.users.set(id, {
      id,
      status,
      created: now,
      activated: status === 'ACTIVE' ? now : null,
      statusChanged: now,
      lastLogin: null,
      lastUpdated: now,
      passwordChanged: null,
      profile,
      groups: options.groups ?? [],
      appLinks: options.appLinks ?? [],
    });
    return id;
  }

  updateProfile(id: string, changes: Partial<OktaProfile>): void {
    const user = this.mustGet(id);
    user.profile = { ...user.profile, ...changes };
    user.lastUpdated = this.later(user.lastUpdated);
  }

  setStatus(id: string, status: OktaUserStatus): void {
    const user = this.mustGet(id);
    user.status = status;
    user.statusChanged = user.lastUpdated = this.later(user.lastUpdated);
  }

  deleteUser(id: string): void {
    this.users.delete(id);
  }

  /** Requests recorded whose line starts with `prefix`. */
  count(prefix: string): number {
    return this.requests.filter((line) => line.startsWith(prefix)).length;
  }

  private mustGet(id: string): StoredUser {
    const user = this.users.get(id);
    if (!user) throw new Error(`no Okta user ${id}`);
    return user;
  }

  /** A timestamp strictly after `previous`, even within one millisecond. */
  private later(previous: string): string {
    const now = Date.now();
    const before = Date.parse(previous);
    return new Date(Math.max(now, before + 1)).toISOString();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    res.setHeader('x-okta-request-id', randomBytes(12).toString('base64url'));
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on('close', () => this.inFlight--);
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    if (this.pendingFault && this.pendingFault.remaining-- <= 0) {
      this.fault = this.pendingFault.fault;
      this.pendingFault = null;
    }
    if (this.fault === 'hang') {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    if (this.fault) {
      this.send(res, this.fault.status, {
        errorCode: this.fault.errorCode,
        errorSummary: this.fault.errorSummary,
      });
      return;
    }
    if (!this.authorized(req.headers.authorization)) {
      this.error(res, 'E0000011');
      return;
    }
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== 'api' || parts[1] !== 'v1' || parts[2] !== 'users') {
      this.error(res, 'E0000007', url.pathname);
      return;
    }
    if (req.method !== 'GET') {
      this.error(res, 'E0000022');
      return;
    }
    if (!this.withinRateLimit(res, parts.length === 3 ? 'users' : 'user')) {
      this.error(res, 'E0000047');
      return;
    }
    if (parts.length === 3) {
      this.list(url, res);
      return;
    }
    const user = this.find(decodeURIComponent(parts[3]));
    if (!user || parts.length > 5) {
      this.error(res, 'E0000007', parts[3]);
      return;
    }
    if (parts.length === 4) {
      const body = this.view(user);
      res.setHeader(
        'etag',
        `"${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 16)}"`,
      );
      this.send(res, 200, body);
    } else if (parts[4] === 'groups') {
      this.send(
        res,
        200,
        user.groups.map((group) => this.groupView(group)),
      );
    } else if (parts[4] === 'appLinks') {
      this.send(
        res,
        200,
        user.appLinks.map((link, i) => ({
          ...link,
          logoUrl: `${this.baseUrl}/assets/img/logos/${link.appName}.png`,
          appInstanceId: `0oa${createHash('sha256').update(link.id).digest('hex').slice(0, 14)}`,
          appAssignmentId: `0ua${createHash('sha256')
            .update(user.id + link.id)
            .digest('hex')
            .slice(0, 14)}`,
          credentialsSetup: false,
          hidden: false,
          sortOrder: i,
        })),
      );
    } else {
      this.error(res, 'E0000007', parts[4]);
    }
  }

  private authorized(header: string | undefined): boolean {
    if (!header?.startsWith('SSWS ')) return false;
    const given = createHash('sha256').update(header.slice(5)).digest();
    const expected = createHash('sha256').update(this.token).digest();
    return timingSafeEqual(given, expected);
  }

  private withinRateLimit(res: ServerResponse, bucketName: string): boolean {
    if (!this.rateLimit) return true;
    const now = Date.now();
    let bucket = this.buckets.get(bucketName);
    if (!bucket || bucket.resetAt <= now) {
      // Okta's windows end on a whole second: Reset is epoch seconds.
      const resetAt = Math.ceil((now + this.rateLimit.windowSeconds * 1000) / 1000) * 1000;
      bucket = { used: 0, resetAt };
      this.buckets.set(bucketName, bucket);
    }
    const allowed = bucket.used < this.rateLimit.limit;
    if (allowed) bucket.used++;
    res.setHeader('x-rate-limit-limit', String(this.rateLimit.limit));
    res.setHeader('x-rate-limit-remaining', String(this.rateLimit.limit - bucket.used));
    res.setHeader('x-rate-limit-reset', String(bucket.resetAt / 1000));
    return allowed;
  }

  private find(idOrLogin: string): StoredUser | undefined {
    const byId = this.users.get(idOrLogin);
    if (byId) return byId;
    const login = idOrLogin.toLowerCase();
    return [...this.users.values()].find((user) => user.profile.login.toLowerCase() === login);
  }

  private list(url: URL, res: ServerResponse): void {
    const params = url.searchParams;
    const q = params.get('q');
    if (q !== null) {
      const prefix = q.toLowerCase();
      const limit = Math.min(Number(params.get('limit') ?? 10), 10);
      const found = [...this.users.values()]
        .filter((user) => user.status !== 'DEPROVISIONED')
        .filter((user) =>
          [user.profile.firstName, user.profile.lastName, user.profile.email].some((value) =>
            String(value ?? '')
              .toLowerCase()
              .startsWith(prefix),
          ),
        )
        .slice(0, limit);
      this.send(
        res,
        200,
        found.map((user) => this.view(user)),
      );
      return;
    }
    const limitParam = params.get('limit');
    const limit = limitParam === null ? MAX_LIMIT : Number(limitParam);
    if (!Number.isInteger(limit) || limit < 1) {
      this.error(res, 'E0000001', 'limit');
      return;
    }
    let match: (user: StoredUser) => boolean = (user) => user.status !== 'DEPROVISIONED';
    const search = params.get('search');
    const filter = params.get('filter');
    if (search !== null || filter !== null) {
      const parsed =
        search !== null ? parseExpression(search, false) : parseExpression(filter!, true);
      if (!parsed) {
        this.error(res, 'E0000031');
        return;
      }
      match = parsed;
    }
    const after = params.get('after');
    let candidates = [...this.users.values()].filter(match).sort((a, b) => (a.id < b.id ? -1 : 1));
    if (after) candidates = candidates.filter((user) => user.id > after);
    const pageSize = Math.min(limit, this.maxLimit);
    const page = candidates.slice(0, pageSize);
    const self = new URL(url.pathname, this.baseUrl);
    for (const [key, value] of params) self.searchParams.set(key, value);
    const links = [`<${self.toString()}>; rel="self"`];
    if (candidates.length > page.length) {
      const next = new URL(self);
      next.searchParams.set('after', page[page.length - 1].id);
      next.searchParams.set('limit', String(pageSize));
      links.push(`<${next.toString()}>; rel="next"`);
    }
    res.setHeader('link', links);
    this.send(
      res,
      200,
      page.map((user) => this.view(user)),
    );
  }

  private view(user: StoredUser) {
    return {
      id: user.id,
      status: user.status,
      created: user.created,
      activated: user.activated,
      statusChanged: user.statusChanged,
      lastLogin: user.lastLogin,
      lastUpdated: user.lastUpdated,
      passwordChanged: user.passwordChanged,
      type: { id: 'oty1a2b3c4d5e6f7g8h9' },
      profile: user.profile,
      credentials: { provider: { type: 'OKTA', name: 'OKTA' } },
      _links: { self: { href: `${this.baseUrl}/api/v1/users/${user.id}` } },
    };
  }

  private groupView(group: OktaGroup) {
    return {
      ...group,
      created: '2024-01-01T00:00:00.000Z',
      lastUpdated: '2024-01-01T00:00:00.000Z',
      lastMembershipUpdated: '2024-01-01T00:00:00.000Z',
      objectClass: ['okta:user_group'],
      _links: { self: { href: `${this.baseUrl}/api/v1/groups/${group.id}` } },
    };
  }

  private error(res: ServerResponse, code: keyof typeof ERRORS | 'E0000001', detail = ''): void {
    const known =
      code === 'E0000001'
        ? { status: 400, summary: `Api validation failed: ${detail}` }
        : { status: ERRORS[code].status, summary: ERRORS[code].summary.replace('{0}', detail) };
    this.send(res, known.status, {
      errorCode: code,
      errorSummary: known.summary,
      errorLink: code,
      errorId: `oae${randomUUID().replace(/-/g, '').slice(0, 20)}`,
      errorCauses: [],
    });
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }
}

/** A user's value at a dotted path (`profile.email`, `status`). */
function valueAt(user: StoredUser, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (at, key) =>
        at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined,
      user,
    );
}

/**
 * A `search` or `filter` expression: clauses `<path> <op> "<value>"` joined by `and` or `or`
 * (evaluated left to right). `filter` allows only its few properties and `eq`, and compares
 * values case-sensitively; `search` allows any property, `sw` and `co` (the latter on names,
 * email and login only), and compares values case-insensitively. Null when the expression is
 * not valid for its kind (Okta's E0000031).
 */
function parseExpression(text: string, strict: boolean): ((user: StoredUser) => boolean) | null {
  const tokens = text.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
  const clauses: Clause[] = [];
  const joins: ('and' | 'or')[] = [];
  for (let i = 0; i < tokens.length; i += 4) {
    const [path, op, raw, join] = tokens.slice(i, i + 4);
    if (!path || !op || !raw || !/^"(.*)"$/.test(raw)) return null;
    if (op !== 'eq' && op !== 'sw' && op !== 'co') return null;
    if (strict && (op !== 'eq' || !FILTERABLE.has(path))) return null;
    if (op === 'co' && !CONTAINS.has(path)) return null;
    clauses.push({ path, op, value: JSON.parse(raw) as string });
    if (join !== undefined) {
      if (join !== 'and' && join !== 'or') return null;
      joins.push(join);
    }
  }
  if (clauses.length === 0 || joins.length !== clauses.length - 1) return null;
  const test = (user: StoredUser, clause: Clause): boolean => {
    const found = valueAt(user, clause.path);
    if (typeof found !== 'string' && typeof found !== 'number' && typeof found !== 'boolean') {
      return false;
    }
    const have = strict ? String(found) : String(found).toLowerCase();
    const want = strict ? clause.value : clause.value.toLowerCase();
    if (clause.op === 'eq') return have === want;
    if (clause.op === 'sw') return have.startsWith(want);
    return have.includes(want);
  };
  return (user) =>
    clauses.reduce<boolean>(
      (result, clause, i) =>
        i === 0
          ? test(user, clause)
          : joins[i - 1] === 'and'
            ? result && test(user, clause)
            : result || test(user, clause),
      false,
    );
}
