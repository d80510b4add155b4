import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryColumn,
  UpdateDateColumn,
} from 'typeorm';

/**
 * A named set of permissions (`users:read`, `trading_accounts:trade`). The built-in `admin`
 * and `user` roles are seeded by the migration and can be neither renamed nor deleted.
 */
@Entity('roles')
@Index('UQ_roles_name', ['name'], { unique: true })
@Check('CHK_roles_name', `"name" ~ '^[a-z][a-z0-9_-]{0,62}$'`)
export class Role {
  @PrimaryColumn({ type: 'uuid', default: () => 'uuidv7()' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', default: '' })
  description!: string;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  permissions!: string[];

  @Column({ name: 'built_in', type: 'boolean', default: false })
  builtIn!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
