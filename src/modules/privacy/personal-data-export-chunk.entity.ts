import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { PersonalDataExport } from './personal-data-export.entity';

/** One encrypted piece of an export's archive, in order (see ChunkedFileCipher). */
@Entity('personal_data_export_chunks')
export class PersonalDataExportChunk {
  @PrimaryColumn({ name: 'export_id', type: 'uuid' })
  exportId!: string;

  @PrimaryColumn({ type: 'integer' })
  index!: number;

  @Column({ type: 'bytea' })
  data!: Buffer;

  @ManyToOne(() => PersonalDataExport, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'export_id' })
  export?: PersonalDataExport;
}
