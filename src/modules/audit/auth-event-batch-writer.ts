import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { PendingWork } from '../../common/background/pending-work';
import { AuthEventRepository, AuthEventRow } from './auth-event.repository';

/** How long shutdown waits for events still being written; within HTTP_SHUTDOWN_GRACE_MS. */
const SHUTDOWN_DRAIN_MS = 5000;
/** Rows per INSERT; a longer queue is written in several. */
const MAX_BATCH = 500;

interface Queued {
  event: AuthEventRow;
  written: () => void;
  failed: (error: unknown) => void;
}

/**
 * Writes events that are not part of a transaction the way PostgreSQL commits under load: one
 * INSERT is in flight at a time, and whatever was recorded meanwhile goes into the next one as
 * a single multi-row statement. Nothing waits for a timer: alone, an event is written at once;
 * under load (many refreshes each second) one statement and one commit carry many events, where
 * each used to cost a round trip and a commit of its own. Every caller's promise still resolves
 * only once its row is committed, so an answer never leaves before its event is stored, and a
 * batch that fails is retried row by row, so that one bad event fails only its own caller.
 */
@Injectable()
export class AuthEventBatchWriter implements OnApplicationShutdown {
  private readonly logger = new Logger(AuthEventBatchWriter.name);
  private readonly work = new PendingWork(this.logger, 'auth event batch(es) unwritten');
  private queue: Queued[] = [];
  private writing = false;

  constructor(private readonly events: AuthEventRepository) {}

  write(event: AuthEventRow): Promise<void> {
    return new Promise<void>((written, failed) => {
      this.queue.push({ event, written, failed });
      if (this.writing) return;
      this.writing = true;
      // Started after the current event-loop turn, so that events recorded in this one join.
      this.work.start(
        () => this.writeQueued(),
        (error) => this.logger.error({ err: error }, 'Auth event writer failed'),
      );
    });
  }

  /** Resolves once every event recorded so far is written (or has failed). */
  settled(): Promise<void> {
    return this.work.settled();
  }

  onApplicationShutdown(): Promise<void> {
    return this.work.drain(SHUTDOWN_DRAIN_MS);
  }

  private async writeQueued(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        await this.events.insertMany(batch.map((queued) => queued.event)).then(
          () => batch.forEach((queued) => queued.written()),
          (error: unknown) => this.writeOneByOne(batch, error),
        );
      }
    } finally {
      this.writing = false;
    }
  }

  private async writeOneByOne(batch: Queued[], error: unknown): Promise<void> {
    if (batch.length === 1) {
      batch[0].failed(error);
      return;
    }
    for (const queued of batch) {
      await this.events.insertMany([queued.event]).then(queued.written, queued.failed);
    }
  }
}
