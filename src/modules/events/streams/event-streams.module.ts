import { Module } from '@nestjs/common';
import { AuthModule } from '../../auth/auth.module';
import { OAuthClientsModule } from '../../clients/oauth-clients.module';
import { MetricsModule } from '../../metrics/metrics.module';
import { EventMetrics } from './event-metrics';
import { EventStreams } from './event-streams.service';
import { EventStreamsController } from './event-streams.controller';
import { RedisStreamPublisher } from './redis-stream-publisher';

/**
 * Published events going out: the SSE stream and the catalogue's schemas over HTTP, the Redis
 * stream and the events' metrics. The outbox's retention is a kind of the retention job
 * (`OutboxRepository.purgePublished`).
 */
@Module({
  imports: [AuthModule, OAuthClientsModule, MetricsModule],
  controllers: [EventStreamsController],
  providers: [EventMetrics, EventStreams, RedisStreamPublisher],
})
export class EventStreamsModule {}
