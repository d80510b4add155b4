import { Injectable } from '@nestjs/common';
import { AccessService } from '../access/access.service';
import { UsersService } from '../users/users.service';

/**
 * How long an instance trusts what it read about a subject. A suspension or a profile change
 * reaches decisions within this time; role grants bump the policy-set version and reach them
 * at once on the next reload.
 */
export const SUBJECT_CACHE_MS = 2000;
const SUBJECT_CACHE_MAX_ENTRIES = 50_000;

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

  constructor(
    private readonly users: UsersService,
    private readonly access: AccessService,
  ) {}

  async user(id: string, policySetVersion: number): Promise<KnownSubject> {
    const now = Date.now();
    const cached = this.cache.get(id);
    if (cached && cached.until > now && cached.version === policySetVersion) return cached.subject;

    const subject = await this.load(id);
    if (this.cache.size >= SUBJECT_CACHE_MAX_ENTRIES) this.evictExpired(now);
    if (this.cache.size < SUBJECT_CACHE_MAX_ENTRIES) {
      this.cache.set(id, { subject, version: policySetVersion, until: now + SUBJECT_CACHE_MS });
    }
    return subject;
  }

  private async load(id: string): Promise<KnownSubject> {
    const [user, roles] = await Promise.all([this.users.findById(id), this.access.rolesOfUser(id)]);
    if (!user) return { roles: [], attributes: { status: 'unknown' } };
    return {
      roles: user.status === 'active' ? roles : [],
      attributes: {
        status: user.status,
        email_verified: user.emailVerifiedAt !== null,
        locale: user.locale,
        timezone: user.timezone,
        created_at: user.createdAt.toISOString(),
      },
    };
  }

  private evictExpired(now: number): void {
    for (const [id, entry] of this.cache) if (entry.until <= now) this.cache.delete(id);
  }
}
