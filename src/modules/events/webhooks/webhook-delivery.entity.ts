import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { WebhookEndpoint } from './webhook-endpoint.entity';

/**
 * What became of an attempt: delivered (`success`), failed and to be tried again (`retrying`),
 * or failed for good (`failed`: a final 4xx, an address refused, the retry window over).
 */
export const DELIVERY_OUTCOMES = ['success', 'retrying', 'failed'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

/** Why an attempt got no 2xx, when it got no status at all or one that is not a success. */
export const DELIVERY_ERRORS = [
  'http_status',
  'redirect',
  'timeout',
  'connection',
  'dns',
  'address_refused',
] as const;
export type DeliveryError = (typeof DELIVERY_ERRORS)[number];

/** One attempt to deliver one event to one endpoint: the endpoint's delivery log. */
@Entity('webhook_deliveries')
@Index('IDX_webhook_deliveries_endpoint', ['endpointId', 'id'])
@Index('IDX_webhook_deliveries_endpoint_event', ['endpointId', 'eventId'])
@Index('IDX_webhook_deliveries_attempted_at', ['attemptedAt'])
@Check('CHK_webhook_deliveries_outcome', `"outcome" IN ('success', 'retrying', 'failed')`)
export class WebhookDelivery {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuidv7()' })
  id!: string;

  @Column({ name: 'endpoint_id', type: 'uuid' })
  endpointId!: string;

  @ManyToOne(() => WebhookEndpoint, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'endpoint_id' })
  endpoint?: WebhookEndpoint;

  /** The event's id: the `webhook-id` of every attempt to deliver it. */
  @Column({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ name: 'event_type', type: 'text' })
  eventType!: string;

  /** 1 for the first attempt of a delivery (or redelivery), then 2, 3… for its retries. */
  @Column({ type: 'int' })
  attempt!: number;

  @Column({ type: 'text' })
  outcome!: DeliveryOutcome;

  @Column({ name: 'status_code', type: 'int', nullable: true })
  statusCode!: number | null;

  @Column({ type: 'text', nullable: true })
  error!: DeliveryError | null;

  @Column({ name: 'latency_ms', type: 'int' })
  latencyMs!: number;

  /** The first KiB of the response body, as text. */
  @Column({ name: 'response_body', type: 'text', nullable: true })
  responseBody!: string | null;

  @Column({ name: 'attempted_at', type: 'timestamptz' })
  attemptedAt!: Date;
}
