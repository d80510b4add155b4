import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
} from 'typeorm';
import { User } from '../users/user.entity';

import { MfaChallengePurpose } from './mfa-challenge-purpose';

/**
 * The `mfa_token` of a login whose password was right and whose second factor is still owed
 * (`login`), or which must first enroll one (`enroll`). Only its SHA-256 is stored. It is bound
 * to the user and to the password hash that was verified (by its SHA-256): a password reset or
 * change in between voids it. Single use; burnt after MFA_MAX_FAILED_ATTEMPTS wrong codes.
 */
@Entity('mfa_challenges')
@Check('CHK_mfa_challenges_purpose', `"purpose" IN ('login', 'enroll')`)
@Index('IDX_mfa_challenges_user', ['userId'])
/*
 * When the challenge was spent: LEAST(consumed_at, expires_at). An expression index, which
 * TypeORM cannot describe: made by migration 1796588870470-IndexRowsPastRetention, left alone by
 * sync.
 */
@Index('IDX_mfa_challenges_spent_at', { synchronize: false })
export class MfaChallenge {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuidv7()' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ type: 'text' })
  purpose!: MfaChallengePurpose;

  @Column({ name: 'token_hash', type: 'bytea', unique: true })
  tokenHash!: Buffer;

  @Column({ name: 'password_fingerprint', type: 'bytea' })
  passwordFingerprint!: Buffer;

  /** How the first step authenticated (RFC 8176): `pwd`, or `fed` for an identity provider. */
  @Column({ name: 'first_factor', type: 'text', default: 'pwd' })
  firstFactor!: string;

  @Column({ name: 'failed_attempts', type: 'integer', default: 0 })
  failedAttempts!: number;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true })
  consumedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
