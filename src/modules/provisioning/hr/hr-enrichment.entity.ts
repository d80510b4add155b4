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
import { User } from '../../users/user.entity';
import { HrSource } from './hr-source.entity';

export const ENRICHMENT_STATUSES = ['pending', 'processing', 'completed', 'failed'] as const;
export type EnrichmentStatus = (typeof ENRICHMENT_STATUSES)[number];

export interface EnrichedGroup {
  id: string;
  name: string;
}

export interface EnrichedApplication {
  id: string;
  label: string;
  app_name: string;
  link_url: string;
}

/**
 * One new hire as an HR source posted it, and what enrichment from Okta made of it: its status
 * and attempts, the person's Okta groups and applications, and the Gatehouse account it is
 * linked to. A delivery is one enrichment: the same `webhook-id`, or the same employee with the
 * same payload (`payload_hash`), finds the row already there (both unique per source).
 */
@Entity('hr_enrichments')
@Check('CHK_hr_enrichments_status', `"status" IN ('pending', 'processing', 'completed', 'failed')`)
@Index('IDX_hr_enrichments_payload', ['sourceId', 'employeeId', 'payloadHash'], { unique: true })
@Index('IDX_hr_enrichments_webhook_id', ['sourceId', 'webhookId'], {
  unique: true,
  where: '"webhook_id" IS NOT NULL',
})
@Index('IDX_hr_enrichments_employee', ['employeeId', 'createdAt'])
@Index('IDX_hr_enrichments_user', ['userId'])
@Index('IDX_hr_enrichments_finished', ['finishedAt'], { where: '"finished_at" IS NOT NULL' })
export class HrEnrichment {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'source_id', type: 'uuid' })
  sourceId!: string;

  @ManyToOne(() => HrSource, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'source_id' })
  source?: HrSource;

  @Column({ name: 'webhook_id', type: 'text', nullable: true })
  webhookId!: string | null;

  @Column({ name: 'payload_hash', type: 'bytea' })
  payloadHash!: Buffer;

  @Column({ name: 'employee_id', type: 'text' })
  employeeId!: string;

  @Column({ name: 'first_name', type: 'text' })
  firstName!: string;

  @Column({ name: 'last_name', type: 'text' })
  lastName!: string;

  @Column({ name: 'preferred_name', type: 'text', nullable: true })
  preferredName!: string | null;

  @Column({ type: 'text' })
  email!: string;

  @Column({ type: 'text', nullable: true })
  title!: string | null;

  @Column({ type: 'text', nullable: true })
  department!: string | null;

  @Column({ name: 'start_date', type: 'date' })
  startDate!: string;

  @Column({ type: 'text' })
  status!: EnrichmentStatus;

  /** Why it failed, or why it waits (the Okta circuit open); never a secret. */
  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  /** Runs of the enrichment so far (each makes up to four tries of each Okta call). */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'okta_user_id', type: 'text', nullable: true })
  oktaUserId!: string | null;

  @Column({ type: 'jsonb', default: [] })
  groups!: EnrichedGroup[];

  @Column({ type: 'jsonb', default: [] })
  applications!: EnrichedApplication[];

  /** The Gatehouse account of the person; the record goes with the account when it is erased. */
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId!: string | null;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  /** When a waiting enrichment (circuit open) runs next. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
