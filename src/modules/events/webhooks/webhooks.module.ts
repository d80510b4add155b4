import { Module } from '@nestjs/common';
import { MetricsModule } from '../../metrics/metrics.module';
import { WebhookDeliveries } from './webhook-deliveries';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { WebhookFanOut } from './webhook-fan-out';
import { WebhookMetrics } from './webhook-metrics';
import { WebhookSecrets } from './webhook-secrets';
import { WebhookSender } from './webhook-sender';
import { WebhooksController } from './webhooks.controller';

/**
 * Outbound webhooks (Standard Webhooks 1.0): endpoints administered at `/v1/admin/webhooks`,
 * a relay consumer that queues a delivery job per matching (endpoint, event), and the job that
 * signs, sends, logs and retries each attempt.
 */
@Module({
  imports: [MetricsModule],
  controllers: [WebhooksController],
  providers: [
    WebhookEndpointsRepository,
    WebhookDeliveriesRepository,
    WebhookSecrets,
    WebhookSender,
    WebhookMetrics,
    WebhookDeliveries,
    WebhookFanOut,
    WebhookEndpointsService,
  ],
})
export class WebhooksModule {}
