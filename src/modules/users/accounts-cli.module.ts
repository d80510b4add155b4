import { DynamicModule, Global, Module } from '@nestjs/common';
import { PasswordHasher } from '../../common/crypto/password-hasher';
import { PasswordPolicy } from '../../common/crypto/password-policy';
import { RedisModule } from '../../common/redis/redis.module';
import { ThrottleModule } from '../../common/throttle/throttle.module';
import { AppConfig } from '../../config/app-config';
import { ConfigModule } from '../../config/config.module';
import { DatabaseModule } from '../../database/database.module';
import { AccessModule } from '../access/access.module';
import { AuditModule } from '../audit/audit.module';
import { UsersModule } from './users.module';

/**
 * What account commands of the CLI need, without HTTP, metrics or the signing-key schedule,
 * and without the envelope cipher: the CLI never creates a master key as a side effect.
 */
@Global()
@Module({})
export class AccountsCliModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: AccountsCliModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(databaseUrl),
        RedisModule,
        ThrottleModule,
        AuditModule,
        UsersModule,
        AccessModule,
      ],
      providers: [PasswordHasher, PasswordPolicy],
      exports: [PasswordHasher, PasswordPolicy],
    };
  }
}
