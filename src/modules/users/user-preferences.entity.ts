import {
  Check,
  Column,
  Entity,
  JoinColumn,
  OneToOne,
  PrimaryColumn,
  UpdateDateColumn,
} from 'typeorm';
import { User } from './user.entity';

export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];

export interface NotificationPreferences {
  security_alerts: boolean;
  product_updates: boolean;
  price_alerts: boolean;
  channels: ('email' | 'push' | 'sms')[];
}

export interface Watchlist {
  name: string;
  symbols: string[];
}

/**
 * One row per user. Each field has a type the API validates (see PreferencesDto); the JSON
 * columns hold documents of a fixed shape, never arbitrary client data.
 */
@Entity('user_preferences')
@Check('CHK_user_preferences_theme', `"theme" IN ('system', 'light', 'dark')`)
@Check('CHK_user_preferences_watchlists', `jsonb_typeof("watchlists") = 'array'`)
@Check('CHK_user_preferences_notifications', `jsonb_typeof("notifications") = 'object'`)
export class UserPreferences {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @OneToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ type: 'text', default: 'system' })
  theme!: Theme;

  @Column({ type: 'jsonb' })
  notifications!: NotificationPreferences;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  watchlists!: Watchlist[];

  /** A trading account of the user; checked against memberships once that module exists. */
  @Column({ name: 'default_trading_account_id', type: 'uuid', nullable: true })
  defaultTradingAccountId!: string | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
