import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { ActorType } from '../../../common/auth/actor';

export const DISABLED_REASONS = ['gone', 'failing'] as const;
export type DisabledReason = (typeof DISABLED_REASONS)[number];

/**
 * Where published events are POSTed (Standard Webhooks), for the event types its filter names.
 * Owned by the admin (user or service client) who registered it: no one else sees it. The
 * signing secret is envelope-encrypted under the master key, bound to the endpoint's id; after
 * a rotation the previous one is kept, and signs too, until `previous_secret_expires_at`.
 */
@Entity('webhook_endpoints')
@Index('IDX_webhook_endpoints_owner', ['ownerType', 'ownerId', 'id'])
@Check('CHK_webhook_endpoints_owner_type', `"owner_type" IN ('user', 'service', 'system')`)
@Check(
  'CHK_webhook_endpoints_disabled_reason',
  `"disabled_reason" IS NULL OR "disabled_reason" IN ('gone', 'failing')`,
)
@Check('CHK_webhook_endpoints_event_types', `cardinality("event_types") > 0`)
export class WebhookEndpoint {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'owner_type', type: 'text' })
  ownerType!: ActorType;

  @Column({ name: 'owner_id', type: 'text' })
  ownerId!: string;

  @Column({ type: 'text' })
  url!: string;

  @Column({ type: 'text', default: '' })
  description!: string;

  /** Exact event types and `family.*` patterns; `*` is every event. */
  @Column({ name: 'event_types', type: 'text', array: true })
  eventTypes!: string[];

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  /** Why delivery disabled it (null when an admin did, or it is enabled). */
  @Column({ name: 'disabled_reason', type: 'text', nullable: true })
  disabledReason!: DisabledReason | null;

  @Column({ name: 'secret_sealed', type: 'text', select: false })
  secretSealed!: string;

  @Column({ name: 'previous_secret_sealed', type: 'text', nullable: true, select: false })
  previousSecretSealed!: string | null;

  @Column({ name: 'previous_secret_expires_at', type: 'timestamptz', nullable: true })
  previousSecretExpiresAt!: Date | null;

  /** Since when every attempt has failed (null after a success, or before any failure). */
  @Column({ name: 'failing_since', type: 'timestamptz', nullable: true })
  failingSince!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
