import { Injectable } from '@nestjs/common';
import { EventOf, InTransaction } from '../events/on-event.decorator';
import { ScimGroupsRepository } from './scim-groups.repository';
import { ScimUsersRepository } from './scim-users.repository';

/**
 * Keeps SCIM resources true to changes made outside SCIM, in the transaction that makes them:
 * a User's `active` follows its account's status (an administrator's suspension shows as
 * `active: false`, with a new version), and a Group loses a member whose grant of its role was
 * revoked.
 */
@Injectable()
export class ScimAccountSync {
  constructor(
    private readonly users: ScimUsersRepository,
    private readonly groups: ScimGroupsRepository,
  ) {}

  @InTransaction('user.suspended', 'user.deactivated', 'user.reactivated')
  async mirrorStatus(
    event: EventOf<'user.suspended' | 'user.deactivated' | 'user.reactivated'>,
  ): Promise<void> {
    await this.users.setActive(event.data.user_id, event.type === 'user.reactivated', new Date());
  }

  @InTransaction('user.role.revoked')
  async forgetRevokedMembership(event: EventOf<'user.role.revoked'>): Promise<void> {
    await this.groups.forgetMembership(event.data.role_id, event.data.user_id, new Date());
  }
}
