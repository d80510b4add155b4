import { CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * An event a security notice was queued for: events are delivered at least once (a consumer
 * retried after its work committed sees an event again), and a notice is mailed once.
 */
@Entity('mail_notified_events')
@Index('IDX_mail_notified_events_notified_at', ['notifiedAt'])
export class NotifiedEvent {
  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @CreateDateColumn({ name: 'notified_at', type: 'timestamptz' })
  notifiedAt!: Date;
}
