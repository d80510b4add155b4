import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { MetricsService } from '../../metrics/metrics.service';

/** How provider events and syncs are going, at `/metrics`. */
@Injectable()
export class SyncMetrics {
  private readonly latency: Histogram<'provider_kind' | 'trigger'>;
  private readonly processing: Histogram<'provider_kind'>;
  private readonly processed: Counter<'provider_kind' | 'outcome'>;
  private readonly usersSynced: Counter<'provider_kind' | 'trigger'>;

  constructor(metrics: MetricsService) {
    const registers = [metrics.registry];
    this.latency = new Histogram({
      name: 'profile_sync_latency_seconds',
      help: "From the provider's event time to the local commit of its change",
      labelNames: ['provider_kind', 'trigger'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.processing = new Histogram({
      name: 'webhook_processing_time_seconds',
      help: "From a provider webhook event's acknowledgement to the end of its processing",
      labelNames: ['provider_kind'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.processed = new Counter({
      name: 'identity_provider_events_processed_total',
      help: 'Provider webhook events processed, by outcome',
      labelNames: ['provider_kind', 'outcome'],
      registers,
    });
    this.usersSynced = new Counter({
      name: 'identity_provider_users_synced_total',
      help: 'Linked users brought to their state at the provider, by what asked for it',
      labelNames: ['provider_kind', 'trigger'],
      registers,
    });
  }

  eventProcessed(kind: string, outcome: string, occurredAt: Date, receivedAt: Date): void {
    const now = Date.now();
    this.processed.inc({ provider_kind: kind, outcome });
    this.processing.observe(
      { provider_kind: kind },
      Math.max(0, now - receivedAt.getTime()) / 1000,
    );
    if (outcome === 'updated') {
      this.latency.observe(
        { provider_kind: kind, trigger: 'webhook' },
        Math.max(0, now - occurredAt.getTime()) / 1000,
      );
    }
  }

  userSynced(kind: string, trigger: 'webhook' | 'user' | 'full', count = 1): void {
    if (count > 0) this.usersSynced.inc({ provider_kind: kind, trigger }, count);
  }
}
