import { Injectable, Logger } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { uuidV7Time } from '../../../common/ids/uuid-v7';
import { MetricsService } from '../../metrics/metrics.service';
import { JobQueue } from '../jobs/job-queue.service';
import { OutboxRepository } from '../outbox.repository';

/**
 * The events' metrics in the application's registry. The outbox lag and the queue depths are
 * read from the database when scraped (two indexed reads), so they are as fresh as the scrape;
 * a read that fails leaves the last values and is logged.
 */
@Injectable()
export class EventMetrics {
  private readonly logger = new Logger(EventMetrics.name);
  private readonly openStreams: Gauge;
  private readonly streamed: Counter<'type'>;

  constructor(metrics: MetricsService, outbox: OutboxRepository, jobs: JobQueue) {
    const registers = [metrics.registry];
    const warn = (what: string, error: unknown) =>
      this.logger.warn(`Could not read ${what} for the metrics: ${(error as Error).message}`);

    new Gauge({
      name: 'gatehouse_outbox_lag_seconds',
      help: 'Age of the oldest event not yet published (0 when every event is published)',
      registers,
      async collect() {
        try {
          const id = await outbox.oldestUnpublishedId();
          const emittedMs = id === null ? null : uuidV7Time(id);
          this.set(emittedMs === null ? 0 : Math.max(0, (Date.now() - emittedMs) / 1000));
        } catch (error) {
          warn('the outbox lag', error);
        }
      },
    });

    new Gauge({
      name: 'gatehouse_job_queue_depth',
      help: 'Jobs in each queue by state: ready to run, deferred (a retry backoff, a schedule), active',
      labelNames: ['queue', 'state'] as const,
      registers,
      async collect() {
        try {
          for (const depth of await jobs.depths()) {
            this.set({ queue: depth.queue, state: 'ready' }, depth.ready);
            this.set({ queue: depth.queue, state: 'deferred' }, depth.deferred);
            this.set({ queue: depth.queue, state: 'active' }, depth.active);
          }
        } catch (error) {
          warn('the job queue depths', error);
        }
      },
    });

    this.openStreams = new Gauge({
      name: 'gatehouse_event_streams_open',
      help: 'Server-Sent Events streams open on this instance',
      registers,
    });

    this.streamed = new Counter({
      name: 'gatehouse_events_streamed_total',
      help: 'Events sent to Server-Sent Events clients, by type',
      labelNames: ['type'] as const,
      registers,
    });
  }

  streamOpened(): void {
    this.openStreams.inc();
  }

  streamClosed(): void {
    this.openStreams.dec();
  }

  eventStreamed(type: string): void {
    this.streamed.inc({ type });
  }
}
