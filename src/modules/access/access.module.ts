import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { UsersModule } from '../users/users.module';
import { AccessChangeRecorder } from './access-change-recorder';
import { AccessChanges } from './access-changes';
import { AccessService } from './access.service';
import { PoliciesService } from './policies.service';
import { PolicyRepository } from './policy.repository';
import { PolicySetRepository } from './policy-set.repository';
import { RoleRepository } from './role.repository';
import { RolesService } from './roles.service';
import { UserRolesService } from './user-roles.service';

/**
 * Roles, grants and policies: the data the decision engine compiles. Every change bumps the
 * policy-set version, is audited and is announced (NOTIFY, then `AccessChanges`). The admin
 * API over them is AccessApiModule's, so that tools (the CLI) can use this without HTTP.
 */
@Module({
  imports: [UsersModule, AuditModule],
  providers: [
    RoleRepository,
    PolicyRepository,
    PolicySetRepository,
    AccessChanges,
    AccessChangeRecorder,
    RolesService,
    UserRolesService,
    PoliciesService,
    AccessService,
  ],
  exports: [AccessService, AccessChanges, RolesService, UserRolesService, PoliciesService],
})
export class AccessModule {}
