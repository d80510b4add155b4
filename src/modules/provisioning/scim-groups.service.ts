import { Inject, Injectable } from '@nestjs/common';
import { Actor } from '../../common/auth/actor';
import { DelegationLimits } from '../../common/auth/delegation-limits';
import { Caller } from '../../common/auth/principal';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode, ScimErrorCode } from '../../common/errors/error-code';
import { SCIM_BASE_PATH } from '../../common/errors/scim-error-mapper';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import { RolesService } from '../access/roles.service';
import { UserRolesService } from '../access/user-roles.service';
import { DomainEvents } from '../events/domain-events.service';
import { ProvisioningScope } from './provisioning-scope';
import { ResourceChange, ScimResources } from './scim-resources';
import { GROUP_STORAGE, GroupMember, ScimGroupsRepository } from './scim-groups.repository';
import { ScimGroup } from './scim-group.entity';
import { ScimUsersRepository } from './scim-users.repository';
import { assertIfMatch, etagOf } from './scim/scim-etag';
import { ScimObject } from './scim/scim-filter-evaluator';
import { ListRequest } from './scim/scim-list-request';
import { listResources } from './scim/scim-listing';
import { CORE_GROUP_SCHEMA, GROUP_RESOURCE } from './scim/scim-schema';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The name of the role a new group becomes: its displayName in the role names' alphabet
 * (`[a-z][a-z0-9_-]*`, at most 63), accents dropped, other runs of characters a hyphen.
 */
export function roleNameFor(displayName: string): string {
  const slug = displayName
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
  const name = /^[a-z]/.test(slug) ? slug : `group-${slug}`.replace(/-+$/, '');
  return name.slice(0, 63).replace(/[-_]+$/, '');
}

/** What a client wrote of a Group. */
interface WrittenGroup {
  displayName: string;
  externalId: string | null;
  members: string[];
}

/**
 * SCIM Groups over Gatehouse roles: creating a Group creates a role (named after it, with no
 * permissions until an administrator gives it some), its members are the users granted the role
 * through it, and deleting it deletes the role and its grants. Members are Users the client sees;
 * granting a role whose permissions the client lacks is refused, as for anyone (no escalation).
 */
@Injectable()
export class ScimGroupsService implements ScimResources {
  private readonly base: string;

  constructor(
    private readonly repository: ScimGroupsRepository,
    private readonly users: ScimUsersRepository,
    private readonly roles: RolesService,
    private readonly userRoles: UserRolesService,
    private readonly limits: DelegationLimits,
    private readonly transactions: Transactions,
    private readonly events: DomainEvents,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.base = `${config.http.publicUrl}${SCIM_BASE_PATH}`;
  }

  readonly type = GROUP_RESOURCE;

  async create(
    group: ScimObject,
    scope: ProvisioningScope,
    caller: Caller,
    actor: Actor,
  ): Promise<ScimObject> {
    const written = read(group);
    const id = await this.transactions.run(async () => {
      const { role } = await this.roles.create(
        {
          name: roleNameFor(written.displayName),
          description: `SCIM group "${written.displayName}" of client ${scope.clientId}`.slice(
            0,
            500,
          ),
          permissions: [],
        },
        actor,
      );
      const inserted = await this.repository.insert(role.id, scope.clientId, written, new Date());
      if (inserted !== 'created') throw taken(inserted);
      await this.events.emit(
        'scim.group.created',
        { group_id: role.id, client_id: scope.clientId, role_name: role.name },
        { actor },
      );
      await this.changeMembers(role.id, [], written.members, scope, caller, actor);
      return role.id;
    });
    return this.get(id, scope);
  }

  async get(id: string, scope: ProvisioningScope): Promise<ScimObject> {
    const group = await this.find(id, scope);
    return this.representation(group, await this.repository.membersOf([id]));
  }

  async list(
    request: ListRequest,
    scope: ProvisioningScope,
  ): Promise<{ resources: ScimObject[]; total: number }> {
    const withMembers = !isExcluded(request, 'members');
    return listResources(GROUP_RESOURCE, GROUP_STORAGE, request, async (page) => {
      const { rows, total } = await this.repository.list(scope, page);
      const members = withMembers ? await this.repository.membersOf(rows.map((row) => row.id)) : [];
      return { resources: rows.map((row) => this.representation(row, members)), total };
    });
  }

  /** DELETE: the role goes, and with it every grant of it and the group. */
  async delete(
    id: string,
    ifMatch: string | undefined,
    scope: ProvisioningScope,
    actor: Actor,
  ): Promise<void> {
    await this.transactions.run(async () => {
      const group = await this.find(id, scope, true);
      assertIfMatch(ifMatch, group.version);
      await this.roles.delete(id, actor);
      await this.events.emit(
        'scim.group.deleted',
        { group_id: id, client_id: group.clientId },
        { actor },
      );
    });
  }

  /** PUT and PATCH: the Group becomes `next` of what it is; members gained and lost are grants. */
  async update(
    id: string,
    { ifMatch, scope, caller, actor }: ResourceChange,
    next: (current: ScimObject) => ScimObject,
  ): Promise<ScimObject> {
    await this.transactions.run(async () => {
      const group = await this.find(id, scope, true);
      assertIfMatch(ifMatch, group.version);
      const before = (await this.repository.membersOf([id])).map((m) => m.userId);
      const current: ScimObject = {
        displayName: group.displayName,
        ...(group.externalId === null ? {} : { externalId: group.externalId }),
        ...(before.length === 0 ? {} : { members: before.map((value) => ({ value })) }),
      };
      const written = read(next(current));
      const attributes = [
        ...(written.displayName !== group.displayName ? ['displayName'] : []),
        ...(written.externalId !== group.externalId ? ['externalId'] : []),
      ];
      const updated = await this.repository.update(id, written, new Date());
      if (updated !== 'updated') throw taken(updated);
      const { added, removed } = await this.changeMembers(
        id,
        before,
        written.members,
        scope,
        caller,
        actor,
      );
      if (attributes.length > 0 || added > 0 || removed > 0) {
        await this.events.emit(
          'scim.group.updated',
          {
            group_id: id,
            client_id: group.clientId,
            attributes: added > 0 || removed > 0 ? [...attributes, 'members'] : attributes,
            members_added: added,
            members_removed: removed,
          },
          { actor },
        );
      }
    });
    return this.get(id, scope);
  }

  /**
   * Makes the group's members `next`: each one added is granted the role, each one removed has
   * it revoked. A member must be a User the client sees; anything else is a 400 naming it.
   */
  private async changeMembers(
    groupId: string,
    before: string[],
    next: string[],
    scope: ProvisioningScope,
    caller: Caller,
    actor: Actor,
  ): Promise<{ added: number; removed: number }> {
    const previous = new Set(before);
    const wanted = new Set(next);
    const added = [...wanted].filter((id) => !previous.has(id));
    const removed = before.filter((id) => !wanted.has(id));
    if (added.length > 0) {
      const unknown = added.find((id) => !UUID.test(id));
      const visible = unknown ? new Set<string>() : await this.users.visibleIds(added, scope);
      const missing = unknown ?? added.find((id) => !visible.has(id));
      if (missing !== undefined) {
        throw new DomainError(
          ScimErrorCode.InvalidValue,
          `members: "${missing}" is not the id of a User.`,
        );
      }
      const role = await this.roles.get(groupId);
      await this.limits.assertMayHandOut(caller, {
        kind: 'permissions',
        patterns: role.permissions,
      });
      await this.repository.addMembers(groupId, added);
      for (const userId of added) await this.userRoles.grantById(userId, groupId, null, actor);
    }
    await this.repository.removeMembers(groupId, removed);
    for (const userId of removed) await this.userRoles.revoke(userId, groupId, actor);
    return { added: added.length, removed: removed.length };
  }

  private async find(id: string, scope: ProvisioningScope, forUpdate = false): Promise<ScimGroup> {
    const group = UUID.test(id) ? await this.repository.find(id, scope, { forUpdate }) : null;
    if (!group) throw new DomainError(CommonErrorCode.NotFound, 'No such Group.');
    return group;
  }

  private representation(group: ScimGroup, members: GroupMember[]): ScimObject {
    const own = members.filter((m) => m.groupId === group.id);
    return {
      schemas: [CORE_GROUP_SCHEMA],
      id: group.id,
      ...(group.externalId === null ? {} : { externalId: group.externalId }),
      displayName: group.displayName,
      ...(own.length === 0
        ? {}
        : {
            members: own.map((m) => ({
              value: m.userId,
              $ref: `${this.base}/Users/${m.userId}`,
              type: 'User',
              ...(m.display === null ? {} : { display: m.display }),
            })),
          }),
      meta: {
        resourceType: 'Group',
        created: group.createdAt.toISOString(),
        lastModified: group.updatedAt.toISOString(),
        location: `${this.base}/Groups/${group.id}`,
        version: etagOf(group.version),
      },
    };
  }
}

function read(group: ScimObject): WrittenGroup {
  const { displayName, externalId, members } = group;
  if (typeof displayName !== 'string' || displayName.trim() === '') {
    throw new DomainError(ScimErrorCode.InvalidValue, '"displayName" is required.');
  }
  const values = (Array.isArray(members) ? members : []).map((member: unknown) => {
    const value = (member as ScimObject).value;
    if (typeof value !== 'string')
      throw new DomainError(ScimErrorCode.InvalidValue, 'members: each member needs a "value".');
    return value;
  });
  return {
    displayName,
    externalId: typeof externalId === 'string' ? externalId : null,
    members: [...new Set(values)],
  };
}

function isExcluded(request: ListRequest, attribute: string): boolean {
  const lower = attribute.toLowerCase();
  if (request.excludedAttributes?.some((a) => a.toLowerCase() === lower)) return true;
  return (
    !!request.attributes?.length &&
    !request.attributes.some((a) => a.toLowerCase().split('.')[0] === lower)
  );
}

function taken(which: 'display_name_taken' | 'external_id_taken'): DomainError {
  return new DomainError(
    ScimErrorCode.Uniqueness,
    which === 'external_id_taken'
      ? 'This client has another Group with this externalId.'
      : 'Another Group has this displayName.',
  );
}
