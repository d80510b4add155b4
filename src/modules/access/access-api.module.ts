import { Module } from '@nestjs/common';
import { AccessModule } from './access.module';
import { PoliciesController } from './policies.controller';
import { RolesController } from './roles.controller';
import { UserRolesController } from './user-roles.controller';

/**
 * The admin API of roles, grants and policies. Its routes need the authorization module's
 * guard and delegation limits, which the application provides globally.
 */
@Module({
  imports: [AccessModule],
  controllers: [RolesController, UserRolesController, PoliciesController],
})
export class AccessApiModule {}
