import { Module } from '@nestjs/common';
import { AuthModule } from '../../auth/auth.module';
import { OAuthClientsModule } from '../../clients/oauth-clients.module';
import { MetricsModule } from '../../metrics/metrics.module';
import { EventMetrics } from './event-metrics';
import { EventStreams } from './event-streams.service';
import { EventStreamsController } from './event-streams.controller';
import { OutboxRetention } from './outbox-retention';
import { RedisStreamPublisher } from './redis-stream-publisher';

/**
 * Published events going out: the SSE stream and the catalogue's schemas over HTTP, the Redis
 * stream, the events' metrics, and the outbox's retention.
 */
@Module({
  imports: [AuthModule, OAuthClientsModule, MetricsModule],
  controllers: [EventStreamsController],
  providers: [EventMetrics, EventStreams, RedisStreamPublisher, OutboxRetention],
})
export class EventStreamsModule {}
