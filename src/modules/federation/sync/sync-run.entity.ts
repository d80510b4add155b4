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
import { IdentityProvider } from '../identity-provider.entity';

export const SYNC_RUN_STATUSES = ['running', 'completed', 'failed'] as const;
export type SyncRunStatus = (typeof SYNC_RUN_STATUSES)[number];

/**
 * A full sync of the users linked to one provider: read page by page from its management API,
 * where it got to saved after each page, so that a restart resumes there. One runs at a time.
 */
@Entity('identity_provider_sync_runs')
@Check('CHK_identity_provider_sync_runs_status', `"status" IN ('running', 'completed', 'failed')`)
@Index('UQ_identity_provider_sync_runs_running', ['providerId'], {
  unique: true,
  where: `"status" = 'running'`,
})
@Index('IDX_identity_provider_sync_runs_provider', ['providerId', 'id'])
export class SyncRun {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuidv7()' })
  id!: string;

  @Column({ name: 'provider_id', type: 'uuid' })
  providerId!: string;

  @ManyToOne(() => IdentityProvider, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'provider_id' })
  provider?: IdentityProvider;

  @Column({ type: 'text' })
  status!: SyncRunStatus;

  /** The next page to read (a URL or an index), null before the first and after the last. */
  @Column({ type: 'text', nullable: true })
  cursor!: string | null;

  @Column({ name: 'pages_read', type: 'integer', default: 0 })
  pagesRead!: number;

  @Column({ name: 'users_seen', type: 'integer', default: 0 })
  usersSeen!: number;

  @Column({ name: 'users_updated', type: 'integer', default: 0 })
  usersUpdated!: number;

  /** Why it failed, without a secret or the provider's URLs. */
  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}
