import { Column, Entity, Index, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { User } from '../users/user.entity';

/**
 * The SCIM User resource of an account a provisioning client created: the attributes as the
 * client last wrote them (`attributes`, keys as the representation names them), with those that
 * have rules of their own in columns. The account itself (email, name, status) is the users
 * module's; `active` mirrors its status, kept in step by the status events.
 *
 * `userName` is unique case-insensitively across the service (RFC 7643 `uniqueness: server`),
 * `externalId` per client: TypeORM cannot declare the expression indexes on `lower(user_name)`,
 * which the migration creates and `synchronize: false` keeps from the drift check.
 */
@Entity('scim_users')
@Index('IDX_scim_users_user_name', { synchronize: false })
@Index('IDX_scim_users_user_name_prefix', { synchronize: false })
@Index('IDX_scim_users_external_id', ['clientId', 'externalId'], {
  unique: true,
  where: '"external_id" IS NOT NULL',
})
@Index('IDX_scim_users_client_created', ['clientId', 'createdAt', 'userId'])
@Index('IDX_scim_users_created', ['createdAt', 'userId'])
export class ScimUser {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @OneToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  /** The `client_id` of the provisioning client that created it. */
  @Column({ name: 'client_id', type: 'text' })
  clientId!: string;

  @Column({ name: 'external_id', type: 'text', nullable: true })
  externalId!: string | null;

  @Column({ name: 'user_name', type: 'text' })
  userName!: string;

  @Column({ type: 'boolean' })
  active!: boolean;

  @Column({ type: 'jsonb', default: {} })
  attributes!: Record<string, unknown>;

  /** Incremented by every change: the resource's ETag. */
  @Column({ type: 'integer', default: 1 })
  version!: number;

  /** Milliseconds, as the representation shows them, so filters on them agree with it. */
  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
