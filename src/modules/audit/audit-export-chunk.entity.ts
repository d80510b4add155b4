import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { AuditExport } from './audit-export.entity';

/**
 * One encrypted piece of an export's file, in order: in the database rather than on one
 * instance's disk, so any instance can serve the download the job of another built.
 */
@Entity('audit_export_chunks')
export class AuditExportChunk {
  @PrimaryColumn({ name: 'export_id', type: 'uuid' })
  exportId!: string;

  @PrimaryColumn({ type: 'integer' })
  index!: number;

  /** iv (12) | tag (16) | AES-256-GCM ciphertext, bound to the export, index and whether last. */
  @Column({ type: 'bytea' })
  data!: Buffer;

  @ManyToOne(() => AuditExport, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'export_id' })
  export?: AuditExport;
}
