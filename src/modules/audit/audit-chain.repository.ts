import { Injectable } from '@nestjs/common';
import { firstIdAt } from '../../common/ids/uuid-v7';
import { Transactions } from '../../database/transactions';
import { AuditCheckpoint } from './audit-checkpoint.entity';
import { CHAINED_CONTENT_COLUMNS, ChainedContent } from './audit-chain-hash';

/**
 * Serializes the writers of the chain (the sealing job, a checkpoint, retention later):
 * taken for the length of a transaction. Nothing else writes `seq`.
 */
const CHAIN_LOCK = 7_364_102_118_443_905_001n;

export interface ChainLink {
  seq: number;
  hash: Buffer;
}

export interface SealedRow extends ChainedContent {
  seq: number;
  prev_hash: Buffer;
  hash: Buffer;
}

export interface Seal {
  id: string;
  seq: number;
  prevHash: Buffer;
  hash: Buffer;
}

const CHECKPOINT_COLUMNS = `id, seq, head_hash AS "headHash", previous_digest AS "previousDigest",
  jws, kid, public_jwk AS "publicJwk", created_at AS "createdAt",
  retention_cut_at AS "retentionCutAt"`;

@Injectable()
export class AuditChainRepository {
  constructor(private readonly transactions: Transactions) {}

  /** Holds the chain until the open transaction ends. */
  async lock(): Promise<void> {
    await this.transactions
      .manager()
      .query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK.toString()]);
  }

  /** The last sealed row's position and hash, or null before the first seal. */
  async head(): Promise<ChainLink | null> {
    const rows = await this.transactions
      .manager()
      .query<{ seq: string; hash: Buffer }[]>(
        'SELECT seq, hash FROM audit_events WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1',
      );
    return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : null;
  }

  /** Committed rows not sealed yet, oldest id first. */
  async unsealed(limit: number): Promise<ChainedContent[]> {
    return this.transactions.manager().query<ChainedContent[]>(
      `SELECT ${CHAINED_CONTENT_COLUMNS} FROM audit_events e
        WHERE e.seq IS NULL ORDER BY e.id LIMIT $1`,
      [limit],
    );
  }

  async countUnsealed(): Promise<number> {
    const [{ count }] = await this.transactions
      .manager()
      .query<{ count: string }[]>('SELECT count(*) AS count FROM audit_events WHERE seq IS NULL');
    return Number(count);
  }

  async seal(seals: Seal[]): Promise<void> {
    await this.transactions.manager().query(
      `UPDATE audit_events e SET seq = s.seq, prev_hash = s.prev_hash, hash = s.hash
         FROM unnest($1::uuid[], $2::bigint[], $3::bytea[], $4::bytea[])
           AS s(id, seq, prev_hash, hash)
        WHERE e.id = s.id AND e.seq IS NULL`,
      [
        seals.map((s) => s.id),
        seals.map((s) => s.seq),
        seals.map((s) => s.prevHash),
        seals.map((s) => s.hash),
      ],
    );
  }

  /** Sealed rows after `afterSeq`, in chain order. */
  async sealedAfter(afterSeq: number, limit: number): Promise<SealedRow[]> {
    const rows = await this.transactions.manager().query<(SealedRow & { seq: string })[]>(
      `SELECT ${CHAINED_CONTENT_COLUMNS}, e.seq, e.prev_hash, e.hash FROM audit_events e
        WHERE e.seq > $1 ORDER BY e.seq LIMIT $2`,
      [afterSeq, limit],
    );
    return rows.map((row) => ({ ...row, seq: Number(row.seq) }));
  }

  /** The sealed row holding this hash (a diagnosis after the chain broke: no index). */
  async seqOfHash(hash: Buffer): Promise<number | null> {
    const rows = await this.transactions
      .manager()
      .query<{ seq: string }[]>('SELECT seq FROM audit_events WHERE hash = $1 LIMIT 1', [hash]);
    return rows[0] ? Number(rows[0].seq) : null;
  }

  async lastCheckpoint(): Promise<AuditCheckpoint | null> {
    const rows = await this.transactions
      .manager()
      .query<AuditCheckpoint[]>(
        `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY created_at DESC, id DESC LIMIT 1`,
      );
    return rows[0] ?? null;
  }

  /** Checkpoints in the order they were signed. */
  async checkpoints(): Promise<AuditCheckpoint[]> {
    return this.transactions
      .manager()
      .query<AuditCheckpoint[]>(
        `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY created_at, id`,
      );
  }

  async insertCheckpoint(
    checkpoint: Omit<AuditCheckpoint, 'id' | 'createdAt' | 'retentionCutAt'>,
  ): Promise<void> {
    await this.transactions.manager().query(
      `INSERT INTO audit_checkpoints (seq, head_hash, previous_digest, jws, kid, public_jwk)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        checkpoint.seq,
        checkpoint.headHash,
        checkpoint.previousDigest,
        checkpoint.jws,
        checkpoint.kid,
        JSON.stringify(checkpoint.publicJwk),
      ],
    );
  }

  /**
   * Purges up to `limit` audit rows written before `before`, keeping the chain verifiable: only
   * rows up to a signed checkpoint go, and that checkpoint is marked first (`retention_cut_at`,
   * in the same transaction as the first batch), so verification starts after it from the head
   * it signed, whichever rows up to it are gone yet. The cut is the newest checkpoint whose row
   * was written before `before`; rows after it wait for a later checkpoint. Under the chain's
   * lock, so a checkpoint or a seal never sees half a cut.
   */
  async purgePastRetention(before: Date, limit: number): Promise<number> {
    await this.lock();
    const manager = this.transactions.manager();
    const [marked] = await manager.query<{ seq: string }[]>(
      'SELECT max(seq) AS seq FROM audit_checkpoints WHERE retention_cut_at IS NOT NULL',
    );
    const [next] = await manager.query<{ id: string; seq: string }[]>(
      `SELECT c.id, c.seq FROM audit_checkpoints c JOIN audit_events e ON e.seq = c.seq
        WHERE e.id < $1 AND c.seq > coalesce($2::bigint, 0)
        ORDER BY c.seq DESC LIMIT 1`,
      [firstIdAt(before), marked.seq],
    );
    if (next) {
      await manager.query('UPDATE audit_checkpoints SET retention_cut_at = now() WHERE id = $1', [
        next.id,
      ]);
    }
    const cut = next?.seq ?? marked.seq;
    if (cut === null) return 0;
    const rows = await manager.query<{ id: string }[]>(
      `WITH gone AS (
         DELETE FROM audit_events WHERE id IN (
           SELECT id FROM audit_events WHERE seq <= $1 ORDER BY seq LIMIT $2
         ) RETURNING id
       )
       SELECT id FROM gone`,
      [cut, limit],
    );
    return rows.length;
  }
}
