import { Injectable } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { Transactions } from '../../database/transactions';
import { ProvisioningScope } from './provisioning-scope';
import { ScimStorage } from './scim/scim-filter-sql';
import { ScimResourceTable } from './scim-resource-table';
import { ListPage } from './scim/scim-listing';
import { ScimUser } from './scim-user.entity';

const UNIQUE_VIOLATION = '23505';

/** Where each User attribute lives, for filters and sorting (alias `r`: scim_users). */
export const USER_STORAGE: ScimStorage = {
  document: 'r.attributes',
  columns: {
    id: { sql: 'r.user_id', kind: 'uuid' },
    externalId: { sql: 'r.external_id', kind: 'text' },
    userName: { sql: 'r.user_name', kind: 'text' },
    active: { sql: 'r.active', kind: 'boolean' },
    'meta.created': { sql: 'r.created_at', kind: 'timestamptz' },
    'meta.lastModified': { sql: 'r.updated_at', kind: 'timestamptz' },
    'meta.resourceType': { sql: "'User'", kind: 'constant' },
  },
  relations: {
    groups: {
      from: 'scim_group_members m JOIN scim_groups g ON g.id = m.group_id WHERE m.user_id = r.user_id',
      subs: { value: 'm.group_id::text', display: 'g.display_name', type: "'direct'" },
    },
  },
};

interface ScimUserRow {
  user_id: string;
  client_id: string;
  external_id: string | null;
  user_name: string;
  active: boolean;
  attributes: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
}

function toScimUser(row: ScimUserRow): ScimUser {
  return {
    userId: row.user_id,
    clientId: row.client_id,
    externalId: row.external_id,
    userName: row.user_name,
    active: row.active,
    attributes: row.attributes,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The columns a write sets. */
export type ScimUserFields = Pick<ScimUser, 'externalId' | 'userName' | 'active' | 'attributes'>;

/** A group a user belongs to, as the User's `groups` shows it. */
export interface UserGroup {
  userId: string;
  groupId: string;
  displayName: string;
}

@Injectable()
export class ScimUsersRepository {
  private readonly table: ScimResourceTable<ScimUserRow>;

  constructor(private readonly transactions: Transactions) {
    this.table = new ScimResourceTable('scim_users', 'user_id', (sql, params) =>
      this.query(sql, params),
    );
  }

  private query<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.transactions.manager().query<T[]>(sql, params);
  }

  /** Inserts the resource; which uniqueness it broke when another holds its userName or externalId. */
  async insert(
    userId: string,
    clientId: string,
    fields: ScimUserFields,
    at: Date,
  ): Promise<'created' | 'user_name_taken' | 'external_id_taken'> {
    try {
      await this.query(
        `INSERT INTO scim_users
           (user_id, client_id, external_id, user_name, active, attributes, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7)`,
        [
          userId,
          clientId,
          fields.externalId,
          fields.userName,
          fields.active,
          fields.attributes,
          at,
        ],
      );
      return 'created';
    } catch (error) {
      return takenBy(error, 'user_name_taken', 'external_id_taken');
    }
  }

  /** The resource if the scope sees it; locked until the transaction ends with `forUpdate`. */
  async find(
    userId: string,
    scope: ProvisioningScope,
    options: { forUpdate?: boolean } = {},
  ): Promise<ScimUser | null> {
    const row = await this.table.find(userId, scope, options.forUpdate ?? false);
    return row ? toScimUser(row) : null;
  }

  /** Of these ids, the ones the scope sees. */
  visibleIds(userIds: string[], scope: ProvisioningScope): Promise<Set<string>> {
    return this.table.visibleIds(userIds, scope);
  }

  /** Replaces the written columns and moves to the next version. */
  async update(
    userId: string,
    fields: ScimUserFields,
    at: Date,
  ): Promise<'updated' | 'user_name_taken' | 'external_id_taken'> {
    try {
      await this.query(
        `UPDATE scim_users SET external_id = $2, user_name = $3, active = $4, attributes = $5,
                version = version + 1, updated_at = $6
          WHERE user_id = $1`,
        [userId, fields.externalId, fields.userName, fields.active, fields.attributes, at],
      );
      return 'updated';
    } catch (error) {
      return takenBy(error, 'user_name_taken', 'external_id_taken');
    }
  }

  /** Mirrors the account's status; a change is a new version. */
  async setActive(userId: string, active: boolean, at: Date): Promise<void> {
    await this.query(
      `UPDATE scim_users SET active = $2, version = version + 1, updated_at = $3
        WHERE user_id = $1 AND active <> $2`,
      [userId, active, at],
    );
  }

  async delete(userId: string): Promise<void> {
    await this.query('DELETE FROM scim_users WHERE user_id = $1', [userId]);
  }

  /** One page of the Users the scope sees that match the filter, and how many match. */
  async list(
    scope: ProvisioningScope,
    page: ListPage,
  ): Promise<{ rows: ScimUser[]; total: number }> {
    const { rows, total } = await this.table.page(scope, page);
    return { rows: rows.map(toScimUser), total };
  }

  /** The groups of these users. */
  async groupsOf(userIds: string[]): Promise<UserGroup[]> {
    if (userIds.length === 0) return [];
    const rows = await this.query<{ user_id: string; group_id: string; display_name: string }>(
      `SELECT m.user_id, m.group_id, g.display_name
         FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
        WHERE m.user_id = ANY($1::uuid[]) ORDER BY g.display_name, g.id`,
      [userIds],
    );
    return rows.map((row) => ({
      userId: row.user_id,
      groupId: row.group_id,
      displayName: row.display_name,
    }));
  }
}

/** A unique violation told by the index it broke; anything else rethrown. */
export function takenBy<A, B>(error: unknown, nameTaken: A, externalIdTaken: B): A | B {
  const driverError =
    error instanceof QueryFailedError
      ? (error.driverError as { code?: string; constraint?: string })
      : null;
  if (driverError?.code !== UNIQUE_VIOLATION) throw error;
  return driverError.constraint?.includes('external_id') ? externalIdTaken : nameTaken;
}
