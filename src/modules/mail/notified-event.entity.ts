import { CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * An event a security notice was queued for: events are delivered at least once (a consumer
 * retried after its work committed sees an event again), and a notice is mailed once.
 */
@Entity('mail_notified_events')
export class NotifiedEvent {
  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @CreateDateColumn({ name: 'notified_at', type: 'timestamptz' })
  notifiedAt!: Date;
}
