import { Injectable } from '@nestjs/common';
import { ExpiringCache } from '../../common/cache/expiring-cache';
import { AccessService } from '../access/access.service';
import { OAuthClientsService } from '../clients/oauth-clients.service';
import { EventOf, OnBroadcast } from '../events/on-event.decorator';
import { UsersService } from '../users/users.service';

type AccountChange =
  | 'user.updated'
  | 'user.email_verified'
  | 'user.email_changed'
  | 'user.suspended'
  | 'user.reactivated'
  | 'user.deactivated'
  | 'user.deleted';

/**
 * How long an instance trusts what it read about a subject: the safety net. A suspension or a
 * profile change reaches decisions as soon as its event does, and within this time if that is
 * lost; role grants bump the policy-set version and reach them with the reload it causes.
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
  /**
   * Subjects by the policy-set version they were read for (see `cacheKey`). The checks that miss
   * together (every check of a subject while its entry is refreshed) share one read instead of
   * each querying the database. When full of fresh entries it keeps them and stores no more
   * until some expire.
   */
  private readonly subjects = new ExpiringCache<string, KnownSubject>({
    ttlMs: SUBJECT_CACHE_MS,
    maxEntries: SUBJECT_CACHE_MAX_ENTRIES,
    whenFull: 'keep',
  });

  constructor(
    private readonly users: UsersService,
    private readonly access: AccessService,
    private readonly clients: OAuthClientsService,
  ) {}

  user(id: string, policySetVersion: number): Promise<KnownSubject> {
    return this.subjects.getOrLoad(cacheKey('user', id, policySetVersion), () => this.loadUser(id));
  }

  service(clientId: string, policySetVersion: number): Promise<KnownSubject> {
    return this.subjects.getOrLoad(cacheKey('service', clientId, policySetVersion), () =>
      this.loadService(clientId),
    );
  }

  /**
   * What `user` or `service` would answer at once from the cache, without waiting for a
   * promise; undefined when they would have to read. Most decisions find their subject here.
   */
  cached(type: SubjectType, id: string, policySetVersion: number): KnownSubject | undefined {
    return this.subjects.get(cacheKey(type, id, policySetVersion));
  }

  /** An account's status or profile changed: decisions read it afresh from now on. */
  @OnBroadcast(
    'user.updated',
    'user.email_verified',
    'user.email_changed',
    'user.suspended',
    'user.reactivated',
    'user.deactivated',
    'user.deleted',
  )
  accountChanged(event: EventOf<AccountChange>): void {
    this.forget('user', event.data.user_id);
  }

  /** A service client was disabled or enabled: decisions read it afresh from now on. */
  @OnBroadcast('client.disabled', 'client.enabled')
  clientChanged(event: EventOf<'client.disabled' | 'client.enabled'>): void {
    this.forget('service', event.data.client_id);
  }

  /** This instance reads the subject afresh at its next decision (its account changed, say). */
  forget(type: SubjectType, id: string): void {
    const subject = subjectKey(type, id);
    this.subjects.deleteWhere((key) => key.slice(key.indexOf(' ') + 1) === subject);
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
}

type SubjectType = 'user' | 'service';

/** Users as policies name them (`user:<id>`), services likewise (`client:<client_id>`). */
function subjectKey(type: SubjectType, id: string): string {
  return `${type === 'user' ? 'user' : 'client'}:${id}`;
}

/**
 * A subject's entry for one policy-set version: the version, a space (which a version never
 * holds), then the subject, so that an entry read for another version is never answered.
 */
function cacheKey(type: SubjectType, id: string, policySetVersion: number): string {
  return `${policySetVersion} ${subjectKey(type, id)}`;
}
