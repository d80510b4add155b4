import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessModule } from '../access/access.module';
import { OAuthClientsModule } from '../clients/oauth-clients.module';
import { MetricsModule } from '../metrics/metrics.module';
import { UsersModule } from '../users/users.module';
import { AuthzController } from './authz.controller';
import { AuthzService } from './authz.service';
import { PermissionGuard } from './permission.guard';
import { PolicyEngine } from './policy-engine.service';
import { SubjectDirectory } from './subject-directory';

/**
 * The decision point. Its guard is registered after the auth module's access-token guard
 * (AppModule imports AuthModule first), so it always sees an authenticated caller.
 */
@Module({
  imports: [AccessModule, UsersModule, OAuthClientsModule, MetricsModule],
  controllers: [AuthzController],
  providers: [
    PolicyEngine,
    SubjectDirectory,
    AuthzService,
    { provide: APP_GUARD, useClass: PermissionGuard },
  ],
  exports: [AuthzService, PolicyEngine],
})
export class AuthzModule {}
