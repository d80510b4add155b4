import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessModule } from '../access/access.module';
import { AuditModule } from '../audit/audit.module';
import { OAuthClientsModule } from '../clients/oauth-clients.module';
import { MailModule } from '../mail/mail.module';
import { MfaModule } from '../mfa/mfa.module';
import { UsersModule } from '../users/users.module';
import { AccessTokenGuard } from './access-token.guard';
import { AccessTokenService } from './access-token.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { DiscoveryController } from './discovery.controller';
import { JwksController } from './jwks.controller';
import { LoginRepository } from './login.repository';
import { OAuthController } from './oauth.controller';
import { OAuthService } from './oauth.service';
import { SecondFactorService } from './second-factor.service';
import { SessionRepository } from './session.repository';
import { SessionService } from './session.service';
import { SigningKeyRepository } from './signing-key.repository';
import { SigningKeyService } from './signing-key.service';

@Module({
  imports: [UsersModule, AuditModule, MailModule, OAuthClientsModule, MfaModule, AccessModule],
  controllers: [AuthController, JwksController, DiscoveryController, OAuthController],
  providers: [
    SigningKeyRepository,
    SigningKeyService,
    AccessTokenService,
    SessionRepository,
    SessionService,
    LoginRepository,
    AuthService,
    OAuthService,
    SecondFactorService,
    { provide: APP_GUARD, useClass: AccessTokenGuard },
  ],
  exports: [
    SigningKeyService,
    AccessTokenService,
    SessionService,
    AuthService,
    SecondFactorService,
  ],
})
export class AuthModule {}
