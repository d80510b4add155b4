import { Global, Logger, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { EnvelopeCipher } from './envelope-cipher';
import { loadMasterKey } from './master-key';
import { PasswordHasher } from './password-hasher';
import { PasswordPolicy } from './password-policy';

@Global()
@Module({
  providers: [
    {
      provide: EnvelopeCipher,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new EnvelopeCipher(
          loadMasterKey(config, (m) => new Logger('MasterKey').warn(m)),
          config.crypto.previousMasterKeys,
        ),
    },
    PasswordHasher,
    PasswordPolicy,
  ],
  exports: [EnvelopeCipher, PasswordHasher, PasswordPolicy],
})
export class CryptoModule {}
