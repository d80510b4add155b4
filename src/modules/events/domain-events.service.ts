import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Actor } from '../../common/auth/actor';
import { ClientInfo } from '../../common/auth/client-info';
import { BatchWriter } from '../../common/background/batch-writer';
import { monotonicUuidV7 } from '../../common/ids/uuid-v7';
import { currentRequestId } from '../../common/logging/request-log-context';
import { Transactions } from '../../database/transactions';
import { DomainEvent } from './domain-event';
import { EVENT_CATALOGUE, EventData, EventType } from './event-catalogue';
import { EventConsumers } from './event-consumers';
import { OutboxRelay } from './outbox-relay';
import { OutboxRepository } from './outbox.repository';

/**
 * Who and what caused an event. The request id defaults to the actor's, then to the request
 * being served; the address to the client's, then to the actor's.
 */
export interface EventOrigin {
  actor?: Actor | null;
  client?: ClientInfo | null;
  requestId?: string | null;
}

/** An event prepared without its payload, which a statement fills in (`prepareFromStatement`). */
export type EventShell<T extends EventType> = Omit<DomainEvent<T>, 'userId' | 'data'> & {
  complete(data: EventData<T>): DomainEvent<T>;
};

/**
 * How a use case tells the rest of Gatehouse (and the world) what it changed: `emit` adds a
 * typed event to the current unit of work. Inside a transaction the event's transaction-phase
 * consumers run and its outbox row is written there and then, so it commits or rolls back with
 * the change; outside one, the event is a unit of work of its own. Once committed, this
 * instance's broadcast consumers run and the relay is asked to publish it.
 */
@Injectable()
export class DomainEvents implements OnApplicationShutdown {
  private readonly logger = new Logger(DomainEvents.name);
  private readonly writer: BatchWriter<DomainEvent>;

  constructor(
    private readonly consumers: EventConsumers,
    private readonly outbox: OutboxRepository,
    private readonly relay: OutboxRelay,
    private readonly transactions: Transactions,
  ) {
    this.writer = new BatchWriter((events) => this.outbox.insert(events), this.logger, 'event(s)');
  }

  async emit<T extends EventType>(
    type: T,
    data: EventData<T>,
    origin: EventOrigin = {},
  ): Promise<DomainEvent<T>> {
    const event = this.build(type, data, origin);
    if (this.transactions.inTransaction()) {
      await this.consumers.inTransaction(event);
      await this.outbox.insert([event]);
      await this.transactions.afterCommit(() => this.committed([event]));
    } else if (this.consumers.hasTransactionConsumers(type)) {
      await this.transactions.run(async () => {
        await this.consumers.inTransaction(event);
        await this.outbox.insert([event]);
      });
      await this.committed([event]);
    } else {
      // Alone, as many refused attempts are: written together with others in flight.
      await this.writer.write(event);
      await this.committed([event]);
    }
    return event;
  }

  /**
   * An event for a hot path to write in its own statement (`outboxInsert`), with its change in
   * one round trip; call `written` once that statement has committed. Only for types without
   * transaction-phase consumers, which such a statement could not run.
   */
  prepare<T extends EventType>(
    type: T,
    data: EventData<T>,
    origin: EventOrigin = {},
  ): DomainEvent<T> {
    if (this.consumers.hasTransactionConsumers(type)) {
      throw new Error(`${type} has transaction-phase consumers: emit it in a transaction`);
    }
    return this.build(type, data, origin);
  }

  /**
   * An event whose payload a hot path's statement builds from the rows it writes (its own
   * payload is only known once they are found): `outboxInsertFrom` writes it, `complete`
   * gives the event as written, for `written`.
   */
  prepareFromStatement<T extends EventType>(type: T, origin: EventOrigin = {}): EventShell<T> {
    if (this.consumers.hasTransactionConsumers(type)) {
      throw new Error(`${type} has transaction-phase consumers: emit it in a transaction`);
    }
    const envelope = this.envelope(type, origin);
    return { ...envelope, complete: (data) => this.withPayload(envelope, data) };
  }

  /**
   * A hot path's statement wrote these events: what follows their commit happens once that
   * statement's transaction commits (at once, when it was a transaction of its own).
   */
  async written(events: DomainEvent[]): Promise<void> {
    await this.transactions.afterCommit(() => this.committed(events));
  }

  /** Resolves once events emitted outside a transaction so far are written. */
  settled(): Promise<void> {
    return this.writer.settled();
  }

  onApplicationShutdown(): Promise<void> {
    return this.writer.drain();
  }

  private build<T extends EventType>(
    type: T,
    data: EventData<T>,
    origin: EventOrigin,
  ): DomainEvent<T> {
    return this.withPayload(this.envelope(type, origin), data);
  }

  private withPayload<T extends EventType>(
    envelope: Omit<DomainEvent<T>, 'userId' | 'data'>,
    data: EventData<T>,
  ): DomainEvent<T> {
    // A payload outside its schema is a bug of the emitter: it must not reach the outbox.
    const parsed = EVENT_CATALOGUE[envelope.type].data.safeParse(data);
    if (!parsed.success) {
      throw new Error(`invalid ${envelope.type} payload: ${parsed.error.message}`);
    }
    const userId = (data as { user_id?: unknown }).user_id;
    return { ...envelope, userId: typeof userId === 'string' ? userId : null, data };
  }

  private envelope<T extends EventType>(
    type: T,
    origin: EventOrigin,
  ): Omit<DomainEvent<T>, 'userId' | 'data'> {
    const { actor, client } = origin;
    return {
      id: monotonicUuidV7(),
      type,
      schemaVersion: EVENT_CATALOGUE[type].version,
      occurredAt: new Date(),
      actor: actor ? { type: actor.type, id: actor.id } : null,
      context: {
        requestId: origin.requestId ?? actor?.requestId ?? currentRequestId(),
        ip: client?.ip ?? actor?.ip ?? null,
        userAgent: client?.userAgent ?? null,
      },
    };
  }

  private async committed(events: DomainEvent[]): Promise<void> {
    for (const event of events) await this.consumers.broadcast(event);
    this.relay.request();
  }
}
