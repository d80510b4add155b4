import { Injectable } from '@nestjs/common';
import { AccessService } from '../access/access.service';
import { OAuthClientsService } from '../clients/oauth-clients.service';
import { UsersService } from '../users/users.service';

/**
 * How long an instance trusts what it read about a subject. A suspension or a profile change
 * reaches decisions within this time; role grants bump the policy-set version and reach them
 * at once on the next reload.
 */
export const SUBJECT_CACHE_MS = 2000;
const SUBJECT_CACHE_MAX_ENTRIES = 50_000;

/**
 * The attributes Gatehouse supplies for a user (also every attribute name of the account that a
 * caller could otherwise claim on its behalf).
 */
export const USER_ATTRIBUTES = [
  'status',
  'email',
  'email_verified',
  'name',
  'phone',
  'avatar_url',
  'locale',
  'timezone',
  'created_at',
  'last_login_at',
] as const;

/** The attributes Gatehouse supplies for a service client. */
export const SERVICE_ATTRIBUTES = ['status', 'name', 'scopes'] as const;

/** What Gatehouse itself knows about a subject; callers cannot override any of it. */
export interface KnownSubject {
  roles: string[];
  attributes: Record<string, unknown>;
}

/**
 * Subject attributes known to Gatehouse, cached per instance. Only an active account holds
 * roles: a suspended, deactivated, unverified or unknown user gets no role permission, while
 * policies can still match it by id and look at its `status`.
 */
@Injectable()
export class SubjectDirectory {
  private readonly cache = new Map<
    string,
    { subject: KnownSubject; version: number; until: number }
  >();
  /**
   * Loads under way: the requests that miss the cache together (every check of a subject while
   * its entry is refreshed) share one read instead of each querying the database.
   */
  private readonly loading = new Map<string, { version: number; subject: Promise<KnownSubject> }>();

  constructor(
    private readonly users: UsersService,
    private readonly access: AccessService,
    private readonly clients: OAuthClientsService,
  ) {}

  user(id: string, policySetVersion: number): Promise<KnownSubject> {
    return this.lookUp(`user:${id}`, policySetVersion, () => this.loadUser(id));
  }

  service(clientId: string, policySetVersion: number): Promise<KnownSubject> {
    return this.lookUp(`client:${clientId}`, policySetVersion, () => this.loadService(clientId));
  }

  /**
   * What `user` or `service` would answer at once from the cache, without waiting for a
   * promise; undefined when they would have to read. Most decisions find their subject here.
   */
  cached(type: 'user' | 'service', id: string, policySetVersion: number): KnownSubject | undefined {
    return this.fresh(
      type === 'user' ? `user:${id}` : `client:${id}`,
      policySetVersion,
      Date.now(),
    );
  }

  private fresh(key: string, policySetVersion: number, now: number): KnownSubject | undefined {
    const cached = this.cache.get(key);
    return cached && cached.until > now && cached.version === policySetVersion
      ? cached.subject
      : undefined;
  }

  private async lookUp(
    key: string,
    policySetVersion: number,
    load: () => Promise<KnownSubject>,
  ): Promise<KnownSubject> {
    const now = Date.now();
    const cached = this.fresh(key, policySetVersion, now);
    if (cached !== undefined) return cached;
    const pending = this.loading.get(key);
    if (pending && pending.version === policySetVersion) return pending.subject;

    const subject = load();
    this.loading.set(key, { version: policySetVersion, subject });
    try {
      const loaded = await subject;
      if (this.cache.size >= SUBJECT_CACHE_MAX_ENTRIES) this.evictExpired(now);
      if (this.cache.size < SUBJECT_CACHE_MAX_ENTRIES) {
        // From when the read began: what it saw is never trusted longer than SUBJECT_CACHE_MS.
        const entry = { subject: loaded, version: policySetVersion, until: now + SUBJECT_CACHE_MS };
        this.cache.set(key, entry);
      }
      return loaded;
    } finally {
      if (this.loading.get(key)?.subject === subject) this.loading.delete(key);
    }
  }

  /** Service clients hold no roles; policies match them as `client:<client_id>`. */
  private async loadService(clientId: string): Promise<KnownSubject> {
    const client = await this.clients.findByClientId(clientId);
    if (!client) return { roles: [], attributes: { status: 'unknown' } };
    return {
      roles: [],
      attributes: {
        status: client.status,
        name: client.name,
        scopes: client.allowedScopes,
      } satisfies Record<(typeof SERVICE_ATTRIBUTES)[number], unknown>,
    };
  }

  private async loadUser(id: string): Promise<KnownSubject> {
    const [user, roles] = await Promise.all([this.users.findById(id), this.access.rolesOfUser(id)]);
    if (!user) return { roles: [], attributes: { status: 'unknown' } };
    return {
      roles: user.status === 'active' ? roles : [],
      attributes: {
        status: user.status,
        email: user.email,
        email_verified: user.emailVerifiedAt !== null,
        name: user.name,
        phone: user.phone,
        avatar_url: user.avatarUrl,
        locale: user.locale,
        timezone: user.timezone,
        created_at: user.createdAt.toISOString(),
        last_login_at: user.lastLoginAt?.toISOString() ?? null,
      } satisfies Record<(typeof USER_ATTRIBUTES)[number], unknown>,
    };
  }

  private evictExpired(now: number): void {
    for (const [key, entry] of this.cache) if (entry.until <= now) this.cache.delete(key);
  }
}
