import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  UpdateDateColumn,
} from 'typeorm';
import { User } from '../users/user.entity';

export const TRADING_ACCOUNT_STATUSES = ['active', 'expired', 'revoked', 'error'] as const;
export type TradingAccountStatus = (typeof TRADING_ACCOUNT_STATUSES)[number];

export const BROKERS = ['zerodha'] as const;
export type Broker = (typeof BROKERS)[number];

/** Which Kite Connect app holds the session: the platform's (configuration) or the owner's own. */
export type BrokerAppKind = 'platform' | 'own';

/** What the broker said of its user at the last link or sync: no credential. */
export interface BrokerProfile {
  name: string;
  short_name: string;
  email: string | null;
  user_type: string;
  exchanges: string[];
  products: string[];
  order_types: string[];
  /** Available equity and commodity margins at the last sync, when read. */
  margins: { equity: number | null; commodity: number | null } | null;
}

/**
 * A broker account linked by its owner. One broker user is linked once in a deployment: linking
 * it again updates this row. Its credentials are in `trading_account_credentials`, sealed.
 */
@Entity('trading_accounts')
@Index('UQ_trading_accounts_broker_user', ['broker', 'brokerUserId'], { unique: true })
@Index('IDX_trading_accounts_owner', ['ownerId', 'id'])
@Index('IDX_trading_accounts_sync', ['syncedAt'], { where: `"status" = 'active'` })
@Check('CHK_trading_accounts_status', `"status" IN ('active', 'expired', 'revoked', 'error')`)
@Check('CHK_trading_accounts_broker', `"broker" IN ('zerodha')`)
@Check('CHK_trading_accounts_app', `"app" IN ('platform', 'own')`)
export class TradingAccount {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuidv7()' })
  id!: string;

  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'owner_id' })
  owner?: User;

  @Column({ type: 'text' })
  broker!: Broker;

  @Column({ name: 'broker_user_id', type: 'text' })
  brokerUserId!: string;

  @Column({ type: 'text' })
  app!: BrokerAppKind;

  @Column({ name: 'display_name', type: 'text' })
  displayName!: string;

  @Column({ type: 'text' })
  status!: TradingAccountStatus;

  /** Why the broker refused the account, when `status` is `revoked` or `error`. */
  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason!: string | null;

  @Column({ type: 'jsonb' })
  profile!: BrokerProfile;

  /** When the broker session ends by itself: 06:00 IST after the login. */
  @Column({ name: 'token_expires_at', type: 'timestamptz' })
  tokenExpiresAt!: Date;

  @Column({ name: 'linked_at', type: 'timestamptz' })
  linkedAt!: Date;

  @Column({ name: 'synced_at', type: 'timestamptz' })
  syncedAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
