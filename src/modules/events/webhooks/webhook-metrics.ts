import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsService } from '../../metrics/metrics.service';
import { DeliveryOutcome } from './webhook-delivery.entity';

/** Webhook delivery attempts, by outcome, in the application's registry (`/metrics`). */
@Injectable()
export class WebhookMetrics {
  private readonly deliveries: Counter<'outcome'>;

  constructor(metrics: MetricsService) {
    this.deliveries = new Counter({
      name: 'gatehouse_webhook_deliveries_total',
      help: 'Webhook delivery attempts, by outcome: success, retrying (failed, to be retried) or failed (for good)',
      labelNames: ['outcome'] as const,
      registers: [metrics.registry],
    });
  }

  countAttempt(outcome: DeliveryOutcome): void {
    this.deliveries.inc({ outcome });
  }
}
