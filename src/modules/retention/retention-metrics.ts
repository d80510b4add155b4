import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service';

/** Rows purged past their retention, by kind, in the application's registry (`/metrics`). */
@Injectable()
export class RetentionMetrics {
  private readonly purged: Counter<'kind'>;

  constructor(metrics: MetricsService) {
    this.purged = new Counter({
      name: 'gatehouse_retention_purged_rows_total',
      help: 'Rows deleted by the retention job because they were past their retention, by kind',
      labelNames: ['kind'] as const,
      registers: [metrics.registry],
    });
  }

  /** Makes the kind's series exist (at 0) before anything was purged, for alerts and graphs. */
  declare(kind: string): void {
    this.purged.inc({ kind }, 0);
  }

  countPurged(kind: string, rows: number): void {
    if (rows > 0) this.purged.inc({ kind }, rows);
  }
}
