import { Injectable } from '@nestjs/common';
import { isConstraintViolation } from '../../database/constraint-violations';
import { Transactions } from '../../database/transactions';
import { Role } from './role.entity';
import { UserRole } from './user-role.entity';

export type RoleFields = Pick<Role, 'name' | 'description' | 'permissions'>;

/** A grant and the name of its role. */
export type Grant = Omit<UserRole, 'user' | 'role'> & { roleName: string };

interface RoleRow {
  id: string;
  name: string;
  description: string;
  permissions: string[];
  built_in: boolean;
  created_at: Date;
  updated_at: Date;
}

interface GrantRow {
  user_id: string;
  role_id: string;
  role_name: string;
  granted_by: string | null;
  granted_at: Date;
  expires_at: Date | null;
}

const ROLE_COLUMNS = 'id, name, description, permissions, built_in, created_at, updated_at';

function toRole(row: RoleRow): Role {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    permissions: row.permissions,
    builtIn: row.built_in,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toGrant(row: GrantRow): Grant {
  return {
    userId: row.user_id,
    roleId: row.role_id,
    roleName: row.role_name,
    grantedBy: row.granted_by,
    grantedAt: row.granted_at,
    expiresAt: row.expires_at,
  };
}

/** Roles and the grants of roles to users. */
@Injectable()
export class RoleRepository {
  constructor(private readonly transactions: Transactions) {}

  private async query<T>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    return this.transactions.manager().query<T[]>(sql, parameters);
  }

  /** Up to `limit` roles by name, after `afterName` when given. */
  async list(afterName: string | null, limit: number): Promise<Role[]> {
    const rows = await this.query<RoleRow>(
      `SELECT ${ROLE_COLUMNS} FROM roles WHERE $1::text IS NULL OR name > $1 ORDER BY name LIMIT $2`,
      [afterName, limit],
    );
    return rows.map(toRole);
  }

  async all(): Promise<Role[]> {
    const rows = await this.query<RoleRow>(`SELECT ${ROLE_COLUMNS} FROM roles ORDER BY name`);
    return rows.map(toRole);
  }

  /** The role; with `forUpdate`, locked until the transaction ends. */
  async findById(id: string, options: { forUpdate?: boolean } = {}): Promise<Role | null> {
    const rows = await this.query<RoleRow>(
      `SELECT ${ROLE_COLUMNS} FROM roles WHERE id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0] ? toRole(rows[0]) : null;
  }

  async findByName(name: string): Promise<Role | null> {
    const rows = await this.query<RoleRow>(`SELECT ${ROLE_COLUMNS} FROM roles WHERE name = $1`, [
      name,
    ]);
    return rows[0] ? toRole(rows[0]) : null;
  }

  /**
   * Inserts a role; null when the name is taken, including by a concurrent insert (ON CONFLICT
   * waits for it to commit, then does nothing).
   */
  async insert(fields: RoleFields): Promise<Role | null> {
    const rows = await this.query<RoleRow>(
      `INSERT INTO roles (name, description, permissions) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO NOTHING RETURNING ${ROLE_COLUMNS}`,
      [fields.name, fields.description, fields.permissions],
    );
    return rows[0] ? toRole(rows[0]) : null;
  }

  /** Writes the fields of an existing role; 'name_taken' when another role has the name. */
  async update(id: string, fields: RoleFields): Promise<Role | 'name_taken'> {
    try {
      const rows = await this.query<RoleRow>(
        `WITH updated AS (
           UPDATE roles SET name = $2, description = $3, permissions = $4, updated_at = now()
            WHERE id = $1 RETURNING ${ROLE_COLUMNS}
         )
         SELECT * FROM updated`,
        [id, fields.name, fields.description, fields.permissions],
      );
      return toRole(rows[0]);
    } catch (error) {
      if (isConstraintViolation(error, 'unique')) return 'name_taken';
      throw error;
    }
  }

  /** Deletes the role and its grants; returns how many grants there were. */
  async delete(id: string): Promise<number> {
    const rows = await this.query<{ grants: number }>(
      `WITH revoked AS (DELETE FROM user_roles WHERE role_id = $1 RETURNING 1),
            deleted AS (DELETE FROM roles WHERE id = $1)
       SELECT count(*)::int AS grants FROM revoked`,
      [id],
    );
    return rows[0].grants;
  }

  /** Every grant of the user, expired ones included, by role name. */
  async grantsOf(userId: string): Promise<Grant[]> {
    const rows = await this.query<GrantRow>(
      `SELECT g.user_id, g.role_id, r.name AS role_name, g.granted_by, g.granted_at, g.expires_at
         FROM user_roles g JOIN roles r ON r.id = g.role_id
        WHERE g.user_id = $1 ORDER BY r.name`,
      [userId],
    );
    return rows.map(toGrant);
  }

  /** Names of the roles granted to the user that have not expired at `now`. */
  async activeRoleNames(userId: string, now: Date): Promise<string[]> {
    const rows = await this.query<{ name: string }>(
      `SELECT r.name FROM user_roles g JOIN roles r ON r.id = g.role_id
        WHERE g.user_id = $1 AND (g.expires_at IS NULL OR g.expires_at > $2) ORDER BY r.name`,
      [userId, now],
    );
    return rows.map((r) => r.name);
  }

  /** The grant, locked until the transaction ends. */
  async findGrantForUpdate(userId: string, roleId: string): Promise<Grant | null> {
    const rows = await this.query<GrantRow>(
      `SELECT g.user_id, g.role_id, r.name AS role_name, g.granted_by, g.granted_at, g.expires_at
         FROM user_roles g JOIN roles r ON r.id = g.role_id
        WHERE g.user_id = $1 AND g.role_id = $2 FOR UPDATE OF g`,
      [userId, roleId],
    );
    return rows[0] ? toGrant(rows[0]) : null;
  }

  /**
   * Grants the role, or sets the expiry of an existing grant (and who set it, when); `created`
   * tells which. 'missing' when the user or the role no longer exists.
   */
  async upsertGrant(grant: {
    userId: string;
    roleId: string;
    grantedBy: string | null;
    expiresAt: Date | null;
  }): Promise<{ grant: Omit<Grant, 'roleName'>; created: boolean } | 'missing'> {
    try {
      const rows = await this.query<Omit<GrantRow, 'role_name'> & { created: boolean }>(
        `INSERT INTO user_roles (user_id, role_id, granted_by, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, role_id) DO UPDATE
           SET expires_at = EXCLUDED.expires_at, granted_by = EXCLUDED.granted_by, granted_at = now()
         RETURNING user_id, role_id, granted_by, granted_at, expires_at, (xmax = 0) AS created`,
        [grant.userId, grant.roleId, grant.grantedBy, grant.expiresAt],
      );
      const row = rows[0];
      return {
        grant: {
          userId: row.user_id,
          roleId: row.role_id,
          grantedBy: row.granted_by,
          grantedAt: row.granted_at,
          expiresAt: row.expires_at,
        },
        created: row.created,
      };
    } catch (error) {
      if (isConstraintViolation(error, 'foreign_key')) return 'missing';
      throw error;
    }
  }

  async deleteGrant(userId: string, roleId: string): Promise<void> {
    await this.query('DELETE FROM user_roles WHERE user_id = $1 AND role_id = $2', [
      userId,
      roleId,
    ]);
  }

  /** Users other than `exceptUserId` holding the role without an expiry. */
  async permanentHolders(roleId: string, exceptUserId: string): Promise<string[]> {
    const rows = await this.query<{ user_id: string }>(
      `SELECT user_id FROM user_roles
        WHERE role_id = $1 AND user_id <> $2 AND expires_at IS NULL ORDER BY granted_at`,
      [roleId, exceptUserId],
    );
    return rows.map((r) => r.user_id);
  }
}
