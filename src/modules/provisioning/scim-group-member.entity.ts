import { Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ScimGroup } from './scim-group.entity';
import { ScimUser } from './scim-user.entity';

/**
 * A member of a SCIM Group: a SCIM User holding the group's role through a grant the
 * provisioning made. Revoking that grant elsewhere removes the row (ScimMembershipSync).
 */
@Entity('scim_group_members')
@Index('IDX_scim_group_members_user', ['userId'])
export class ScimGroupMember {
  @PrimaryColumn({ name: 'group_id', type: 'uuid' })
  groupId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => ScimGroup, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'group_id' })
  group?: ScimGroup;

  @ManyToOne(() => ScimUser, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', referencedColumnName: 'userId' })
  user?: ScimUser;
}
