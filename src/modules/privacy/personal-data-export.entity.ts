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

export const PERSONAL_DATA_EXPORT_STATUSES = ['pending', 'ready', 'failed'] as const;
export type PersonalDataExportStatus = (typeof PERSONAL_DATA_EXPORT_STATUSES)[number];

/**
 * An export of everything Gatehouse holds about one person (GDPR Art. 15 and 20), asked for by
 * them or by an administrator: built by a job into a ZIP archive kept as encrypted chunks
 * (`personal_data_export_chunks`) under a data key of its own, sealed here. At most one a day
 * per person; downloadable until `expires_at`, then purged. Goes with the account.
 */
@Entity('personal_data_exports')
@Check('CHK_personal_data_exports_status', `"status" IN ('pending', 'ready', 'failed')`)
@Index('IDX_personal_data_exports_user_created', ['userId', 'createdAt'])
@Index('IDX_personal_data_exports_expires', ['expiresAt'], { where: '"expires_at" IS NOT NULL' })
export class PersonalDataExport {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuidv7()' })
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  /** Who asked: the person (`user`) or an administrator (`user` or `service`). */
  @Column({ name: 'requester_type', type: 'text' })
  requesterType!: string;

  @Column({ name: 'requester_id', type: 'text' })
  requesterId!: string;

  @Column({ type: 'text', default: 'pending' })
  status!: PersonalDataExportStatus;

  @Column({ name: 'sealed_key', type: 'text', select: false })
  sealedKey!: string;

  @Column({ type: 'integer', nullable: true })
  chunks!: number | null;

  @Column({ name: 'size_bytes', type: 'bigint', nullable: true })
  sizeBytes!: string | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  /** Until when a ready export can be downloaded (a day after it was built). */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;
}
