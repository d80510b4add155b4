import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export type AuthEventOutcome = 'success' | 'failure';

/**
 * One authentication attempt or account-security change and its outcome. Append-only; the
 * user id is kept without a foreign key so the trail outlives the account (erasure later
 * pseudonymises it explicitly).
 */
@Entity('auth_events')
@Check('CHK_auth_events_outcome', `"outcome" IN ('success', 'failure')`)
@Index('IDX_auth_events_user_time', ['userId', 'createdAt'])
@Index('IDX_auth_events_type_time', ['type', 'createdAt'])
export class AuthEvent {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuidv7()' })
  id!: string;

  @Column({ type: 'text' })
  type!: string;

  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId!: string | null;

  @Column({ name: 'session_id', type: 'uuid', nullable: true })
  sessionId!: string | null;

  @Column({ type: 'text', nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent!: string | null;

  @Column({ type: 'text' })
  outcome!: AuthEventOutcome;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
