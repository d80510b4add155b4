import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessModule } from '../access/access.module';
import { OAuthClientsModule } from '../clients/oauth-clients.module';
import { MetricsModule } from '../metrics/metrics.module';
import { UsersModule } from '../users/users.module';
import { DelegationLimits } from '../../common/auth/delegation-limits';
import { AuthzController } from './authz.controller';
import { EngineDelegationLimits } from './engine-delegation-limits';
import { AuthzService } from './authz.service';
import { PermissionGuard } from './permission.guard';
import { PolicyEngine } from './policy-engine.service';
import { ResourceDirectory } from './resource-directory';
import { SubjectDirectory } from './subject-directory';

/**
 * The decision point. Its guard is registered after the auth module's access-token guard
 * (AppModule imports AuthModule first), so it always sees an authenticated caller. Global, so
 * that the modules whose data it decides with can take DelegationLimits without a cycle.
 */
@Global()
@Module({
  imports: [AccessModule, UsersModule, OAuthClientsModule, MetricsModule],
  controllers: [AuthzController],
  providers: [
    PolicyEngine,
    SubjectDirectory,
    ResourceDirectory,
    AuthzService,
    { provide: APP_GUARD, useClass: PermissionGuard },
    { provide: DelegationLimits, useClass: EngineDelegationLimits },
  ],
  exports: [AuthzService, PolicyEngine, DelegationLimits, ResourceDirectory],
})
export class AuthzModule {}
