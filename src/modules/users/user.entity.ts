import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryColumn,
  UpdateDateColumn,
} from 'typeorm';

import { UserStatus } from './user-status';

/**
 * A person with an account. `email` is stored lower-cased, which makes its uniqueness
 * case-insensitive; `password_hash` is absent for users who only sign in through an external
 * identity provider, for invited users until they accept, and after an administrator forced a
 * reset.
 *
 * The indexes serve the administrators' search (AdminUsersService): every filter and both sort
 * orders. The two prefix indexes use `text_pattern_ops` (so `LIKE 'ab%'` can use them whatever
 * the collation), which TypeORM cannot declare: migration 1796590000000 creates them and
 * `synchronize: false` keeps the drift check from dropping them.
 */
@Entity('users')
@Check(
  'CHK_users_status',
  `"status" IN ('pending_verification', 'invited', 'active', 'suspended', 'deactivated')`,
)
@Index('IDX_users_email_prefix', { synchronize: false })
@Index('IDX_users_name_prefix', { synchronize: false })
@Index('IDX_users_created', ['createdAt', 'id'])
@Index('IDX_users_status_created', ['status', 'createdAt', 'id'])
@Index('IDX_users_last_login', ['lastLoginAt'])
@Index('IDX_users_deletion_due', ['deletionDueAt'], { where: '"deletion_due_at" IS NOT NULL' })
@Check('CHK_users_deletion', '("deletion_requested_at" IS NULL) = ("deletion_due_at" IS NULL)')
@Check('CHK_users_email_lower', `"email" = lower("email")`)
export class User {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuidv7()' })
  id!: string;

  @Column({ type: 'text', unique: true })
  email!: string;

  @Column({ name: 'email_verified_at', type: 'timestamptz', nullable: true })
  emailVerifiedAt!: Date | null;

  @Column({ name: 'password_hash', type: 'text', nullable: true, select: false })
  passwordHash!: string | null;

  @Column({ type: 'text' })
  name!: string;

  /** E.164. */
  @Column({ type: 'text', nullable: true })
  phone!: string | null;

  /** https only. */
  @Column({ name: 'avatar_url', type: 'text', nullable: true })
  avatarUrl!: string | null;

  /** IANA time zone name. */
  @Column({ type: 'text', nullable: true })
  timezone!: string | null;

  /** BCP 47 language tag, canonicalized. */
  @Column({ type: 'text', nullable: true })
  locale!: string | null;

  @Column({ type: 'text', default: 'pending_verification' })
  status!: UserStatus;

  /** Set by the statement that starts a login's session (SessionRepository.insertLogin). */
  @Column({ name: 'last_login_at', type: 'timestamptz', nullable: true })
  lastLoginAt!: Date | null;

  /** When the user asked to delete their account; null when no deletion is scheduled. */
  @Column({ name: 'deletion_requested_at', type: 'timestamptz', nullable: true })
  deletionRequestedAt!: Date | null;

  /** When the account is erased unless its holder signs in before (ACCOUNT_DELETION_GRACE_DAYS). */
  @Column({ name: 'deletion_due_at', type: 'timestamptz', nullable: true })
  deletionDueAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
