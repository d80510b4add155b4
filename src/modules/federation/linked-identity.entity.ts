import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
} from 'typeorm';
import { User } from '../users/user.entity';
import { IdentityProvider } from './identity-provider.entity';

/**
 * A user's account at an external provider, keyed by the provider's issuer and `sub` (ASVS
 * 6.8.1): never by email, which the provider may let its users change. Deleted with the user.
 */
@Entity('linked_identities')
@Index('UQ_linked_identities_issuer_subject', ['issuer', 'subject'], { unique: true })
@Index('IDX_linked_identities_user', ['userId'])
@Index('IDX_linked_identities_provider_user', ['providerId', 'userId'])
export class LinkedIdentity {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuidv7()' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ name: 'provider_id', type: 'uuid' })
  providerId!: string;

  @ManyToOne(() => IdentityProvider, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'provider_id' })
  provider?: IdentityProvider;

  @Column({ type: 'text' })
  issuer!: string;

  @Column({ type: 'text' })
  subject!: string;

  /** The address the provider last gave, as it gave it. */
  @Column({ type: 'text', nullable: true })
  email!: string | null;

  @Column({ name: 'last_login_at', type: 'timestamptz', nullable: true })
  lastLoginAt!: Date | null;

  /** The provider's last-change time of the state last applied: older reads are ignored. */
  @Column({ name: 'remote_updated_at', type: 'timestamptz', nullable: true })
  remoteUpdatedAt!: Date | null;

  /**
   * The status the provider last gave (`active`, `suspended`, `deactivated`): a local account
   * the provider suspended is reactivated when the provider reactivates it, one an
   * administrator suspended here is not.
   */
  @Column({ name: 'provider_status', type: 'text', nullable: true })
  providerStatus!: string | null;

  @Column({ name: 'synced_at', type: 'timestamptz', nullable: true })
  syncedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
