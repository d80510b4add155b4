import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { AccessChangeRecorder } from './access-change-recorder';
import { AccessService } from './access.service';
import { PoliciesService } from './policies.service';
import { GrantPersonalData } from './grant-personal-data';
import { PolicyRepository } from './policy.repository';
import { PolicySetRepository } from './policy-set.repository';
import { RoleRepository } from './role.repository';
import { RolesService } from './roles.service';
import { UserRolesService } from './user-roles.service';

/**
 * Roles, grants and policies: the data the decision engine compiles. Every change bumps the
 * policy-set version and is told as an event (`role.*`, `policy.*`, `user.role.*`). The admin
 * API over them is AccessApiModule's, so that tools (the CLI) can use this without HTTP.
 */
@Module({
  imports: [UsersModule],
  providers: [
    RoleRepository,
    PolicyRepository,
    PolicySetRepository,
    AccessChangeRecorder,
    RolesService,
    UserRolesService,
    PoliciesService,
    AccessService,
    GrantPersonalData,
  ],
  exports: [AccessService, RolesService, UserRolesService, PoliciesService],
})
export class AccessModule {}
