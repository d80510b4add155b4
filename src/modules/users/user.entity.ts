import { Check, Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

import { UserStatus } from './user-status';

/**
 * A person with an account. `email` is stored lower-cased, which makes its uniqueness
 * case-insensitive; `password_hash` is absent for users who only sign in through an external
 * identity provider.
 */
@Entity('users')
@Check(
  'CHK_users_status',
  `"status" IN ('pending_verification', 'active', 'suspended', 'deactivated')`,
)
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

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
