import { Injectable } from '@nestjs/common';
import { isConstraintViolation } from '../../database/constraint-violations';
import { Transactions } from '../../database/transactions';
import { Policy, PolicyEffect } from './policy.entity';

export type PolicyFields = Omit<Policy, 'id' | 'createdAt' | 'updatedAt'>;

interface PolicyRow {
  id: string;
  name: string;
  description: string;
  effect: PolicyEffect;
  priority: number;
  subjects: string[];
  actions: string[];
  resources: string[];
  condition: string | null;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

const POLICY_COLUMNS =
  'id, name, description, effect, priority, subjects, actions, resources, condition, enabled, created_at, updated_at';

function toPolicy(row: PolicyRow): Policy {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    effect: row.effect,
    priority: row.priority,
    subjects: row.subjects,
    actions: row.actions,
    resources: row.resources,
    condition: row.condition,
    enabled: row.enabled,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function values(fields: PolicyFields): unknown[] {
  return [
    fields.name,
    fields.description,
    fields.effect,
    fields.priority,
    fields.subjects,
    fields.actions,
    fields.resources,
    fields.condition,
    fields.enabled,
  ];
}

@Injectable()
export class PolicyRepository {
  constructor(private readonly transactions: Transactions) {}

  private query<T>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    return this.transactions.manager().query<T[]>(sql, parameters);
  }

  /** Up to `limit` policies by name, after `afterName` when given. */
  async list(afterName: string | null, limit: number): Promise<Policy[]> {
    const rows = await this.query<PolicyRow>(
      `SELECT ${POLICY_COLUMNS} FROM policies WHERE $1::text IS NULL OR name > $1 ORDER BY name LIMIT $2`,
      [afterName, limit],
    );
    return rows.map(toPolicy);
  }

  async all(): Promise<Policy[]> {
    const rows = await this.query<PolicyRow>(
      `SELECT ${POLICY_COLUMNS} FROM policies ORDER BY name`,
    );
    return rows.map(toPolicy);
  }

  /** The policy; with `forUpdate`, locked until the transaction ends. */
  async findById(id: string, options: { forUpdate?: boolean } = {}): Promise<Policy | null> {
    const rows = await this.query<PolicyRow>(
      `SELECT ${POLICY_COLUMNS} FROM policies WHERE id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0] ? toPolicy(rows[0]) : null;
  }

  /**
   * Inserts a policy; null when the name is taken, including by a concurrent insert (ON
   * CONFLICT waits for it to commit, then does nothing).
   */
  async insert(fields: PolicyFields): Promise<Policy | null> {
    const rows = await this.query<PolicyRow>(
      `INSERT INTO policies (name, description, effect, priority, subjects, actions, resources, condition, enabled)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (name) DO NOTHING RETURNING ${POLICY_COLUMNS}`,
      values(fields),
    );
    return rows[0] ? toPolicy(rows[0]) : null;
  }

  /** Replaces an existing policy's fields; 'name_taken' when another policy has the name. */
  async replace(id: string, fields: PolicyFields): Promise<Policy | 'name_taken'> {
    try {
      const rows = await this.query<PolicyRow>(
        `WITH replaced AS (
           UPDATE policies SET name = $2, description = $3, effect = $4, priority = $5,
                  subjects = $6, actions = $7, resources = $8, condition = $9, enabled = $10,
                  updated_at = now()
            WHERE id = $1 RETURNING ${POLICY_COLUMNS}
         )
         SELECT * FROM replaced`,
        [id, ...values(fields)],
      );
      return toPolicy(rows[0]);
    } catch (error) {
      if (isConstraintViolation(error, 'unique')) return 'name_taken';
      throw error;
    }
  }

  async delete(id: string): Promise<void> {
    await this.query('DELETE FROM policies WHERE id = $1', [id]);
  }

  /** Names of the policies that list `subject` among their subjects. */
  async namesWithSubject(subject: string): Promise<string[]> {
    const rows = await this.query<{ name: string }>(
      'SELECT name FROM policies WHERE $1 = ANY(subjects) ORDER BY name',
      [subject],
    );
    return rows.map((r) => r.name);
  }

  /** Replaces one subject by another in every policy that lists it; returns their names. */
  async renameSubject(from: string, to: string): Promise<string[]> {
    const rows = await this.query<{ name: string }>(
      `WITH renamed AS (
         UPDATE policies SET subjects = array_replace(subjects, $1, $2), updated_at = now()
          WHERE $1 = ANY(subjects) RETURNING name
       )
       SELECT name FROM renamed ORDER BY name`,
      [from, to],
    );
    return rows.map((r) => r.name);
  }
}
