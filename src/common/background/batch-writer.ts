import { Logger } from '@nestjs/common';
import { PendingWork } from './pending-work';

/** How long shutdown waits for rows still being written; within HTTP_SHUTDOWN_GRACE_MS. */
const SHUTDOWN_DRAIN_MS = 5000;
/** Rows per statement; a longer queue is written in several. */
const MAX_BATCH = 500;

interface Queued<T> {
  row: T;
  written: () => void;
  failed: (error: unknown) => void;
}

/**
 * Writes rows that are not part of a transaction the way PostgreSQL commits under load: one
 * statement is in flight at a time, and whatever was recorded meanwhile goes into the next one
 * as a single multi-row statement. Nothing waits for a timer: alone, a row is written at once;
 * under load (many refused logins each second) one statement and one commit carry many rows,
 * where each would cost a round trip and a commit of its own. Every caller's promise still
 * resolves only once its row is committed, so an answer never leaves before its row is stored,
 * and a batch that fails is retried row by row, so that one bad row fails only its own caller.
 */
export class BatchWriter<T> {
  private readonly work: PendingWork;
  private queue: Queued<T>[] = [];
  private writing = false;

  constructor(
    private readonly insertMany: (rows: T[]) => Promise<void>,
    private readonly logger: Logger,
    /** What the rows are, for the shutdown warning ("event(s) unwritten"). */
    description: string,
  ) {
    this.work = new PendingWork(logger, `${description} unwritten`);
  }

  write(row: T): Promise<void> {
    return new Promise<void>((written, failed) => {
      this.queue.push({ row, written, failed });
      if (this.writing) return;
      this.writing = true;
      // Started after the current event-loop turn, so that rows recorded in this one join.
      this.work.start(
        () => this.writeQueued(),
        (error) => this.logger.error({ err: error }, 'Batch writer failed'),
      );
    });
  }

  /** Resolves once every row recorded so far is written (or has failed). */
  settled(): Promise<void> {
    return this.work.settled();
  }

  /** Waits, for a bounded time, for what is being written: call at shutdown. */
  drain(): Promise<void> {
    return this.work.drain(SHUTDOWN_DRAIN_MS);
  }

  private async writeQueued(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        await this.insertMany(batch.map((queued) => queued.row)).then(
          () => batch.forEach((queued) => queued.written()),
          (error: unknown) => this.writeOneByOne(batch, error),
        );
      }
    } finally {
      this.writing = false;
    }
  }

  private async writeOneByOne(batch: Queued<T>[], error: unknown): Promise<void> {
    if (batch.length === 1) {
      batch[0].failed(error);
      return;
    }
    for (const queued of batch) {
      await this.insertMany([queued.row]).then(queued.written, queued.failed);
    }
  }
}
