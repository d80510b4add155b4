import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { IdentityProvider } from './identity-provider.entity';

/**
 * An event a provider's webhook delivered, kept by its id to refuse replays and the provider's
 * own redeliveries: the first delivery queues the work, the others change nothing.
 */
@Entity('received_provider_events')
@Index('IDX_received_provider_events_received', ['receivedAt'])
export class ReceivedProviderEvent {
  @PrimaryColumn({ name: 'provider_id', type: 'uuid' })
  providerId!: string;

  @ManyToOne(() => IdentityProvider, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'provider_id' })
  provider?: IdentityProvider;

  @PrimaryColumn({ name: 'event_id', type: 'text' })
  eventId!: string;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;
}
