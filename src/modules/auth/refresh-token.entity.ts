import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
} from 'typeorm';
import { Session } from './session.entity';

/**
 * One opaque refresh token; only its SHA-256 is stored. The tokens of a session form its
 * family (`session_id`), each pointing at the one it replaced (`parent_id`). The partial unique
 * index allows at most one live token per family, so two rotations of one parent can never
 * both succeed. The plain indexes on both references serve what reaches a family's rotated
 * tokens too: revoking a session's tokens, and the cascades when a session or token is deleted.
 */
@Entity('refresh_tokens')
@Index('UQ_refresh_tokens_one_live_per_session', ['sessionId'], {
  unique: true,
  where: '"rotated_at" IS NULL AND "revoked_at" IS NULL',
})
@Index('IDX_refresh_tokens_session', ['sessionId'])
@Index('IDX_refresh_tokens_parent', ['parentId'])
export class RefreshToken {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuidv7()' })
  id!: string;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId!: string;

  @ManyToOne(() => Session, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'session_id' })
  session?: Session;

  @Column({ name: 'parent_id', type: 'uuid', nullable: true })
  parentId!: string | null;

  @ManyToOne(() => RefreshToken, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'parent_id' })
  parent?: RefreshToken;

  @Column({ name: 'token_hash', type: 'bytea', unique: true })
  tokenHash!: Buffer;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'rotated_at', type: 'timestamptz', nullable: true })
  rotatedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
