import { Injectable } from '@nestjs/common';
import { PersonalData } from '../privacy/personal-data.decorator';
import { RoleRepository } from './role.repository';

/** The access module's part of a person's data export: the roles granted to them. */
@Injectable()
export class GrantPersonalData {
  constructor(private readonly roles: RoleRepository) {}

  @PersonalData({
    file: 'roles.json',
    describes: 'The roles granted to you: which, when, by whom and until when.',
  })
  async grantsOf(userId: string): Promise<unknown> {
    return (await this.roles.grantsOf(userId)).map((grant) => ({
      role_id: grant.roleId,
      role: grant.roleName,
      granted_at: grant.grantedAt,
      granted_by: grant.grantedBy,
      expires_at: grant.expiresAt,
    }));
  }
}
