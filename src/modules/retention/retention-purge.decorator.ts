import type { AppConfig } from '../../config/app-config';

export const RETENTION_PURGE = Symbol('gatehouse:retention-purge');

/** A kind of row that is purged once it has been over (ended, spent, delivered) long enough. */
export interface RetentionKindDefinition {
  /** The kind's name: the `kind` label of the metric, in logs and in the README's table. */
  kind: string;
  /** Days a row of this kind is kept once it is over; 0 keeps them forever. */
  retentionDays: (config: AppConfig) => number;
}

/**
 * Deletes up to about `limit` rows of the kind that were over before `before`, and answers how
 * many it deleted (0 once none is left). It runs inside a short transaction of its own (one per
 * call) and must never wait for a row another transaction holds: rows are chosen through an index
 * and locked `FOR UPDATE SKIP LOCKED`, so two purges at once share the work without deadlock.
 */
export type RetentionPurgeFunction = (before: Date, limit: number) => Promise<number>;

/**
 * Marks the repository method that purges one kind of row past its retention. Found at startup
 * on every provider; the `retention.purge` job runs every kind in small batches.
 */
export function PurgesExpired(definition: RetentionKindDefinition) {
  return <M extends RetentionPurgeFunction>(
    target: object,
    key: string | symbol,
    _descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    Reflect.defineMetadata(RETENTION_PURGE, definition, target, key);
  };
}
