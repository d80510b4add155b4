import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessModule } from '../access/access.module';
import { OAuthClientsModule } from '../clients/oauth-clients.module';
import { MfaModule } from '../mfa/mfa.module';
import { UsersModule } from '../users/users.module';
import { AccessTokenGuard } from './access-token.guard';
import { AccountRequests } from './account-requests';
import { AccessTokenService } from './access-token.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { DiscoveryController } from './discovery.controller';
import { JwksController } from './jwks.controller';
import { KnownSignInRepository } from './known-sign-in.repository';
import { LoginRepository } from './login.repository';
import { MfaRequiredRolesCheck } from './mfa-required-roles.check';
import { OAuthController } from './oauth.controller';
import { OAuthService } from './oauth.service';
import { SecondFactorRemovalController } from './second-factor-removal.controller';
import { SecondFactorService } from './second-factor.service';
import { SessionPersonalData } from './session-personal-data';
import { SessionRepository } from './session.repository';
import { SessionService } from './session.service';
import { SignInAnomalies } from './sign-in-anomalies';
import { SigningKeyRepository } from './signing-key.repository';
import { SigningKeyService } from './signing-key.service';

/**
 * Accounts' authentication: login, sessions and tokens, the password flows, signing keys and the
 * OAuth endpoints of service clients. It owns every flow that combines a second factor with a
 * session (SecondFactorService: the second step of a login, enrolling during one, step-up,
 * removing a factor and the administrators' reset), and uses the mfa module for the factors
 * themselves; the mfa module never imports this one.
 */
@Module({
  imports: [UsersModule, OAuthClientsModule, MfaModule, AccessModule],
  controllers: [
    AuthController,
    JwksController,
    DiscoveryController,
    OAuthController,
    SecondFactorRemovalController,
  ],
  providers: [
    SigningKeyRepository,
    SigningKeyService,
    AccessTokenService,
    SessionRepository,
    SessionService,
    LoginRepository,
    AuthService,
    AccountRequests,
    OAuthService,
    SecondFactorService,
    KnownSignInRepository,
    SignInAnomalies,
    MfaRequiredRolesCheck,
    SessionPersonalData,
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
