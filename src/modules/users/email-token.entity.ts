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
import { User } from './user.entity';

export const EMAIL_TOKEN_PURPOSES = [
  'verify_email',
  'reset_password',
  'change_email',
  'invitation',
] as const;
export type EmailTokenPurpose = (typeof EMAIL_TOKEN_PURPOSES)[number];

/**
 * A single-use proof of control of a mailbox: only the SHA-256 of the token is stored. An
 * email change carries the address it will switch to.
 */
@Entity('email_tokens')
@Check(
  'CHK_email_tokens_purpose',
  `"purpose" IN ('verify_email', 'reset_password', 'change_email', 'invitation')`,
)
@Check('CHK_email_tokens_new_email', `("purpose" = 'change_email') = ("new_email" IS NOT NULL)`)
@Index('IDX_email_tokens_user', ['userId', 'purpose'])
/*
 * When the token was spent: LEAST(consumed_at, expires_at). An expression index, which TypeORM
 * cannot describe: made by migration 1796588870470-IndexRowsPastRetention, left alone by sync.
 */
@Index('IDX_email_tokens_spent_at', { synchronize: false })
export class EmailToken {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuidv7()' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ type: 'text' })
  purpose!: EmailTokenPurpose;

  @Column({ name: 'token_hash', type: 'bytea', unique: true })
  tokenHash!: Buffer;

  @Column({ name: 'new_email', type: 'text', nullable: true })
  newEmail!: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true })
  consumedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
