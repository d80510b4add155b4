import { Inject, Injectable } from '@nestjs/common';
import { Actor } from '../../../common/auth/actor';
import { DomainError } from '../../../common/errors/domain-error';
import { CommonErrorCode, EventsErrorCode } from '../../../common/errors/error-code';
import { monotonicUuidV7 } from '../../../common/ids/uuid-v7';
import { APP_CONFIG, AppConfig } from '../../../config/app-config';
import { Transactions } from '../../../database/transactions';
import { DomainEvents } from '../domain-events.service';
import { isKnownPattern } from '../event-catalogue';
import { OutboxRepository } from '../outbox.repository';
import { WebhookDelivery } from './webhook-delivery.entity';
import { DeliveryFilter, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookDeliveries } from './webhook-deliveries';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import {
  EndpointChanges,
  EndpointOwner,
  WebhookEndpointsRepository,
} from './webhook-endpoints.repository';
import { filterMatches } from './webhook-fan-out';
import { WebhookSecrets } from './webhook-secrets';
import { newSigningSecret } from './webhook-signature';
import { checkWebhookUrl } from './webhook-url';

/** How long the previous secret keeps signing after a rotation. */
export const PREVIOUS_SECRET_VALID_MS = 24 * 60 * 60 * 1000;
/** The widest range one replay may cover. */
export const MAX_REPLAY_RANGE_MS = 7 * 24 * 60 * 60 * 1000;
/** Events read from the outbox per page of a replay. */
const REPLAY_PAGE = 500;

export interface EndpointInput {
  url: string;
  description: string;
  eventTypes: string[];
  enabled: boolean;
}

export interface IssuedEndpointSecret {
  secret: string;
  /** After a rotation: until when the previous secret still signs deliveries. */
  previousValidUntil: Date | null;
}

function notFound(): DomainError {
  return new DomainError(CommonErrorCode.NotFound, 'There is no such webhook endpoint.');
}

function ownerOf(actor: Actor): EndpointOwner {
  if (!actor.id) throw new Error('a webhook endpoint needs an owner with an id');
  return { type: actor.type, id: actor.id };
}

/** The fields of an endpoint its events carry (never its secret). */
function publicFields(endpoint: Pick<WebhookEndpoint, keyof EndpointChanges>) {
  return {
    url: endpoint.url,
    description: endpoint.description,
    event_types: endpoint.eventTypes,
    enabled: endpoint.enabled,
  };
}

/**
 * Administration of webhook endpoints, each scoped to the admin who registered it (another's
 * endpoint is "not found"), and their delivery logs, redeliveries and replays. Every change is
 * committed with its `webhook.endpoint.*` event, which the audit trail records.
 */
@Injectable()
export class WebhookEndpointsService {
  constructor(
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly log: WebhookDeliveriesRepository,
    private readonly deliveries: WebhookDeliveries,
    private readonly outbox: OutboxRepository,
    private readonly secrets: WebhookSecrets,
    private readonly events: DomainEvents,
    private readonly transactions: Transactions,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(
    input: EndpointInput,
    actor: Actor,
  ): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const url = this.checkUrl(input.url);
    const eventTypes = this.checkEventTypes(input.eventTypes);
    const id = monotonicUuidV7();
    const secret = newSigningSecret();
    const endpoint = await this.transactions.run(async () => {
      const created = await this.endpoints.insert({
        id,
        owner: ownerOf(actor),
        url,
        description: input.description,
        eventTypes,
        enabled: input.enabled,
        secretSealed: this.secrets.seal(id, secret),
      });
      await this.events.emit(
        'webhook.endpoint.created',
        { endpoint_id: id, ...publicFields(created) },
        { actor },
      );
      return created;
    });
    return { endpoint, secret };
  }

  list(actor: Actor, limit: number, after: string | null): Promise<WebhookEndpoint[]> {
    return this.endpoints.listOwned(ownerOf(actor), limit, after);
  }

  async get(actor: Actor, id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.endpoints.findOwned(ownerOf(actor), id);
    if (!endpoint) throw notFound();
    return endpoint;
  }

  async update(
    actor: Actor,
    id: string,
    changes: Partial<EndpointInput>,
  ): Promise<WebhookEndpoint> {
    const checked: EndpointChanges = {};
    if (changes.url !== undefined) checked.url = this.checkUrl(changes.url);
    if (changes.eventTypes !== undefined) {
      checked.eventTypes = this.checkEventTypes(changes.eventTypes);
    }
    if (changes.description !== undefined) checked.description = changes.description;
    if (changes.enabled !== undefined) checked.enabled = changes.enabled;
    return this.transactions.run(async () => {
      const owner = ownerOf(actor);
      const current = await this.endpoints.lockOwned(owner, id);
      if (!current) throw notFound();
      const before: Record<string, unknown> = {};
      const after: Record<string, unknown> = {};
      const now = publicFields(current);
      const next = publicFields({ ...current, ...checked });
      for (const key of Object.keys(next) as (keyof typeof next)[]) {
        if (JSON.stringify(now[key]) !== JSON.stringify(next[key])) {
          before[key] = now[key];
          after[key] = next[key];
        }
      }
      if (Object.keys(after).length === 0) return current;
      await this.endpoints.update(id, checked);
      await this.events.emit(
        'webhook.endpoint.updated',
        { endpoint_id: id, changes: { before, after } },
        { actor },
      );
      return (await this.endpoints.findOwned(owner, id))!;
    });
  }

  async delete(actor: Actor, id: string): Promise<void> {
    await this.transactions.run(async () => {
      const url = await this.endpoints.deleteOwned(ownerOf(actor), id);
      if (url === null) throw notFound();
      await this.events.emit('webhook.endpoint.deleted', { endpoint_id: id, url }, { actor });
    });
  }

  /** A new secret; the current one keeps signing (as a second signature) for 24 hours. */
  async rotateSecret(actor: Actor, id: string, now = new Date()): Promise<IssuedEndpointSecret> {
    const secret = newSigningSecret();
    const previousValidUntil = new Date(now.getTime() + PREVIOUS_SECRET_VALID_MS);
    await this.transactions.run(async () => {
      const rotated = await this.endpoints.rotateSecret(
        ownerOf(actor),
        id,
        this.secrets.seal(id, secret),
        previousValidUntil,
      );
      if (!rotated) throw notFound();
      await this.events.emit(
        'webhook.endpoint.secret_rotated',
        { endpoint_id: id, previous_valid_until: previousValidUntil.toISOString() },
        { actor },
      );
    });
    return { secret, previousValidUntil };
  }

  async deliveryLog(
    actor: Actor,
    id: string,
    filter: DeliveryFilter,
    limit: number,
    before: string | null,
  ): Promise<WebhookDelivery[]> {
    await this.get(actor, id);
    return this.log.list(id, filter, limit, before);
  }

  /**
   * Delivers one event to the endpoint again, as a new first attempt with the same
   * `webhook-id`: an event it takes, or one it was sent before.
   */
  async redeliver(actor: Actor, id: string, eventId: string): Promise<void> {
    const endpoint = await this.enabledEndpoint(actor, id);
    const event = await this.outbox.findPublished(eventId);
    if (
      !event ||
      !(filterMatches(endpoint.eventTypes, event.type) || (await this.log.attempted(id, eventId)))
    ) {
      throw new DomainError(
        CommonErrorCode.NotFound,
        'There is no such event for this webhook endpoint.',
      );
    }
    await this.deliveries.queue([{ endpointId: id, eventId }]);
  }

  /**
   * Delivers again every published event of [from, to) that the endpoint's filter takes, in the
   * order they were published; returns how many were queued.
   */
  async replay(actor: Actor, id: string, from: Date, to: Date): Promise<number> {
    if (to.getTime() <= from.getTime()) {
      throw new DomainError(CommonErrorCode.ValidationFailed, 'The range is empty.', {
        errors: [{ field: 'to', message: 'must be after from' }],
      });
    }
    if (to.getTime() - from.getTime() > MAX_REPLAY_RANGE_MS) {
      throw new DomainError(CommonErrorCode.ValidationFailed, 'The range is too wide.', {
        errors: [{ field: 'to', message: 'must be at most 7 days after from' }],
      });
    }
    const endpoint = await this.enabledEndpoint(actor, id);
    return this.transactions.run(async () => {
      let queued = 0;
      let position = 0;
      for (;;) {
        const page = await this.outbox.publishedBetween(from, to, position, REPLAY_PAGE);
        const matching = page.filter((event) => filterMatches(endpoint.eventTypes, event.type));
        await this.deliveries.queue(
          matching.map((event) => ({ endpointId: id, eventId: event.id })),
        );
        queued += matching.length;
        if (page.length < REPLAY_PAGE) return queued;
        position = page[page.length - 1].position;
      }
    });
  }

  private async enabledEndpoint(actor: Actor, id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.get(actor, id);
    if (!endpoint.enabled) {
      throw new DomainError(
        EventsErrorCode.EndpointDisabled,
        'The webhook endpoint is disabled: enable it first.',
      );
    }
    return endpoint;
  }

  private checkUrl(url: string): string {
    return checkWebhookUrl(url, {
      allowedHosts: this.config.webhooks.allowedHosts,
      requireHttps: this.config.env === 'production',
    });
  }

  /** The filter, deduplicated and sorted; unknown types and patterns are a 400 naming them. */
  private checkEventTypes(types: string[]): string[] {
    const unknown = types.filter((type) => !isKnownPattern(type));
    if (unknown.length > 0) {
      throw new DomainError(
        EventsErrorCode.UnknownEventTypes,
        `Unknown event types: ${unknown.join(', ')}.`,
        {
          errors: [{ field: 'event_types', message: `unknown: ${unknown.join(', ')}` }],
          extensions: { unknown_event_types: unknown },
        },
      );
    }
    return [...new Set(types)].sort();
  }
}
