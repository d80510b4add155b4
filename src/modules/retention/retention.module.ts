import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { MetricsModule } from '../metrics/metrics.module';
import { RetentionKinds } from './retention-kinds';
import { RetentionMetrics } from './retention-metrics';
import { RetentionPurge } from './retention-purge';

/**
 * Retention: every module marks the repository method that purges a kind of its rows with
 * `@PurgesExpired`; this module finds them and runs them all from one scheduled job.
 */
@Module({
  imports: [DiscoveryModule, MetricsModule],
  providers: [RetentionKinds, RetentionMetrics, RetentionPurge],
})
export class RetentionModule {}
