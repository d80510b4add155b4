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
import { BrokerAppKind } from './trading-account.entity';

/**
 * A link in progress: the user was sent to the broker's login with this link's signed `state`.
 * It is consumed by the first callback that presents it, and useless after `expires_at`. A
 * user's own app travels sealed in it (bound to the link) until the account holds it.
 */
@Entity('trading_account_links')
@Index('IDX_trading_account_links_expires', ['expiresAt'])
@Check('CHK_trading_account_links_app', `"app" IN ('platform', 'own')`)
export class TradingAccountLink {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ type: 'text' })
  app!: BrokerAppKind;

  @Column({ name: 'api_key_sealed', type: 'text', nullable: true, select: false })
  apiKeySealed!: string | null;

  @Column({ name: 'api_secret_sealed', type: 'text', nullable: true, select: false })
  apiSecretSealed!: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true })
  consumedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
