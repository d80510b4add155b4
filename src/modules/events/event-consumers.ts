import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { Transactions } from '../../database/transactions';
import { DomainEvent, PublishedEvent } from './domain-event';
import { EventPattern, EventType, isKnownPattern, patternMatches } from './event-catalogue';
import { EVENT_CONSUMER, EventConsumerMetadata, EventPhase } from './on-event.decorator';
import { decoratedMethods } from '../../common/discovery/decorated-methods';

export interface EventConsumer {
  /** `Class.method`: how a consumer is named in logs and in its retry jobs. */
  name: string;
  patterns: EventPattern[];
  phase: EventPhase;
  handle: (input: unknown) => unknown;
}

/** A relay consumer that failed on some events, which were set aside to be retried alone. */
export interface FailedConsumption {
  consumer: string;
  eventIds: string[];
  error: unknown;
}

/** A relay consumer failed on a batch run without savepoints (see `EventConsumers.published`). */
export class ConsumerFailed extends Error {
  constructor(
    readonly consumer: string,
    readonly error: unknown,
  ) {
    super(`event consumer ${consumer} failed`);
  }
}

/**
 * The consumers of domain events, found at startup on every provider (methods marked
 * `@InTransaction`, `@OnPublished` or `@OnBroadcast`), and how each phase runs them.
 */
@Injectable()
export class EventConsumers implements OnModuleInit {
  private readonly logger = new Logger(EventConsumers.name);
  private readonly consumers: EventConsumer[] = [];
  /** Per type, the consumers of each phase: looked up on every emit. */
  private readonly byType = new Map<string, Record<EventPhase, EventConsumer[]>>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly transactions: Transactions,
  ) {}

  onModuleInit(): void {
    const consumers = decoratedMethods<EventConsumerMetadata>(
      this.discovery,
      this.scanner,
      EVENT_CONSUMER,
    );
    for (const { name, metadata, method } of consumers) {
      for (const pattern of metadata.patterns) {
        if (!isKnownPattern(pattern)) {
          throw new Error(`${name} consumes unknown events ${String(pattern)}`);
        }
      }
      this.consumers.push({ name, ...metadata, handle: method as (input: unknown) => unknown });
    }
  }

  /** Whether emitting `type` needs a transaction: some consumer must write inside it. */
  hasTransactionConsumers(type: EventType): boolean {
    return this.of(type).transaction.length > 0;
  }

  /** Runs the transaction-phase consumers of an event being emitted; a failure fails the change. */
  async inTransaction(event: DomainEvent): Promise<void> {
    for (const consumer of this.of(event.type).transaction) await consumer.handle(event);
  }

  /** The names of the relay-phase consumers, for the retry job to find one again. */
  relayConsumer(name: string): EventConsumer | undefined {
    return this.consumers.find((c) => c.phase === 'relay' && c.name === name);
  }

  /**
   * Runs every relay-phase consumer on the events of a batch it consumes. With `isolated`, each
   * runs behind a savepoint of the relay's transaction: one that fails leaves no writes and is
   * reported (its events are retried alone), the others are unaffected. Without, they run
   * directly (two statements fewer per consumer, the usual case: nothing fails) and the first
   * failure throws `ConsumerFailed`, for the relay to roll back and run the batch isolated.
   */
  async published(events: PublishedEvent[], isolated: boolean): Promise<FailedConsumption[]> {
    const failed: FailedConsumption[] = [];
    for (const consumer of this.consumers) {
      if (consumer.phase !== 'relay') continue;
      const mine = events.filter((event) => this.consumes(consumer, event.type));
      if (mine.length === 0) continue;
      if (!isolated) {
        try {
          await consumer.handle(mine);
        } catch (error) {
          throw new ConsumerFailed(consumer.name, error);
        }
        continue;
      }
      try {
        await this.transactions.savepoint(async () => {
          await consumer.handle(mine);
        });
      } catch (error) {
        this.logger.error(
          { err: error, consumer: consumer.name, events: mine.length },
          'An event consumer failed; its events will be retried',
        );
        failed.push({ consumer: consumer.name, eventIds: mine.map((e) => e.id), error });
      }
    }
    return failed;
  }

  /** Runs one relay-phase consumer on one event again (a retry); throws if it fails again. */
  async retry(consumer: EventConsumer, event: PublishedEvent): Promise<void> {
    await consumer.handle([event]);
  }

  /** Runs the broadcast consumers of an event in this instance; failures are logged only. */
  async broadcast(event: DomainEvent): Promise<void> {
    for (const consumer of this.of(event.type).broadcast) {
      try {
        await consumer.handle(event);
      } catch (error) {
        this.logger.error(
          { err: error, consumer: consumer.name, event_type: event.type },
          'A broadcast consumer failed',
        );
      }
    }
  }

  private of(type: EventType): Record<EventPhase, EventConsumer[]> {
    let found = this.byType.get(type);
    if (!found) {
      const matching = (phase: EventPhase) =>
        this.consumers.filter((c) => c.phase === phase && this.consumes(c, type));
      found = {
        transaction: matching('transaction'),
        relay: matching('relay'),
        broadcast: matching('broadcast'),
      };
      this.byType.set(type, found);
    }
    return found;
  }

  private consumes(consumer: EventConsumer, type: string): boolean {
    return consumer.patterns.some((pattern) => patternMatches(pattern, type));
  }
}
