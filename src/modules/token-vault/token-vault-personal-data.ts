import { Injectable } from '@nestjs/common';
import { PersonalData } from '../privacy/personal-data.decorator';
import { toOfflineTokenDto } from './dto/token-vault.dto';
import { TokenVaultRepository } from './token-vault.repository';

/** The token vault's part of a person's data export: their records, never a token. */
@Injectable()
export class TokenVaultPersonalData {
  constructor(private readonly repository: TokenVaultRepository) {}

  @PersonalData({
    file: 'offline-tokens.json',
    describes:
      'The offline tokens you allowed Gatehouse to keep at identity providers: at which provider, for which of your identities there (`subject`) and session, with which scopes, when they were stored, last used, renewed or refused. Never the tokens themselves.',
  })
  async offlineTokensOf(userId: string): Promise<unknown> {
    return (await this.repository.allOf(userId)).map(toOfflineTokenDto);
  }
}
