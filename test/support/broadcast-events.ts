import { DomainEvent } from '../../src/modules/events/domain-event';
import { DomainEvents } from '../../src/modules/events/domain-events.service';
import { patternMatches } from '../../src/modules/events/event-catalogue';
import { EVENT_CONSUMER, EventConsumerMetadata } from '../../src/modules/events/on-event.decorator';

/**
 * For unit tests of a service whose caches follow events: the service's emits reach its own
 * broadcast consumers (the methods marked `@OnBroadcast`, matched by their own patterns) at
 * once, as they would in the instance that made the change. Emitted events are kept, in order.
 */
export function broadcastingTo(consumer: () => object): {
  events: DomainEvents;
  emitted: Pick<DomainEvent, 'type' | 'data'>[];
} {
  const emitted: Pick<DomainEvent, 'type' | 'data'>[] = [];
  const events = {
    emit: async (type: string, data: unknown) => {
      const event = { type, data } as DomainEvent;
      emitted.push(event);
      const target = consumer();
      const prototype = Object.getPrototypeOf(target) as Record<string, unknown>;
      for (const method of Object.getOwnPropertyNames(prototype)) {
        const metadata = Reflect.getMetadata(EVENT_CONSUMER, prototype, method) as
          EventConsumerMetadata | undefined;
        if (metadata?.phase !== 'broadcast') continue;
        if (!metadata.patterns.some((pattern) => patternMatches(pattern, type))) continue;
        await (prototype[method] as (e: DomainEvent) => unknown).call(target, event);
      }
      return event;
    },
  };
  return { events: events as unknown as DomainEvents, emitted };
}
