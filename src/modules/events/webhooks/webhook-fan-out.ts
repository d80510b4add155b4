import { Injectable } from '@nestjs/common';
import { ExpiringCache } from '../../../common/cache/expiring-cache';
import { PublishedEvent } from '../domain-event';
import { patternMatches } from '../event-catalogue';
import { OnBroadcast, OnPublished } from '../on-event.decorator';
import { DeliveryRequest, WebhookDeliveries } from './webhook-deliveries';
import { SubscribedEndpoint, WebhookEndpointsRepository } from './webhook-endpoints.repository';

/**
 * How long an instance trusts its list of enabled endpoints: the safety net. Every change to an
 * endpoint drops it at once in the instance that made it and, through its event, in the others.
 */
const SUBSCRIBED_CACHE_MS = 60_000;
const ENDPOINT_EVENTS = 'webhook.endpoint.';

/** Whether an endpoint's filter (exact types and `family.*` patterns) takes this type. */
export function filterMatches(filter: string[], type: string): boolean {
  return filter.some((pattern) => patternMatches(pattern, type));
}

/**
 * Turns every published event into deliveries: one job per enabled endpoint whose filter takes
 * it, queued in the relay's transaction, so an event is published exactly when its deliveries
 * exist (a crash before that commit leaves it to be relayed again). An endpoint receives the
 * events emitted after it was registered (UUIDv7 ids order them); older ones by replay.
 */
@Injectable()
export class WebhookFanOut {
  private readonly subscribed = new ExpiringCache<'all', SubscribedEndpoint[]>({
    ttlMs: SUBSCRIBED_CACHE_MS,
    maxEntries: 1,
    whenFull: 'clear',
  });

  constructor(
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly deliveries: WebhookDeliveries,
  ) {}

  @OnPublished('*')
  async fanOut(events: PublishedEvent[]): Promise<void> {
    // The batch changes endpoints: what this instance's cache holds may not have seen it yet.
    if (events.some((event) => event.type.startsWith(ENDPOINT_EVENTS))) this.subscribed.clear();
    const endpoints = await this.subscribed.getOrLoad('all', () => this.endpoints.subscribed());
    if (endpoints.length === 0) return;
    const requests: DeliveryRequest[] = [];
    for (const event of events) {
      for (const endpoint of endpoints) {
        if (event.id > endpoint.id && filterMatches(endpoint.eventTypes, event.type)) {
          requests.push({ endpointId: endpoint.id, eventId: event.id });
        }
      }
    }
    await this.deliveries.queue(requests);
  }

  @OnBroadcast('webhook.endpoint.*')
  forgetEndpoints(): void {
    this.subscribed.clear();
  }
}
