import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { ActorType } from '../../common/auth/actor';

/**
 * A domain event, written by the transaction that made the change it describes, then published
 * by the relay: `position` (null until then) orders published events and is what a stream
 * resumes from. Published events stay until EVENTS_RETENTION_DAYS have passed, the window for
 * resuming a stream and replaying deliveries. Append-only but for `position`/`published_at`.
 */
@Entity('outbox')
@Index('UQ_outbox_position', ['position'], { unique: true, where: '"position" IS NOT NULL' })
@Index('IDX_outbox_unpublished', ['id'], { where: '"position" IS NULL' })
@Index('IDX_outbox_occurred_at', ['occurredAt'])
export class OutboxEvent {
  /** UUIDv7, made where the event is emitted: the event's id everywhere. */
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'bigint', nullable: true })
  position!: string | null;

  @Column({ type: 'text' })
  type!: string;

  @Column({ name: 'schema_version', type: 'integer' })
  schemaVersion!: number;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ name: 'actor_type', type: 'text', nullable: true })
  actorType!: ActorType | null;

  @Column({ name: 'actor_id', type: 'text', nullable: true })
  actorId!: string | null;

  /** The user the event is about, if any (a user's own stream shows their events). */
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId!: string | null;

  @Column({ name: 'request_id', type: 'text', nullable: true })
  requestId!: string | null;

  @Column({ type: 'text', nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent!: string | null;

  @Column({ type: 'jsonb' })
  data!: Record<string, unknown>;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;
}
