import { jsonOf, ManagementApi, RateLimitedGet, RemotePage, RemoteUser } from './management-api';

/** Users read per page: Asgardeo caps `count` at 100 for newer organizations. */
const PAGE_SIZE = 100;

interface ScimUser {
  id: string;
  userName?: string;
  active?: boolean;
  locked?: boolean;
  name?: { formatted?: string; givenName?: string; familyName?: string };
  displayName?: string;
  emails?: (string | { value?: string; primary?: boolean })[];
  phoneNumbers?: { value?: string; type?: string; primary?: boolean }[];
  locale?: string;
  preferredLanguage?: string;
  meta?: { lastModified?: string };
  'urn:scim:wso2:schema'?: { accountLocked?: boolean; accountDisabled?: boolean };
}

interface ScimList {
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources?: ScimUser[];
}

function primary<T extends { primary?: boolean }>(values: T[] | undefined): T | undefined {
  return values?.find((value) => value.primary) ?? values?.[0];
}

function remoteUser(user: ScimUser): RemoteUser {
  const email = primary(
    (user.emails ?? []).map((value) => (typeof value === 'string' ? { value } : value)),
  )?.value;
  const wso2 = user['urn:scim:wso2:schema'];
  const disabled = user.active === false || wso2?.accountDisabled === true;
  const locked = user.locked === true || wso2?.accountLocked === true;
  const given = user.name?.givenName;
  const family = user.name?.familyName;
  return {
    id: user.id,
    status: disabled ? 'deactivated' : locked ? 'suspended' : 'active',
    updatedAt: new Date(user.meta?.lastModified ?? 0),
    claims: {
      email,
      email_verified: true,
      name:
        user.name?.formatted ??
        user.displayName ??
        ([given, family].filter(Boolean).join(' ') || undefined),
      given_name: given,
      family_name: family,
      phone_number: primary(user.phoneNumbers)?.value,
      locale: user.locale ?? user.preferredLanguage,
      preferred_username: user.userName?.replace(/^[^/]+\//, ''),
    },
  };
}

/**
 * SCIM 2.0 `/Users` (RFC 7644; Asgardeo, WSO2 IS and others) with a Bearer token, through
 * ProviderHttp. Pages by `startIndex` (1-based) and `count`.
 */
export class ScimManagementApi implements ManagementApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly http: RateLimitedGet,
  ) {}

  private get headers(): Record<string, string> {
    return { accept: 'application/scim+json', authorization: `Bearer ${this.token}` };
  }

  async getUser(id: string): Promise<RemoteUser | null> {
    const response = await this.http.get(
      `${this.baseUrl}/Users/${encodeURIComponent(id)}`,
      this.headers,
    );
    if (response.status === 404) return null;
    return remoteUser(await jsonOf<ScimUser>(response, 'scimType'));
  }

  async probe(): Promise<void> {
    const response = await this.http.get(
      `${this.baseUrl}/Users?startIndex=1&count=1`,
      this.headers,
    );
    await jsonOf<ScimList>(response, 'scimType');
  }

  async listUsers(cursor: string | null): Promise<RemotePage> {
    const startIndex = cursor === null ? 1 : Number(cursor);
    const response = await this.http.get(
      `${this.baseUrl}/Users?startIndex=${startIndex}&count=${PAGE_SIZE}`,
      this.headers,
    );
    const list = await jsonOf<ScimList>(response, 'scimType');
    const users = (list.Resources ?? []).map(remoteUser);
    const next = startIndex + users.length;
    return {
      users,
      next: users.length > 0 && next <= list.totalResults ? String(next) : null,
    };
  }
}
