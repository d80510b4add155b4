import {
  jsonOf,
  ManagementApi,
  ManagementApiError,
  RateLimitedGet,
  RemotePage,
  RemoteStatus,
  RemoteUser,
} from './management-api';

/** Users read per page of a full sync: Okta's largest. */
const PAGE_SIZE = 200;

/** A `search` that every user matches: unlike the plain list, it includes DEPROVISIONED users. */
const EVERY_STATUS = encodeURIComponent(
  [
    'STAGED',
    'PROVISIONED',
    'ACTIVE',
    'RECOVERY',
    'LOCKED_OUT',
    'PASSWORD_EXPIRED',
    'SUSPENDED',
    'DEPROVISIONED',
  ]
    .map((status) => `status eq "${status}"`)
    .join(' or '),
);

interface OktaUser {
  id: string;
  status: string;
  lastUpdated: string;
  profile: Record<string, unknown>;
}

/** A group a user belongs to (`GET /api/v1/users/{id}/groups`), as onboarding keeps it. */
export interface OktaGroupSummary {
  id: string;
  name: string;
}

/** An application assigned to a user (`GET /api/v1/users/{id}/appLinks`). */
export interface OktaAppLinkSummary {
  id: string;
  label: string;
  appName: string;
  linkUrl: string;
}

/** Okta's statuses, as the local account follows them: a DEPROVISIONED user is deactivated. */
function statusOf(okta: string): RemoteStatus {
  if (okta === 'SUSPENDED') return 'suspended';
  if (okta === 'DEPROVISIONED') return 'deactivated';
  return 'active';
}

function nameOf(profile: Record<string, unknown>): string | undefined {
  if (typeof profile.displayName === 'string' && profile.displayName.trim()) {
    return profile.displayName;
  }
  const parts = [profile.firstName, profile.lastName].filter(
    (part): part is string => typeof part === 'string' && part.trim() !== '',
  );
  return parts.length > 0 ? parts.join(' ') : undefined;
}

function remoteUser(user: OktaUser): RemoteUser {
  const profile = user.profile ?? {};
  return {
    id: user.id,
    status: statusOf(user.status),
    updatedAt: new Date(user.lastUpdated),
    claims: {
      ...profile,
      email: profile.email,
      // Okta's own users' addresses are verified before the account is activated.
      email_verified: true,
      name: nameOf(profile),
      given_name: profile.firstName,
      family_name: profile.lastName,
      phone_number: profile.mobilePhone,
      locale: profile.locale,
      preferred_username: profile.login,
    },
  };
}

/** The `rel="next"` URL of a `Link` header (followed as given, never built). */
function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match) return match[1];
  }
  return null;
}

/**
 * The Okta management API (`/api/v1/users`) with an SSWS token, through ProviderHttp (the SSRF
 * guard), so not with Okta's SDK, whose own HTTP client would bypass it. Pages follow the
 * `Link` header; a next link to another origin than the configured one is refused, so that a
 * token is never sent elsewhere.
 */
export class OktaManagementApi implements ManagementApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly http: RateLimitedGet,
  ) {}

  private get headers(): Record<string, string> {
    return { accept: 'application/json', authorization: `SSWS ${this.token}` };
  }

  async getUser(id: string): Promise<RemoteUser | null> {
    const response = await this.http.get(
      `${this.baseUrl}/api/v1/users/${encodeURIComponent(id)}`,
      this.headers,
    );
    if (response.status === 404) return null;
    return remoteUser(await jsonOf<OktaUser>(response, 'errorCode'));
  }

  async probe(): Promise<void> {
    const response = await this.http.get(`${this.baseUrl}/api/v1/users?limit=1`, this.headers);
    await jsonOf<OktaUser[]>(response, 'errorCode');
  }

  /**
   * The user whose `profile.email` is `email` (a `search`, so case-insensitive and including
   * DEPROVISIONED users), or null when none is; the first by id when several are.
   */
  async findUserByEmail(email: string): Promise<RemoteUser | null> {
    const search = encodeURIComponent(`profile.email eq ${JSON.stringify(email)}`);
    const response = await this.http.get(
      `${this.baseUrl}/api/v1/users?search=${search}&limit=2`,
      this.headers,
    );
    const users = await jsonOf<OktaUser[]>(response, 'errorCode');
    return users.length > 0 ? remoteUser(users[0]) : null;
  }

  async groupsOf(userId: string): Promise<OktaGroupSummary[]> {
    const response = await this.http.get(
      `${this.baseUrl}/api/v1/users/${encodeURIComponent(userId)}/groups`,
      this.headers,
    );
    const groups = await jsonOf<{ id: string; profile?: { name?: string } }[]>(
      response,
      'errorCode',
    );
    return groups.map((group) => ({ id: group.id, name: group.profile?.name ?? group.id }));
  }

  async appLinksOf(userId: string): Promise<OktaAppLinkSummary[]> {
    const response = await this.http.get(
      `${this.baseUrl}/api/v1/users/${encodeURIComponent(userId)}/appLinks`,
      this.headers,
    );
    const links = await jsonOf<OktaAppLinkSummary[]>(response, 'errorCode');
    return links.map(({ id, label, appName, linkUrl }) => ({ id, label, appName, linkUrl }));
  }

  async listUsers(cursor: string | null): Promise<RemotePage> {
    const first = `${this.baseUrl}/api/v1/users?limit=${PAGE_SIZE}&search=${EVERY_STATUS}`;
    const url = cursor ?? first;
    if (new URL(url).origin !== new URL(this.baseUrl).origin) {
      throw new ManagementApiError(502, 'foreign_next_link');
    }
    const response = await this.http.get(url, this.headers);
    const users = await jsonOf<OktaUser[]>(response, 'errorCode');
    return { users: users.map(remoteUser), next: nextLink(response.headers.get('link')) };
  }
}
