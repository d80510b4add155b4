import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { ProvisioningScope } from './provisioning-scope';
import { ScimStorage } from './scim/scim-filter-sql';
import { ScimGroup } from './scim-group.entity';
import { takenBy } from './scim-users.repository';
import { ScimResourceTable } from './scim-resource-table';
import { ListPage } from './scim/scim-listing';

/** Where each Group attribute lives, for filters and sorting (alias `r`: scim_groups). */
export const GROUP_STORAGE: ScimStorage = {
  // A Group has no attribute beyond its columns and members.
  document: "'{}'::jsonb",
  columns: {
    id: { sql: 'r.id', kind: 'uuid' },
    externalId: { sql: 'r.external_id', kind: 'text' },
    displayName: { sql: 'r.display_name', kind: 'text' },
    'meta.created': { sql: 'r.created_at', kind: 'timestamptz' },
    'meta.lastModified': { sql: 'r.updated_at', kind: 'timestamptz' },
    'meta.resourceType': { sql: "'Group'", kind: 'constant' },
  },
  relations: {
    members: {
      from: 'scim_group_members m WHERE m.group_id = r.id',
      subs: {
        value: 'm.user_id::text',
        type: "'User'",
        display:
          "(SELECT u.attributes ->> 'displayName' FROM scim_users u WHERE u.user_id = m.user_id)",
      },
    },
  },
};

interface ScimGroupRow {
  id: string;
  client_id: string;
  external_id: string | null;
  display_name: string;
  version: number;
  created_at: Date;
  updated_at: Date;
}

function toScimGroup(row: ScimGroupRow): ScimGroup {
  return {
    id: row.id,
    clientId: row.client_id,
    externalId: row.external_id,
    displayName: row.display_name,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A member of a group, as the Group's `members` shows it. */
export interface GroupMember {
  groupId: string;
  userId: string;
  display: string | null;
}

export type ScimGroupFields = Pick<ScimGroup, 'externalId' | 'displayName'>;

@Injectable()
export class ScimGroupsRepository {
  private readonly table: ScimResourceTable<ScimGroupRow>;

  constructor(private readonly transactions: Transactions) {
    this.table = new ScimResourceTable('scim_groups', 'id', (sql, params) =>
      this.query(sql, params),
    );
  }

  private query<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.transactions.manager().query<T[]>(sql, params);
  }

  async insert(
    id: string,
    clientId: string,
    fields: ScimGroupFields,
    at: Date,
  ): Promise<'created' | 'display_name_taken' | 'external_id_taken'> {
    try {
      await this.query(
        `INSERT INTO scim_groups (id, client_id, external_id, display_name, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 1, $5, $5)`,
        [id, clientId, fields.externalId, fields.displayName, at],
      );
      return 'created';
    } catch (error) {
      return takenBy(error, 'display_name_taken', 'external_id_taken');
    }
  }

  async find(
    id: string,
    scope: ProvisioningScope,
    options: { forUpdate?: boolean } = {},
  ): Promise<ScimGroup | null> {
    const row = await this.table.find(id, scope, options.forUpdate ?? false);
    return row ? toScimGroup(row) : null;
  }

  async update(
    id: string,
    fields: ScimGroupFields,
    at: Date,
  ): Promise<'updated' | 'display_name_taken' | 'external_id_taken'> {
    try {
      await this.query(
        `UPDATE scim_groups SET external_id = $2, display_name = $3, version = version + 1, updated_at = $4
          WHERE id = $1`,
        [id, fields.externalId, fields.displayName, at],
      );
      return 'updated';
    } catch (error) {
      return takenBy(error, 'display_name_taken', 'external_id_taken');
    }
  }

  /** A new version without other change (a member left through a revocation elsewhere). */
  async touch(id: string, at: Date): Promise<void> {
    await this.query(
      'UPDATE scim_groups SET version = version + 1, updated_at = $2 WHERE id = $1',
      [id, at],
    );
  }

  async list(
    scope: ProvisioningScope,
    page: ListPage,
  ): Promise<{ rows: ScimGroup[]; total: number }> {
    const { rows, total } = await this.table.page(scope, page);
    return { rows: rows.map(toScimGroup), total };
  }

  async membersOf(groupIds: string[]): Promise<GroupMember[]> {
    if (groupIds.length === 0) return [];
    const rows = await this.query<{ group_id: string; user_id: string; display: string | null }>(
      `SELECT m.group_id, m.user_id, u.attributes ->> 'displayName' AS display
         FROM scim_group_members m JOIN scim_users u ON u.user_id = m.user_id
        WHERE m.group_id = ANY($1::uuid[]) ORDER BY m.user_id`,
      [groupIds],
    );
    return rows.map((row) => ({
      groupId: row.group_id,
      userId: row.user_id,
      display: row.display,
    }));
  }

  async addMembers(groupId: string, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    await this.query(
      `INSERT INTO scim_group_members (group_id, user_id)
       SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`,
      [groupId, userIds],
    );
  }

  async removeMembers(groupId: string, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    await this.query(
      'DELETE FROM scim_group_members WHERE group_id = $1 AND user_id = ANY($2::uuid[])',
      [groupId, userIds],
    );
  }

  /** The groups a user belongs to (to leave them all). */
  async groupIdsOf(userId: string): Promise<string[]> {
    const rows = await this.query<{ group_id: string }>(
      'SELECT group_id FROM scim_group_members WHERE user_id = $1',
      [userId],
    );
    return rows.map((row) => row.group_id);
  }

  /** Forgets a membership whose grant was revoked elsewhere; the group moves to a new version. */
  async forgetMembership(groupId: string, userId: string, at: Date): Promise<void> {
    const [{ removed }] = await this.query<{ removed: number }>(
      `WITH gone AS (DELETE FROM scim_group_members WHERE group_id = $1 AND user_id = $2 RETURNING 1)
       SELECT count(*)::int AS removed FROM gone`,
      [groupId, userId],
    );
    if (removed > 0) await this.touch(groupId, at);
  }
}
