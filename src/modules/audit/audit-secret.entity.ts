import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * The audit module's own keys, sealed under the master key: `index` keys the HMAC of IP
 * addresses (filters without the address in clear) and signs list cursors.
 */
@Entity('audit_secrets')
export class AuditSecret {
  @PrimaryColumn({ type: 'text' })
  name!: string;

  @Column({ name: 'sealed_key', type: 'text' })
  sealedKey!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
