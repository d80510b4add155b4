import { DynamicModule, Global, Module } from '@nestjs/common';
import { PasswordHasher } from '../../common/crypto/password-hasher';
import { PasswordPolicy } from '../../common/crypto/password-policy';
import { RedisModule } from '../../common/redis/redis.module';
import { ThrottleModule } from '../../common/throttle/throttle.module';
import { AppConfig } from '../../config/app-config';
import { ConfigModule } from '../../config/config.module';
import { DatabaseEndpoint } from '../../database/database-endpoint';
import { DatabaseModule } from '../../database/database.module';
import { AccessModule } from '../access/access.module';
import { AuditModule } from '../audit/audit.module';
import { EventsModule } from '../events/events.module';
import { UsersModule } from './users.module';

/**
 * What account commands of the CLI need, without HTTP, metrics or the signing-key schedule,
 * and without the envelope cipher: the CLI never creates a master key as a side effect. Its
 * changes are events like any other, published by the running service.
 */
@Global()
@Module({})
export class AccountsCliModule {
  static forRoot(config: AppConfig, database: DatabaseEndpoint): DynamicModule {
    return {
      module: AccountsCliModule,
      imports: [
        // A command queues jobs (the relay of its events) but works none: the service does.
        ConfigModule.forRoot({ ...config, jobs: { ...config.jobs, inProcess: false } }),
        DatabaseModule.forRoot(database.url, database.embedded?.db ?? null),
        RedisModule,
        ThrottleModule,
        EventsModule,
        AuditModule,
        UsersModule,
        AccessModule,
      ],
      providers: [PasswordHasher, PasswordPolicy],
      exports: [PasswordHasher, PasswordPolicy],
    };
  }
}
