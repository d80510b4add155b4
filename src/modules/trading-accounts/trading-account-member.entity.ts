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
import { TradingAccount } from './trading-account.entity';

export const MEMBER_ROLES = ['viewer', 'trader', 'manager'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/**
 * A user sharing an account with its owner, with a role: `invited` until they accept (then
 * `active`); declining removes the row. Gone with the account or the user.
 */
@Entity('trading_account_members')
@Index('IDX_trading_account_members_user', ['userId'])
@Check('CHK_trading_account_members_role', `"role" IN ('viewer', 'trader', 'manager')`)
@Check('CHK_trading_account_members_status', `"status" IN ('invited', 'active')`)
export class TradingAccountMember {
  @PrimaryColumn({ name: 'account_id', type: 'uuid' })
  accountId!: string;

  @ManyToOne(() => TradingAccount, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  account?: TradingAccount;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ type: 'text' })
  role!: MemberRole;

  @Column({ type: 'text' })
  status!: 'invited' | 'active';

  @Column({ name: 'invited_by', type: 'uuid', nullable: true })
  invitedBy!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'accepted_at', type: 'timestamptz', nullable: true })
  acceptedAt!: Date | null;
}
