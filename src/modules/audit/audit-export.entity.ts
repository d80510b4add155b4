import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export const AUDIT_EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number];

export const AUDIT_EXPORT_STATUSES = ['pending', 'ready', 'failed'] as const;
export type AuditExportStatus = (typeof AUDIT_EXPORT_STATUSES)[number];

/**
 * An export of the audit log for a filter, requested by one admin (only they see it): built by a
 * job into encrypted chunks (`audit_export_chunks`) under a data key of its own, sealed here. At
 * most one pending export per requester, filter and format: asking again while it is built
 * answers the same export.
 */
@Entity('audit_exports')
@Check('CHK_audit_exports_format', `"format" IN ('ndjson', 'csv')`)
@Check('CHK_audit_exports_status', `"status" IN ('pending', 'ready', 'failed')`)
@Index('UQ_audit_exports_pending', ['requesterType', 'requesterId', 'fingerprint', 'format'], {
  unique: true,
  where: `"status" = 'pending'`,
})
export class AuditExport {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuidv7()' })
  id!: string;

  @Column({ name: 'requester_type', type: 'text' })
  requesterType!: string;

  @Column({ name: 'requester_id', type: 'text' })
  requesterId!: string;

  @Column({ type: 'text' })
  format!: AuditExportFormat;

  /** The filters as given (AuditFilterInput), parsed again by the job. */
  @Column({ type: 'jsonb' })
  filter!: Record<string, string>;

  @Column({ type: 'text' })
  fingerprint!: string;

  @Column({ type: 'text', default: 'pending' })
  status!: AuditExportStatus;

  @Column({ name: 'sealed_key', type: 'text', select: false })
  sealedKey!: string;

  @Column({ type: 'bigint', nullable: true })
  rows!: string | null;

  @Column({ type: 'integer', nullable: true })
  chunks!: number | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;
}
