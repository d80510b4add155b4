import { Injectable } from '@nestjs/common';
import type { ActorType } from '../../../common/auth/actor';
import { Transactions } from '../../../database/transactions';
import { DisabledReason, WebhookEndpoint } from './webhook-endpoint.entity';

/** Who owns an endpoint: every admin query is scoped to one. */
export interface EndpointOwner {
  type: ActorType;
  id: string;
}

export type NewEndpoint = Pick<
  WebhookEndpoint,
  'id' | 'url' | 'description' | 'eventTypes' | 'enabled' | 'secretSealed'
> & { owner: EndpointOwner };

export type EndpointChanges = Partial<
  Pick<WebhookEndpoint, 'url' | 'description' | 'eventTypes' | 'enabled'>
>;

/** An enabled endpoint as fan-out needs it. */
export interface SubscribedEndpoint {
  id: string;
  eventTypes: string[];
}

/** An endpoint as a delivery needs it, its sealed secrets included. */
export interface DeliveryTarget {
  id: string;
  url: string;
  enabled: boolean;
  secretSealed: string;
  previousSecretSealed: string | null;
  previousSecretExpiresAt: Date | null;
}

/** Webhook endpoints; the only code that reads or writes `webhook_endpoints`. */
@Injectable()
export class WebhookEndpointsRepository {
  constructor(private readonly transactions: Transactions) {}

  private get endpoints() {
    return this.transactions.manager().getRepository(WebhookEndpoint);
  }

  private query<T>(sql: string, parameters: unknown[]): Promise<T[]> {
    return this.transactions.manager().query<T[]>(sql, parameters);
  }

  async insert(endpoint: NewEndpoint): Promise<WebhookEndpoint> {
    const { owner, ...fields } = endpoint;
    await this.endpoints.insert({ ...fields, ownerType: owner.type, ownerId: owner.id });
    return (await this.findOwned(owner, endpoint.id))!;
  }

  /** The owner's endpoints in creation order (UUIDv7), after the one with id `after`. */
  listOwned(owner: EndpointOwner, limit: number, after: string | null): Promise<WebhookEndpoint[]> {
    const query = this.endpoints
      .createQueryBuilder('e')
      .where('e.owner_type = :type AND e.owner_id = :id', owner)
      .orderBy('e.id', 'ASC')
      .limit(limit);
    if (after) query.andWhere('e.id > :after', { after });
    return query.getMany();
  }

  findOwned(owner: EndpointOwner, id: string): Promise<WebhookEndpoint | null> {
    return this.endpoints.findOneBy({ id, ownerType: owner.type, ownerId: owner.id });
  }

  /** The owner's endpoint, locked until the transaction ends (call inside one). */
  lockOwned(owner: EndpointOwner, id: string): Promise<WebhookEndpoint | null> {
    return this.endpoints
      .createQueryBuilder('e')
      .setLock('pessimistic_write')
      .where('e.id = :id AND e.owner_type = :type AND e.owner_id = :owner', {
        id,
        type: owner.type,
        owner: owner.id,
      })
      .getOne();
  }

  /**
   * Applies changes to an endpoint. Enabling it clears what delivery recorded against it (why
   * it disabled it, since when it failed): it gets a fresh start.
   */
  async update(id: string, changes: EndpointChanges): Promise<void> {
    const reset = changes.enabled === true ? { disabledReason: null, failingSince: null } : {};
    await this.endpoints.update({ id }, { ...changes, ...reset });
  }

  /** Deletes the owner's endpoint (and its delivery log); its URL, or null when there is none. */
  async deleteOwned(owner: EndpointOwner, id: string): Promise<string | null> {
    const [row] = await this.query<{ url: string }>(
      `WITH gone AS (
         DELETE FROM webhook_endpoints WHERE id = $1 AND owner_type = $2 AND owner_id = $3
         RETURNING url
       )
       SELECT url FROM gone`,
      [id, owner.type, owner.id],
    );
    return row?.url ?? null;
  }

  /**
   * Replaces the secret; the current one becomes the previous one, valid until `previousUntil`.
   * False when the owner has no such endpoint.
   */
  async rotateSecret(
    owner: EndpointOwner,
    id: string,
    sealed: string,
    previousUntil: Date,
  ): Promise<boolean> {
    const rows = await this.query<{ id: string }>(
      `WITH rotated AS (
         UPDATE webhook_endpoints
            SET previous_secret_sealed = secret_sealed, secret_sealed = $4,
                previous_secret_expires_at = $5, updated_at = now()
          WHERE id = $1 AND owner_type = $2 AND owner_id = $3
          RETURNING id
       )
       SELECT id FROM rotated`,
      [id, owner.type, owner.id, sealed, previousUntil],
    );
    return rows.length > 0;
  }

  subscribed(): Promise<SubscribedEndpoint[]> {
    return this.endpoints.find({
      select: { id: true, eventTypes: true },
      where: { enabled: true },
      order: { id: 'ASC' },
    });
  }

  /** The delivery targets among these endpoint ids (deleted ones are missing). */
  async findTargets(ids: string[]): Promise<DeliveryTarget[]> {
    if (ids.length === 0) return [];
    const rows = await this.query<{
      id: string;
      url: string;
      enabled: boolean;
      secret_sealed: string;
      previous_secret_sealed: string | null;
      previous_secret_expires_at: Date | null;
    }>(
      `SELECT id, url, enabled, secret_sealed, previous_secret_sealed, previous_secret_expires_at
         FROM webhook_endpoints WHERE id = ANY($1)`,
      [ids],
    );
    return rows.map((row) => ({
      id: row.id,
      url: row.url,
      enabled: row.enabled,
      secretSealed: row.secret_sealed,
      previousSecretSealed: row.previous_secret_sealed,
      previousSecretExpiresAt: row.previous_secret_expires_at,
    }));
  }

  /**
   * Locks the endpoints a batch of deliveries records outcomes for, in id order: batches that
   * share endpoints then wait for each other instead of locking them in opposite orders
   * (a deadlock).
   */
  async lockInOrder(ids: string[]): Promise<void> {
    await this.query(
      'SELECT 1 FROM webhook_endpoints WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE',
      [ids],
    );
  }

  /** A delivery succeeded: the endpoint is no longer failing. */
  async recordSuccess(id: string): Promise<void> {
    await this.query(
      'UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL',
      [id],
    );
  }

  /** An attempt failed at `at`: returns since when the endpoint has been failing (null: gone). */
  async recordFailure(id: string, at: Date): Promise<Date | null> {
    const [row] = await this.query<{ failing_since: Date }>(
      `WITH failed AS (
         UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $2)
          WHERE id = $1 RETURNING failing_since
       )
       SELECT failing_since FROM failed`,
      [id, at],
    );
    return row?.failing_since ?? null;
  }

  /** Disables an enabled endpoint for `reason`; false when it was not enabled (or is gone). */
  async disable(id: string, reason: DisabledReason): Promise<boolean> {
    const rows = await this.query<{ id: string }>(
      `WITH disabled AS (
         UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, updated_at = now()
          WHERE id = $1 AND enabled RETURNING id
       )
       SELECT id FROM disabled`,
      [id, reason],
    );
    return rows.length > 0;
  }
}
