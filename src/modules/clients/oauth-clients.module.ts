import { Module } from '@nestjs/common';
import { OAuthClientsRepository } from './oauth-clients.repository';
import { OAuthClientsService } from './oauth-clients.service';

/**
 * Service clients (OAuth 2.0 confidential clients): their records and secrets, and the state that
 * decides whether their access tokens are accepted. The admin API over them is
 * OAuthClientsApiModule's; the OAuth endpoints live in the auth module, which issues the tokens.
 */
@Module({
  providers: [OAuthClientsRepository, OAuthClientsService],
  exports: [OAuthClientsService],
})
export class OAuthClientsModule {}
