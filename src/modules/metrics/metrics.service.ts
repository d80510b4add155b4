import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Label for requests that matched no route: raw URLs would explode the series count. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Prometheus metrics for this application instance. The registry is per instance (not
 * prom-client's global one) so that several apps in one process, as in tests, stay apart.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();

  private readonly httpDuration = new Histogram({
    name: 'http_server_requests_seconds',
    help: 'HTTP requests served, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly authzDecisions = new Counter({
    name: 'gatehouse_authz_decisions_total',
    help: 'Authorization decisions made by the policy engine, by outcome',
    labelNames: ['decision'] as const,
    registers: [this.registry],
  });

  constructor(private readonly adapterHost: HttpAdapterHost) {
    collectDefaultMetrics({ register: this.registry });
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onResponse', (request, reply, done) => {
      this.httpDuration.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? UNMATCHED_ROUTE,
          status: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
      done();
    });
  }

  /** Counts `count` decisions with one outcome: a batch counts its decisions together. */
  countDecisions(decision: 'allow' | 'deny', count: number): void {
    if (count > 0) this.authzDecisions.inc({ decision }, count);
  }
}
