import { DomainEvent, PublishedEvent } from './domain-event';
import { EventPattern, MatchingType } from './event-catalogue';

export const EVENT_CONSUMER = Symbol('gatehouse:event-consumer');

/**
 * When a consumer runs:
 * - `transaction`: inside the transaction that emits the event, before it commits, for a write
 *   that must be atomic with the change (an audit row). Fails the change if it fails.
 * - `relay`: once, after commit, in the relay's transaction, with a batch of published events
 *   in order: for work derived from the change (auth events, `last_login_at`, mails and
 *   deliveries queued as jobs). Survives a crash: until the relay's transaction commits, the
 *   events stay unpublished and are relayed again. A consumer that fails is retried alone, as a
 *   job, without holding up the others (the batch is then run again, each consumer behind a
 *   savepoint). Its effects must be its writes in that transaction, which roll back with it.
 * - `broadcast`: in every running instance, for what each holds in memory (caches, the
 *   compiled policy set): at once in the instance that made the change, and in the others as
 *   soon as the event is published. Must be idempotent: it may see an event twice.
 */
export type EventPhase = 'transaction' | 'relay' | 'broadcast';

/** One event of any of the types `P` stands for, narrowed by a check of its `type`. */
export type EventOf<P extends EventPattern> = {
  [T in MatchingType<P>]: DomainEvent<T>;
}[MatchingType<P>];

export type PublishedEventOf<P extends EventPattern> = {
  [T in MatchingType<P>]: PublishedEvent<T>;
}[MatchingType<P>];

export interface EventConsumerMetadata {
  patterns: EventPattern[];
  phase: EventPhase;
}

/** A method decorator that accepts a method of type `F` (or narrower). */
type Handler<F> = <M extends F>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<M>,
) => void;

function consumer<F>(patterns: EventPattern[], phase: EventPhase): Handler<F> {
  return (target, key) => {
    const metadata: EventConsumerMetadata = { patterns, phase };
    Reflect.defineMetadata(EVENT_CONSUMER, metadata, target, key);
  };
}

/** Consumes the events of these types inside the emitting transaction (see EventPhase). */
export function InTransaction<P extends EventPattern>(
  ...patterns: P[]
): Handler<(event: EventOf<P>) => Promise<void>> {
  return consumer(patterns, 'transaction');
}

/** Consumes batches of published events, once, after commit (see EventPhase). */
export function OnPublished<P extends EventPattern>(
  ...patterns: P[]
): Handler<(events: PublishedEventOf<P>[]) => Promise<void>> {
  return consumer(patterns, 'relay');
}

/** Consumes each event in every instance, for state held in memory (see EventPhase). */
export function OnBroadcast<P extends EventPattern>(
  ...patterns: P[]
): Handler<(event: EventOf<P>) => void | Promise<void>> {
  return consumer(patterns, 'broadcast');
}
