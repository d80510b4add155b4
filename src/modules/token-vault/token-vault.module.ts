import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { FederationModule } from '../federation/federation.module';
import { OfflineTokenDirectory } from './offline-token-directory';
import { OfflineTokenLeases } from './offline-token-leases';
import { OfflineTokenUse } from './offline-token-use.service';
import { OfflineTokenVault } from './offline-token-vault';
import { ProviderCalls } from './provider-calls';
import { TokenVaultController } from './token-vault.controller';
import { TokenVaultErasure } from './token-vault-erasure';
import { TokenVaultPersonalData } from './token-vault-personal-data';
import { TokenVaultRepository } from './token-vault.repository';
import { TokenVaultService } from './token-vault.service';

/**
 * Users' offline tokens at the identity providers of the federation module: consent, storage
 * (sealed), access tokens for the owner and for sibling services, revocation. It gives the
 * decision point the attributes of `offline_token` resources (OfflineTokenDirectory). An erased
 * person's records go with them, revoked at their providers afterwards (TokenVaultErasure).
 */
@Module({
  imports: [AuthModule, FederationModule],
  controllers: [TokenVaultController],
  providers: [
    TokenVaultRepository,
    OfflineTokenVault,
    OfflineTokenLeases,
    ProviderCalls,
    TokenVaultService,
    OfflineTokenUse,
    OfflineTokenDirectory,
    TokenVaultPersonalData,
    TokenVaultErasure,
  ],
})
export class TokenVaultModule {}
