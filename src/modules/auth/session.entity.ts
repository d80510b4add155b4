import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
} from 'typeorm';
import { User } from '../users/user.entity';

/**
 * One login on one device, and the family of its refresh tokens. Revoking it ends the family
 * and, within seconds, the access tokens that carry its id (`sid`).
 */
@Entity('sessions')
@Index('IDX_sessions_user_live', ['userId'], { where: '"revoked_at" IS NULL' })
/*
 * When the session ended: LEAST(revoked_at, idle_expires_at, absolute_expires_at) (LEAST skips
 * the null revoked_at of an unrevoked one). An expression index, which TypeORM cannot describe:
 * made by migration 1796588870470-IndexRowsPastRetention, left alone by schema sync.
 */
@Index('IDX_sessions_ended_at', { synchronize: false })
export class Session {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuidv7()' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ type: 'text', nullable: true })
  ip!: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent!: string | null;

  /** Authentication methods of the login (RFC 8176 values). */
  @Column({ type: 'text', array: true })
  amr!: string[];

  @Column({ name: 'auth_time', type: 'timestamptz' })
  authTime!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Last login or refresh. */
  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt!: Date;

  /** The session ends here unless a refresh moves it on (idle timeout). */
  @Column({ name: 'idle_expires_at', type: 'timestamptz' })
  idleExpiresAt!: Date;

  /** No refresh moves this (absolute lifetime). */
  @Column({ name: 'absolute_expires_at', type: 'timestamptz' })
  absoluteExpiresAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoke_reason', type: 'text', nullable: true })
  revokeReason!: string | null;
}
