import {
  Check,
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  UpdateDateColumn,
} from 'typeorm';
import { TradingAccount } from './trading-account.entity';

export const CREDENTIAL_FIELDS = ['api_key', 'api_secret', 'access_token', 'public_token'] as const;
export type CredentialField = (typeof CREDENTIAL_FIELDS)[number];

/**
 * One broker credential of an account, sealed (FieldVault, bound to the account and the field),
 * with the id of the master key that opens it. Deleted with the account.
 */
@Entity('trading_account_credentials')
@Index('IDX_trading_account_credentials_key', ['keyId'])
@Check(
  'CHK_trading_account_credentials_field',
  `"field" IN ('api_key', 'api_secret', 'access_token', 'public_token')`,
)
export class TradingAccountCredential {
  @PrimaryColumn({ name: 'account_id', type: 'uuid' })
  accountId!: string;

  @ManyToOne(() => TradingAccount, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  account?: TradingAccount;

  @PrimaryColumn({ type: 'text' })
  field!: CredentialField;

  @Column({ type: 'text', select: false })
  envelope!: string;

  @Column({ name: 'key_id', type: 'text' })
  keyId!: string;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
