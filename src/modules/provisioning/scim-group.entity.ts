import { Column, Entity, Index, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { Role } from '../access/role.entity';

/**
 * A SCIM Group: a Gatehouse role the provisioning client created (same id), whose members hold
 * it. Deleting the role deletes the group. `displayName` is the client's; the role's name is
 * derived from it when the group is created.
 */
@Entity('scim_groups')
@Index('IDX_scim_groups_display_name', { synchronize: false })
@Index('IDX_scim_groups_external_id', ['clientId', 'externalId'], {
  unique: true,
  where: '"external_id" IS NOT NULL',
})
@Index('IDX_scim_groups_client_created', ['clientId', 'createdAt', 'id'])
export class ScimGroup {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @OneToOne(() => Role, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'id' })
  role?: Role;

  @Column({ name: 'client_id', type: 'text' })
  clientId!: string;

  @Column({ name: 'external_id', type: 'text', nullable: true })
  externalId!: string | null;

  @Column({ name: 'display_name', type: 'text' })
  displayName!: string;

  @Column({ type: 'integer', default: 1 })
  version!: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
