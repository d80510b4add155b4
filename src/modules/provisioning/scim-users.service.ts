import { Inject, Injectable } from '@nestjs/common';
import { isEmail } from 'class-validator';
import { Actor } from '../../common/auth/actor';
import { Caller } from '../../common/auth/principal';
import { PasswordHasher } from '../../common/crypto/password-hasher';
import { PasswordPolicy } from '../../common/crypto/password-policy';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode, ScimErrorCode } from '../../common/errors/error-code';
import { SCIM_BASE_PATH } from '../../common/errors/scim-error-mapper';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import { UserRolesService } from '../access/user-roles.service';
import { DomainEvents } from '../events/domain-events.service';
import { AdminUsersService } from '../users/admin-users.service';
import { normalizeEmail } from '../users/email-address';
import { UsersService } from '../users/users.service';
import { PersonalData } from '../privacy/personal-data.decorator';
import { EVERY_CLIENT, ProvisioningScope } from './provisioning-scope';
import { ResourceChange, ScimResources } from './scim-resources';
import { ScimGroupsRepository } from './scim-groups.repository';
import { ScimUser } from './scim-user.entity';
import {
  ScimUserFields,
  ScimUsersRepository,
  USER_STORAGE,
  UserGroup,
} from './scim-users.repository';
import { assertIfMatch, etagOf } from './scim/scim-etag';
import { ScimObject } from './scim/scim-filter-evaluator';
import { ListRequest } from './scim/scim-list-request';
import { listResources } from './scim/scim-listing';
import { ENTERPRISE_USER_SCHEMA, CORE_USER_SCHEMA, USER_RESOURCE } from './scim/scim-schema';

/** The longest account name Gatehouse keeps (as an administrator's invitation allows). */
const MAX_NAME_LENGTH = 200;

const isObject = (value: unknown): value is ScimObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What a client wrote of a User, split as it is stored. */
interface WrittenUser {
  fields: ScimUserFields;
  password: string | null;
  email: string;
  name: string;
}

/** The account's address: the primary email, else a work one, else the first, else userName. */
function emailOf(attributes: ScimObject, userName: string): string {
  const emails = (Array.isArray(attributes.emails) ? attributes.emails : []) as ScimObject[];
  const chosen =
    emails.find((e) => e.primary === true) ?? emails.find((e) => e.type === 'work') ?? emails[0];
  const email = typeof chosen?.value === 'string' ? chosen.value : userName;
  if (email.length > 254 || !isEmail(email)) {
    throw new DomainError(
      ScimErrorCode.InvalidValue,
      'A User needs an email address: in "emails", or as a "userName" that is one.',
    );
  }
  return email;
}

/** The account's name: displayName, else the formatted name, else given and family, else userName. */
function nameOf(attributes: ScimObject, userName: string): string {
  const name = isObject(attributes.name) ? attributes.name : {};
  const parts = [name.givenName, name.familyName].filter((p) => typeof p === 'string').join(' ');
  const chosen = [attributes.displayName, name.formatted, parts, userName].find(
    (candidate) => typeof candidate === 'string' && candidate.trim() !== '',
  ) as string;
  // Control and invisible formatting characters have no place in a name shown to people.
  const cleaned = chosen
    .replace(/[\p{Cc}\u200B\u2060\uFEFF\u202A-\u202E\u2066-\u2069]/gu, ' ')
    .trim();
  return [...(cleaned || userName)].slice(0, MAX_NAME_LENGTH).join('');
}

/** The names of the attributes whose values differ between two representations. */
function changedAttributes(before: ScimObject, after: ScimObject): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  const changed: string[] = [];
  for (const name of names) {
    const a = before[name];
    const b = after[name];
    if (name === ENTERPRISE_USER_SCHEMA && (isObject(a) || isObject(b))) {
      for (const sub of changedAttributes(isObject(a) ? a : {}, isObject(b) ? b : {})) {
        changed.push(`${name}:${sub}`);
      }
    } else if (JSON.stringify(a) !== JSON.stringify(b)) changed.push(name);
  }
  return changed.sort();
}

/**
 * SCIM Users (RFC 7644) over Gatehouse accounts: a provisioning client creates an account with
 * its User (active, its address proven), keeps the User's attributes as it writes them, and
 * deprovisions with `active: false` or DELETE, which suspend or deactivate the account as
 * configured (SCIM_DEPROVISION) and end its sessions, through the administrators' lifecycle
 * (so the last administrator cannot be deprovisioned either). Each write is one transaction with
 * its events; the account's address and name follow the User's.
 */
@Injectable()
export class ScimUsersService implements ScimResources {
  private readonly base: string;

  constructor(
    private readonly repository: ScimUsersRepository,
    private readonly groups: ScimGroupsRepository,
    private readonly users: UsersService,
    private readonly lifecycle: AdminUsersService,
    private readonly userRoles: UserRolesService,
    private readonly transactions: Transactions,
    private readonly events: DomainEvents,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.base = `${config.http.publicUrl}${SCIM_BASE_PATH}`;
  }

  readonly type = USER_RESOURCE;

  async create(
    user: ScimObject,
    scope: ProvisioningScope,
    _caller: Caller,
    actor: Actor,
  ): Promise<ScimObject> {
    const written = this.read(user, true);
    const passwordHash =
      written.password === null ? null : await this.hashed(written.password, written.email);
    const id = await this.transactions.run(async () => {
      const userId = await this.users.createProvisioned(
        { email: written.email, name: written.name, passwordHash },
        { actor },
      );
      if (!userId) throw taken();
      const inserted = await this.repository.insert(
        userId,
        scope.clientId,
        written.fields,
        new Date(),
      );
      if (inserted !== 'created') throw taken(inserted);
      if (!written.fields.active) await this.deprovision(userId, 'Provisioned inactive', actor);
      await this.events.emit(
        'scim.user.created',
        { user_id: userId, client_id: scope.clientId },
        { actor },
      );
      return userId;
    });
    return this.get(id, scope);
  }

  async get(id: string, scope: ProvisioningScope): Promise<ScimObject> {
    const row = await this.find(id, scope);
    return this.representation(row, await this.repository.groupsOf([row.userId]));
  }

  async list(
    request: ListRequest,
    scope: ProvisioningScope,
  ): Promise<{ resources: ScimObject[]; total: number }> {
    return listResources(USER_RESOURCE, USER_STORAGE, request, async (page) => {
      const { rows, total } = await this.repository.list(scope, page);
      const groups = await this.repository.groupsOf(rows.map((row) => row.userId));
      return { resources: rows.map((row) => this.representation(row, groups)), total };
    });
  }

  /**
   * DELETE: the account is deprovisioned (suspended or deactivated, its sessions ended) and
   * leaves its groups, and the User is gone: a later GET is a 404. The account stays, holding
   * its address, for the administrators and the audit trail.
   */
  async delete(
    id: string,
    ifMatch: string | undefined,
    scope: ProvisioningScope,
    actor: Actor,
  ): Promise<void> {
    await this.transactions.run(async () => {
      const row = await this.find(id, scope, true);
      assertIfMatch(ifMatch, row.version);
      for (const groupId of await this.groups.groupIdsOf(id)) {
        await this.groups.removeMembers(groupId, [id]);
        await this.userRoles.revoke(id, groupId, actor);
      }
      await this.deprovision(id, 'Deleted by the provisioning client', actor);
      await this.repository.delete(id);
      await this.events.emit(
        'scim.user.deleted',
        { user_id: id, client_id: row.clientId },
        { actor },
      );
    });
  }

  /**
   * PUT and PATCH: the User becomes `next` of its writable attributes (`active` stays as it is
   * when absent, as Okta's PUTs leave it out), and the account follows it: name, address,
   * password, and status (deprovisioned, or reactivated) with its sessions.
   */
  async update(
    id: string,
    { ifMatch, scope, actor }: ResourceChange,
    next: (current: ScimObject) => ScimObject,
  ): Promise<ScimObject> {
    await this.transactions.run(async () => {
      const row = await this.find(id, scope, true);
      assertIfMatch(ifMatch, row.version);
      const written = this.read({ active: row.active, ...next(this.writable(row)) });
      const account = await this.users.findById(id);
      if (!account) throw notFound();
      if (written.name !== account.name)
        await this.users.updateProfile(id, { name: written.name }, { actor });
      if (normalizeEmail(written.email) !== account.email) {
        if (!(await this.users.changeEmail(account, written.email, { actor }))) throw taken();
      }
      if (written.password !== null) {
        const hash = await this.hashed(written.password, written.email);
        await this.users.changePassword(id, hash, { method: 'reset', sessionId: null }, { actor });
      }
      const before = this.writable(row);
      const updated = await this.repository.update(id, written.fields, new Date());
      if (updated !== 'updated') throw taken(updated);
      if (row.active && !written.fields.active) {
        await this.deprovision(id, 'Deprovisioned by the provisioning client', actor);
      } else if (!row.active && written.fields.active) {
        await this.lifecycle.changeStatus(id, 'reactivate', null, actor);
      }
      const after = {
        ...written.fields.attributes,
        userName: written.fields.userName,
        active: written.fields.active,
        ...(written.fields.externalId ? { externalId: written.fields.externalId } : {}),
      };
      const attributes = changedAttributes(before, after);
      if (written.password !== null) attributes.push('password');
      if (attributes.length > 0) {
        await this.events.emit(
          'scim.user.updated',
          { user_id: id, client_id: row.clientId, attributes },
          { actor },
        );
      }
    });
    return this.get(id, scope);
  }

  /**
   * The person's SCIM User for their data export: the attributes their organization's directory
   * provisioned, as a client reads them (never a password: none is kept here).
   */
  @PersonalData({
    file: 'provisioned-profile.json',
    describes:
      "The profile your organization's directory provisioned through SCIM: the provisioning client, your user name there and the attributes it sent (name, addresses, title, department, manager…).",
  })
  async personalData(userId: string): Promise<unknown> {
    const row = await this.repository.find(userId, EVERY_CLIENT);
    if (!row) return null;
    return {
      client_id: row.clientId,
      ...this.representation(row, await this.repository.groupsOf([userId])),
    };
  }

  /** Suspends or deactivates (SCIM_DEPROVISION) an account that is not already either. */
  private async deprovision(id: string, reason: string, actor: Actor): Promise<void> {
    const status = await this.users.statusOf(id);
    if (status === 'suspended' || status === 'deactivated') return;
    await this.lifecycle.changeStatus(id, this.config.scim.deprovision, reason, actor);
  }

  private async find(id: string, scope: ProvisioningScope, forUpdate = false): Promise<ScimUser> {
    const row = /^[0-9a-f-]{36}$/.test(id)
      ? await this.repository.find(id, scope, { forUpdate })
      : null;
    if (!row) throw notFound();
    return row;
  }

  private async hashed(password: string, email: string): Promise<string> {
    this.policy.assertAcceptable(password, { email, field: 'password' });
    return this.hasher.hash(password);
  }

  /** A normalized User split into what is stored where; `userName` is required. */
  private read(user: ScimObject, creating = false): WrittenUser {
    const { userName, externalId, active, password, ...attributes } = user;
    if (typeof userName !== 'string' || userName.trim() === '') {
      throw new DomainError(ScimErrorCode.InvalidValue, '"userName" is required.');
    }
    return {
      fields: {
        userName,
        externalId: typeof externalId === 'string' ? externalId : null,
        active: creating ? active !== false : active === true,
        attributes,
      },
      password: typeof password === 'string' ? password : null,
      email: emailOf(attributes, userName),
      name: nameOf(attributes, userName),
    };
  }

  /** What a client may write of a User, as stored: the input of a PATCH. */
  private writable(row: ScimUser): ScimObject {
    return {
      ...row.attributes,
      userName: row.userName,
      active: row.active,
      ...(row.externalId === null ? {} : { externalId: row.externalId }),
    };
  }

  private representation(row: ScimUser, groups: UserGroup[]): ScimObject {
    const { [ENTERPRISE_USER_SCHEMA]: enterprise, ...core } = row.attributes;
    const own = groups.filter((g) => g.userId === row.userId);
    const location = `${this.base}/Users/${row.userId}`;
    return {
      schemas: enterprise ? [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA] : [CORE_USER_SCHEMA],
      id: row.userId,
      ...(row.externalId === null ? {} : { externalId: row.externalId }),
      userName: row.userName,
      ...core,
      active: row.active,
      ...(own.length === 0
        ? {}
        : {
            groups: own.map((g) => ({
              value: g.groupId,
              $ref: `${this.base}/Groups/${g.groupId}`,
              display: g.displayName,
              type: 'direct',
            })),
          }),
      ...(enterprise ? { [ENTERPRISE_USER_SCHEMA]: enterprise } : {}),
      meta: {
        resourceType: 'User',
        created: row.createdAt.toISOString(),
        lastModified: row.updatedAt.toISOString(),
        location,
        version: etagOf(row.version),
      },
    };
  }
}

function notFound(): DomainError {
  return new DomainError(CommonErrorCode.NotFound, 'No such User.');
}

function taken(which: 'user_name_taken' | 'external_id_taken' = 'user_name_taken'): DomainError {
  return new DomainError(
    ScimErrorCode.Uniqueness,
    which === 'external_id_taken'
      ? 'This client has another User with this externalId.'
      : 'Another User or account has this userName or email address.',
  );
}
