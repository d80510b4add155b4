import { Module } from '@nestjs/common';
import { OAuthClientsController } from './oauth-clients.controller';
import { OAuthClientsModule } from './oauth-clients.module';

/**
 * The admin API of service clients (`/v1/admin/clients`). Its routes need the authorization
 * module's guard and delegation limits, which the application provides globally.
 */
@Module({
  imports: [OAuthClientsModule],
  controllers: [OAuthClientsController],
})
export class OAuthClientsApiModule {}
