import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { FederationModule } from '../federation/federation.module';
import { HealthController } from './health.controller';
import { ProviderHealthController } from './provider-health.controller';
import { RedisHealthIndicator } from './redis.health';

@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' }), FederationModule],
  controllers: [HealthController, ProviderHealthController],
  providers: [RedisHealthIndicator],
})
export class HealthModule {}
