import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { IdentityProvider } from '../identity-provider.entity';

/**
 * One event a provider's webhook delivered (an Okta System Log event, an Asgardeo security
 * event), kept from its acknowledgement until its job has processed it and a while after, so
 * that a replayed delivery is recognised by its id. Holds no profile data: the job re-reads the
 * user from the provider's management API.
 */
@Entity('identity_provider_events')
@Index('UQ_identity_provider_events_event', ['providerId', 'eventId'], { unique: true })
@Index('IDX_identity_provider_events_received', ['receivedAt'])
export class ProviderEvent {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuidv7()' })
  id!: string;

  @Column({ name: 'provider_id', type: 'uuid' })
  providerId!: string;

  @ManyToOne(() => IdentityProvider, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'provider_id' })
  provider?: IdentityProvider;

  /** The provider's id of the event (Okta's `uuid`, Asgardeo's `jti` and event type). */
  @Column({ name: 'event_id', type: 'text' })
  eventId!: string;

  @Column({ name: 'event_type', type: 'text' })
  eventType!: string;

  /** The provider's id of the user the event is about. */
  @Column({ type: 'text' })
  subject!: string;

  /** When the provider says it happened. */
  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt!: Date | null;

  /** What processing did: `updated`, `unchanged`, `not_linked`, `stale`. */
  @Column({ type: 'text', nullable: true })
  outcome!: string | null;
}
