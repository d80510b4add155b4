import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import { ActorType } from '../../common/auth/actor';

/**
 * One administrative change: who made it (a user, a service client, or the system itself, as
 * the CLI), what it did to which object, and the values involved. Append-only. Ids are kept
 * without foreign keys so the trail outlives what it describes; `details` never holds secrets.
 */
@Entity('audit_events')
@Check('CHK_audit_events_actor_type', `"actor_type" IN ('user', 'service', 'system')`)
@Check('CHK_audit_events_actor_id', `"actor_type" = 'system' OR "actor_id" IS NOT NULL`)
@Check('CHK_audit_events_details', `jsonb_typeof("details") = 'object'`)
@Index('IDX_audit_events_actor_time', ['actorType', 'actorId', 'createdAt'])
@Index('IDX_audit_events_target_time', ['targetType', 'targetId', 'createdAt'])
export class AuditEvent {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuidv7()' })
  id!: string;

  @Column({ name: 'actor_type', type: 'text' })
  actorType!: ActorType;

  /** A user id, a client id, or for the system the name of the tool (`cli`). */
  @Column({ name: 'actor_id', type: 'text', nullable: true })
  actorId!: string | null;

  /** `<target type>.<verb>`, e.g. `role.create`, `user_role.grant`. */
  @Column({ type: 'text' })
  action!: string;

  @Column({ name: 'target_type', type: 'text' })
  targetType!: string;

  @Column({ name: 'target_id', type: 'text', nullable: true })
  targetId!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  details!: Record<string, unknown>;

  @Column({ name: 'request_id', type: 'text', nullable: true })
  requestId!: string | null;

  @Column({ type: 'text', nullable: true })
  ip!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
