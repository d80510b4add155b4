import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { OAuthClientsController } from './oauth-clients.controller';
import { OAuthClientsRepository } from './oauth-clients.repository';
import { OAuthClientsService } from './oauth-clients.service';

/**
 * Service clients (OAuth 2.0 confidential clients): their records and secrets, and the state that
 * decides whether their access tokens are accepted, and the admin API over them. The OAuth
 * endpoints live in the auth module, which issues the tokens.
 */
@Module({
  imports: [AuditModule],
  controllers: [OAuthClientsController],
  providers: [OAuthClientsRepository, OAuthClientsService],
  exports: [OAuthClientsService],
})
export class OAuthClientsModule {}
