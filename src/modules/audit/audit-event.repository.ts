import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { AuditEvent } from './audit-event.entity';

/** A row as written: everything but what the sealing job adds. */
export type NewAuditRow = Omit<AuditEvent, 'seq' | 'prevHash' | 'hash'>;

/** A row as listed: its columns (ciphertexts unopened) and whether it is sealed yet. */
export type ListedAuditRow = Omit<AuditEvent, 'prevHash' | 'hash' | 'ipHmac'>;

/** Conditions of a listing, each served by an index whose last column is `id`. */
export interface AuditRowConditions {
  actor?: { type: string; id: string };
  userId?: string;
  action?: string;
  actionFamily?: string;
  outcome?: string;
  ipHmac?: Buffer;
  /** Rows whose network lies within this CIDR (a range of the network index). */
  ipNetwork?: string;
  /** Rows of exactly this /24 (/48) network: equality, so the index gives them in id order. */
  ipNetworkEquals?: string;
  requestId?: string;
  /** Id bounds from the time range: `idFrom` <= id < `idTo`. */
  idFrom?: string;
  idTo?: string;
  /** Actions left out (a user's activity leaves out token refreshes). */
  excludeActions?: string[];
}

export interface AuditRowPage {
  /** `older`: ids below `after`, newest first; `newer`: ids above it, oldest first. */
  direction: 'older' | 'newer';
  after: string | null;
  limit: number;
}

const LISTED_COLUMNS = `id, kind, actor_type AS "actorType", actor_id AS "actorId", action,
  action_family AS "actionFamily", outcome, reason, target_type AS "targetType",
  target_id AS "targetId", user_id AS "userId", session_id AS "sessionId", details,
  request_id AS "requestId", actor_personal AS "actorPersonal",
  subject_personal AS "subjectPersonal", ip_network AS "ipNetwork", created_at AS "createdAt",
  seq`;

const INSERT_COLUMNS: [keyof NewAuditRow, string, string][] = [
  ['id', 'id', 'uuid'],
  ['kind', 'kind', 'text'],
  ['actorType', 'actor_type', 'text'],
  ['actorId', 'actor_id', 'text'],
  ['action', 'action', 'text'],
  ['actionFamily', 'action_family', 'text'],
  ['outcome', 'outcome', 'text'],
  ['reason', 'reason', 'text'],
  ['targetType', 'target_type', 'text'],
  ['targetId', 'target_id', 'text'],
  ['userId', 'user_id', 'uuid'],
  ['sessionId', 'session_id', 'uuid'],
  ['details', 'details', 'jsonb'],
  ['requestId', 'request_id', 'text'],
  ['actorPersonal', 'actor_personal', 'text'],
  ['subjectPersonal', 'subject_personal', 'text'],
  ['ipNetwork', 'ip_network', 'cidr'],
  ['ipHmac', 'ip_hmac', 'bytea'],
  ['createdAt', 'created_at', 'timestamptz'],
];

const INSERT_SQL = `INSERT INTO audit_events (${INSERT_COLUMNS.map(([, column]) => column).join(', ')})
  SELECT * FROM unnest(${INSERT_COLUMNS.map(([, , type], i) => `$${i + 1}::${type}[]`).join(', ')})
  ON CONFLICT (id) DO NOTHING`;

@Injectable()
export class AuditEventRepository {
  constructor(private readonly transactions: Transactions) {}

  /**
   * Rows in one statement whose text does not depend on how many. A row whose id (its event's)
   * is already there is left alone: an event redelivered, or one both trails record.
   */
  async insertMany(rows: NewAuditRow[]): Promise<void> {
    if (rows.length === 0) return;
    const values = INSERT_COLUMNS.map(([key, , type]) =>
      rows.map((row) => (type === 'jsonb' ? JSON.stringify(row[key]) : row[key])),
    );
    await this.transactions.prepared('audit_events.insert_many', INSERT_SQL, values);
  }

  /** A page of rows matching every condition, plus one more when more follow. */
  async list(conditions: AuditRowConditions, page: AuditRowPage): Promise<ListedAuditRow[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    const bind = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    if (conditions.actor) {
      where.push(
        `actor_type = ${bind(conditions.actor.type)} AND actor_id = ${bind(conditions.actor.id)}`,
      );
    }
    if (conditions.userId) where.push(`user_id = ${bind(conditions.userId)}`);
    if (conditions.action) where.push(`action = ${bind(conditions.action)}`);
    if (conditions.actionFamily) where.push(`action_family = ${bind(conditions.actionFamily)}`);
    if (conditions.outcome) where.push(`outcome = ${bind(conditions.outcome)}`);
    if (conditions.ipHmac) where.push(`ip_hmac = ${bind(conditions.ipHmac)}`);
    if (conditions.ipNetwork) where.push(`ip_network <<= ${bind(conditions.ipNetwork)}::cidr`);
    if (conditions.ipNetworkEquals) {
      where.push(`ip_network = ${bind(conditions.ipNetworkEquals)}::cidr`);
    }
    if (conditions.requestId) where.push(`request_id = ${bind(conditions.requestId)}`);
    if (conditions.idFrom) where.push(`id >= ${bind(conditions.idFrom)}`);
    if (conditions.idTo) where.push(`id < ${bind(conditions.idTo)}`);
    if (conditions.excludeActions?.length) {
      where.push(`action <> ALL(${bind(conditions.excludeActions)}::text[])`);
    }
    if (page.after) where.push(`id ${page.direction === 'older' ? '<' : '>'} ${bind(page.after)}`);
    const order = page.direction === 'older' ? 'DESC' : 'ASC';
    return this.transactions.manager().query<ListedAuditRow[]>(
      `SELECT ${LISTED_COLUMNS} FROM audit_events
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY id ${order} LIMIT ${bind(page.limit + 1)}`,
      values,
    );
  }
}
