import { Injectable } from '@nestjs/common';
import { EnvelopeCipher } from '../../common/crypto/envelope-cipher';
import { SEALED_COLUMNS, SealedColumn } from './sealed-columns';
import { ResealedRow, SealedEnvelopesRepository } from './sealed-envelopes.repository';

/** What one column's rewrap did. */
export interface ColumnRewrap {
  column: string;
  rewrapped: number;
  /** Envelopes that did not open (a key not held, altered, or bound to other data): left as they are. */
  unopenable: number;
}

/** Envelopes not under the current key, by column and key, with why they are left. */
export interface LeftEnvelopes {
  column: string;
  keyId: string;
  count: number;
  /** The key is not in the ring: these cannot be opened (the boot check refuses them). */
  unknownKey: boolean;
  kept?: string;
}

export const DEFAULT_REWRAP_BATCH = 500;

/**
 * Master-key rotation: reseals under the current key every envelope still sealed under a
 * previous one, column by column, in batches each committed on its own. Running it again
 * continues where an interrupted run stopped (resealed rows no longer match) and, once all is
 * done, changes nothing.
 */
@Injectable()
export class EnvelopeRewrap {
  constructor(
    private readonly envelopes: SealedEnvelopesRepository,
    private readonly cipher: EnvelopeCipher,
  ) {}

  async rewrap(
    { batchSize = DEFAULT_REWRAP_BATCH }: { batchSize?: number } = {},
    progress: (done: ColumnRewrap) => void = () => undefined,
  ): Promise<ColumnRewrap[]> {
    const report: ColumnRewrap[] = [];
    for (const column of await this.present()) {
      if (column.kept) continue;
      report.push(await this.rewrapColumn(column, batchSize, progress));
    }
    return report;
  }

  /** Every envelope not sealed under the current key, after a rewrap what it could not do. */
  async left(): Promise<LeftEnvelopes[]> {
    const left: LeftEnvelopes[] = [];
    for (const column of await this.present()) {
      for (const [keyId, count] of await this.envelopes.countByKey(column)) {
        if (keyId === this.cipher.keyId) continue;
        left.push({
          column: column.name,
          keyId,
          count,
          unknownKey: !this.cipher.keyIds.includes(keyId),
          ...(column.kept ? { kept: column.kept } : {}),
        });
      }
    }
    return left;
  }

  private async rewrapColumn(
    column: SealedColumn,
    batchSize: number,
    progress: (done: ColumnRewrap) => void,
  ): Promise<ColumnRewrap> {
    const done: ColumnRewrap = { column: column.name, rewrapped: 0, unopenable: 0 };
    let after: string[] | null = null;
    for (;;) {
      const batch = await this.envelopes.notSealedUnder(
        column,
        this.cipher.keyId,
        after,
        batchSize,
      );
      if (batch.length === 0) return done;
      const resealed: ResealedRow[] = [];
      for (const row of batch) {
        try {
          const context = column.context([...row.id, ...row.bound]);
          resealed.push({ ...row, resealed: this.cipher.reseal(row.envelope, context) });
        } catch {
          done.unopenable++;
        }
      }
      done.rewrapped += await this.envelopes.replace(column, resealed);
      after = batch[batch.length - 1].id;
      progress({ ...done });
    }
  }

  private async present(): Promise<SealedColumn[]> {
    const present: SealedColumn[] = [];
    for (const column of SEALED_COLUMNS) {
      if (await this.envelopes.exists(column)) present.push(column);
    }
    return present;
  }
}
