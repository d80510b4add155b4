import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { SigningKeyService } from '../auth/signing-key.service';
import { AuditCheckpoint } from './audit-checkpoint.entity';
import { chainHash, GENESIS_HASH } from './audit-chain-hash';
import { AuditChainRepository, SealedRow } from './audit-chain.repository';

export const CHECKPOINT_TYPE = 'gatehouse-audit-checkpoint';

/** Rows read per query while verifying. */
const BATCH = 5000;
/** How far a row may have been moved (rows inserted or deleted before it) and still be told so. */
const MAX_SHIFT = 1000;

export type FindingKind =
  'changed' | 'deleted' | 'inserted' | 'reordered' | 'rewritten' | 'checkpoint_invalid';

/** The first thing wrong with the log: what, and at which row (chain position). */
export interface ChainFinding {
  kind: FindingKind;
  seq: number | null;
  rowId: string | null;
  detail: string;
}

export interface ChainReport {
  valid: boolean;
  rowsChecked: number;
  unsealedRows: number;
  /** The chain position up to which retention purged (or is purging) rows; null when none. */
  purgedThrough: number | null;
  head: { seq: number; hash: string } | null;
  checkpoints: {
    checked: number;
    latest: { seq: number; signedAt: Date; kid: string; key: 'published' | 'recorded' } | null;
  };
  finding: ChainFinding | null;
}

/** The payload a checkpoint's JWS carries. */
export interface CheckpointStatement {
  seq: number;
  head: string;
  previous: string | null;
  signed_at: string;
}

export function checkpointDigest(jws: string): Buffer {
  return createHash('sha256').update(jws, 'utf8').digest();
}

/** The ids of the last rows verified, by position, to name a row a diagnosis points back to. */
class RecentRows {
  private readonly ids: (string | undefined)[];
  private readonly seqs: number[];

  constructor(private readonly size: number) {
    this.ids = new Array<string | undefined>(size);
    this.seqs = new Array<number>(size).fill(-1);
  }

  add(seq: number, id: string): void {
    this.ids[seq % this.size] = id;
    this.seqs[seq % this.size] = seq;
  }

  idAt(seq: number): string | null {
    return seq >= 0 && this.seqs[seq % this.size] === seq
      ? (this.ids[seq % this.size] ?? null)
      : null;
  }
}

interface Verified {
  checkpoint: AuditCheckpoint;
  key: 'published' | 'recorded';
}

/**
 * Checks the audit log: every sealed row's hash against its content and its predecessor's, the
 * positions for gaps, and the signed checkpoints (their signatures, their own chain, and that the
 * rows still hold the heads they signed). Stops at the first fault and says what it was and
 * where: a row changed, rows deleted, inserted or moved. Reads the log in batches, in order.
 */
@Injectable()
export class AuditChainVerifier {
  constructor(
    private readonly chain: AuditChainRepository,
    private readonly signingKeys: SigningKeyService,
  ) {}

  async verify(): Promise<ChainReport> {
    const report: ChainReport = {
      valid: true,
      rowsChecked: 0,
      unsealedRows: await this.chain.countUnsealed(),
      purgedThrough: null,
      head: null,
      checkpoints: { checked: 0, latest: null },
      finding: null,
    };
    const fail = (finding: ChainFinding): ChainReport => ({ ...report, valid: false, finding });

    const checkpoints = await this.chain.checkpoints();
    const verified: Verified[] = [];
    for (const [i, checkpoint] of checkpoints.entries()) {
      const checked = await this.checkCheckpoint(checkpoint, checkpoints[i - 1] ?? null);
      if ('problem' in checked) {
        return fail({
          kind: 'checkpoint_invalid',
          seq: Number(checkpoint.seq),
          rowId: null,
          detail: checked.problem,
        });
      }
      verified.push({ checkpoint, key: checked.key });
    }
    report.checkpoints.checked = verified.length;
    const latest = verified.at(-1);
    if (latest) {
      report.checkpoints.latest = {
        seq: Number(latest.checkpoint.seq),
        signedAt: latest.checkpoint.createdAt,
        kid: latest.checkpoint.kid,
        key: latest.key,
      };
    }
    const headsBySeq = new Map(verified.map((v) => [Number(v.checkpoint.seq), v.checkpoint]));

    // Retention purges rows up to a signed checkpoint it marked first: the kept chain starts
    // after the newest such cut, from the head it signed, whichever rows up to it remain.
    const cut = verified
      .map((v) => v.checkpoint)
      .filter((checkpoint) => checkpoint.retentionCutAt !== null)
      .reduce<AuditCheckpoint | null>(
        (newest, checkpoint) =>
          !newest || Number(checkpoint.seq) > Number(newest.seq) ? checkpoint : newest,
        null,
      );
    let expectedSeq = cut ? Number(cut.seq) + 1 : 1;
    let expectedPrev: Buffer = cut ? cut.headHash : GENESIS_HASH;
    let lastMatchedCheckpoint = expectedSeq - 1;
    report.purgedThrough = cut ? Number(cut.seq) : null;
    const recent = new RecentRows(MAX_SHIFT);
    let batch = await this.chain.sealedAfter(expectedSeq - 1, BATCH);
    while (batch.length > 0) {
      for (let i = 0; i < batch.length; i++) {
        const row = batch[i];
        let next: SealedRow | undefined = batch[i + 1];
        if (!next && batch.length === BATCH) {
          const more = await this.chain.sealedAfter(row.seq, 1);
          next = more[0];
        }
        const selfOk = chainHash(row.prev_hash, row.seq, row).equals(row.hash);
        const linkOk = row.seq === expectedSeq && row.prev_hash.equals(expectedPrev);
        if (!selfOk || !linkOk) {
          return fail(await this.diagnose(row, next, expectedSeq, expectedPrev, recent, selfOk));
        }
        const checkpoint = headsBySeq.get(row.seq);
        if (checkpoint) {
          if (!checkpoint.headHash.equals(row.hash)) {
            return fail({
              kind: 'rewritten',
              seq: lastMatchedCheckpoint + 1,
              rowId: null,
              detail:
                `rows ${lastMatchedCheckpoint + 1} to ${row.seq} were rewritten: row ${row.seq} ` +
                `no longer has the hash the checkpoint of ${checkpoint.createdAt.toISOString()} signed`,
            });
          }
          lastMatchedCheckpoint = row.seq;
        }
        recent.add(row.seq, row.id);
        report.rowsChecked++;
        report.head = { seq: row.seq, hash: row.hash.toString('hex') };
        expectedSeq = row.seq + 1;
        expectedPrev = row.hash;
      }
      if (batch.length < BATCH) break;
      batch = await this.chain.sealedAfter(batch[batch.length - 1].seq, BATCH);
    }
    const beyond = [...headsBySeq.keys()].filter((seq) => seq >= expectedSeq);
    if (beyond.length > 0) {
      return fail({
        kind: 'deleted',
        seq: expectedSeq,
        rowId: null,
        detail: `rows from ${expectedSeq} on were deleted: a checkpoint signed the chain up to row ${Math.max(...beyond)}`,
      });
    }
    return report;
  }

  /** Why a row does not follow the one before it. */
  private async diagnose(
    row: SealedRow,
    next: SealedRow | undefined,
    expectedSeq: number,
    expectedPrev: Buffer,
    recent: RecentRows,
    selfOk: boolean,
  ): Promise<ChainFinding> {
    const at = (kind: FindingKind, seq: number, rowId: string | null, detail: string) => ({
      kind,
      seq,
      rowId,
      detail,
    });
    if (row.seq > expectedSeq && selfOk) {
      return at('deleted', expectedSeq, null, `rows ${expectedSeq} to ${row.seq - 1} were deleted`);
    }
    if (selfOk) {
      // Intact, at its position, but chained to a row that is not the one before it.
      if ((await this.chain.seqOfHash(row.prev_hash)) === null) {
        return at(
          'changed',
          expectedSeq - 1,
          recent.idAt(expectedSeq - 1),
          `row ${expectedSeq - 1} was replaced (its content and hash changed)`,
        );
      }
      return at(
        'reordered',
        row.seq,
        row.id,
        `row ${row.seq} was moved: it does not follow the row it was chained to`,
      );
    }
    const original = this.originalSeq(row);
    if (original !== null && original > row.seq) {
      if ((await this.chain.seqOfHash(row.prev_hash)) === null) {
        return at(
          'deleted',
          row.seq,
          null,
          `${original - row.seq} row(s) at ${row.seq} were deleted and the rows after them renumbered`,
        );
      }
      return at(
        'reordered',
        row.seq,
        row.id,
        `row ${row.seq} was moved here from position ${original}`,
      );
    }
    if (original !== null && original < row.seq) {
      return at(
        'inserted',
        original,
        recent.idAt(original),
        `${row.seq - original} row(s) were inserted at ${original}, moving the rows after them`,
      );
    }
    if (
      next &&
      next.prev_hash.equals(expectedPrev) &&
      chainHash(next.prev_hash, next.seq - 1, next).equals(next.hash)
    ) {
      return at('inserted', row.seq, row.id, `row ${row.seq} was inserted`);
    }
    return at(
      'changed',
      row.seq,
      row.id,
      `row ${row.seq} was changed: its content no longer has its hash`,
    );
  }

  /** The position a row was sealed at, if it is near where it stands now. */
  private originalSeq(row: SealedRow): number | null {
    for (let shift = 1; shift <= MAX_SHIFT; shift++) {
      for (const seq of [row.seq + shift, row.seq - shift]) {
        if (seq >= 1 && chainHash(row.prev_hash, seq, row).equals(row.hash)) return seq;
      }
    }
    return null;
  }

  /** Which key the checkpoint verified with, or what is wrong with it. */
  private async checkCheckpoint(
    checkpoint: AuditCheckpoint,
    previous: AuditCheckpoint | null,
  ): Promise<{ key: 'published' | 'recorded' } | { problem: string }> {
    const check = await this.signingKeys.verifyStatement(
      CHECKPOINT_TYPE,
      checkpoint.jws,
      checkpoint.publicJwk,
    );
    const when = checkpoint.createdAt.toISOString();
    if (!check.valid) {
      return { problem: `the checkpoint of ${when} is not validly signed: ${check.reason}` };
    }
    const statement = check.payload as unknown as CheckpointStatement;
    const expectedPrevious = previous ? checkpointDigest(previous.jws).toString('hex') : null;
    if (
      statement.seq !== Number(checkpoint.seq) ||
      statement.head !== checkpoint.headHash.toString('hex') ||
      statement.previous !== expectedPrevious ||
      (checkpoint.previousDigest?.toString('hex') ?? null) !== expectedPrevious
    ) {
      return {
        problem: `the checkpoint of ${when} does not say what its row says, or does not follow the checkpoint before it`,
      };
    }
    return { key: check.key };
  }
}
