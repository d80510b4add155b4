import { ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { DomainEvents } from '../src/modules/events/domain-events.service';
import { WebhookEndpointsService } from '../src/modules/events/webhooks/webhook-endpoints.service';
import type { Benchmark } from './benchmark';
import { againstTarget, renderSection } from './results-file';
import { BENCH_ACTOR } from './service-clients';
import { percentile } from './statistics';

const THROUGHPUT_EVENTS = 5_000;
const TARGET_THROUGHPUT = 1_000;
const LATENCY_RATE = 200;
const LATENCY_SECONDS = 15;
const TARGET_P50_MS = 50;
const TARGET_P99_MS = 250;
const OUTAGE_EVENTS = 10_000;
const OUTAGE_MS = 60_000;
/** Events emitted at once while a burst is emitted as fast as the database takes them. */
const EMIT_WAVE = 250;
const DRAIN_TIMEOUT_MS = 15 * 60_000;

const now = () => performance.timeOrigin + performance.now();

/** A loopback port free now, for a receiver that must come back on the same one. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The receiver process, and every arrival it reported. */
class Receiver {
  /** First arrival of each event id. */
  readonly firstArrival = new Map<string, number>();
  posts = 0;
  private readonly child: ChildProcess;
  private waiting: { done: () => boolean; resolve: () => void }[] = [];

  constructor(readonly port: number) {
    this.child = fork(join(__dirname, 'webhook-receiver.js'), [], { stdio: 'inherit' });
    this.child.on('message', (message: { arrivals?: [string, number][] }) => {
      for (const [id, at] of message.arrivals ?? []) {
        this.posts++;
        if (!this.firstArrival.has(id)) this.firstArrival.set(id, at);
      }
      this.check();
    });
  }

  listen(): Promise<void> {
    return this.command({ command: 'listen', port: this.port }, 'listening');
  }

  close(): Promise<void> {
    return this.command({ command: 'close' }, 'closed');
  }

  /** Resolves once every id has arrived, or rejects after `timeoutMs`. */
  async allArrived(ids: string[], timeoutMs: number): Promise<void> {
    const done = () => ids.every((id) => this.firstArrival.has(id));
    if (done()) return;
    const arrived = new Promise<void>((resolve) => this.waiting.push({ done, resolve }));
    const giveUp = new AbortController();
    const timer = sleep(timeoutMs, undefined, { signal: giveUp.signal }).then(() => {
      const missing = ids.filter((id) => !this.firstArrival.has(id)).length;
      throw new Error(`${missing} of ${ids.length} events never arrived`);
    });
    try {
      await Promise.race([arrived, timer]);
    } finally {
      // A pending timer would keep the process (and the run) alive until it fires.
      giveUp.abort();
      timer.catch(() => undefined);
    }
  }

  stop(): void {
    this.child.kill();
  }

  private check(): void {
    this.waiting = this.waiting.filter(({ done, resolve }) => (done() ? (resolve(), false) : true));
  }

  private command(message: object, answer: string): Promise<void> {
    return new Promise((resolve) => {
      const listener = (reply: Record<string, unknown>) => {
        if (!(answer in reply)) return;
        this.child.off('message', listener);
        resolve();
      };
      this.child.on('message', listener);
      this.child.send(message);
    });
  }
}

interface Emitted {
  id: string;
  /** When `emit` resolved: the event's transaction had committed. */
  committedAt: number;
}

export const webhookDeliveryBenchmark: Benchmark = {
  id: 'webhook-delivery',
  // Three scenarios, the last with a minute's outage and its drain: about 4 minutes in all.
  targets: 20,
  async run({ gatehouse, progress }) {
    const app = await gatehouse();
    const events = app.app.get(DomainEvents);
    const database = app.app.get(DataSource);
    const receiver = new Receiver(await freePort());
    try {
      await receiver.listen();
      const { endpoint } = await app.app.get(WebhookEndpointsService).create(
        {
          url: `http://127.0.0.1:${receiver.port}/hooks`,
          description: 'delivery benchmark',
          eventTypes: ['user.preferences.updated'],
          enabled: true,
        },
        BENCH_ACTOR,
      );

      const emit = async (): Promise<Emitted> => {
        const event = await events.emit(
          'user.preferences.updated',
          { user_id: randomUUID(), changed_fields: ['theme'] },
          { actor: BENCH_ACTOR },
        );
        return { id: event.id, committedAt: now() };
      };
      const burst = async (count: number): Promise<Emitted[]> => {
        const emitted: Emitted[] = [];
        for (let sent = 0; sent < count; sent += EMIT_WAVE) {
          const wave = Math.min(EMIT_WAVE, count - sent);
          emitted.push(...(await Promise.all(Array.from({ length: wave }, emit))));
        }
        return emitted;
      };

      progress(`warming up: 500 events`);
      const warm = await burst(500);
      await receiver.allArrived(
        warm.map((e) => e.id),
        60_000,
      );

      progress(`throughput: ${THROUGHPUT_EVENTS} events as fast as they commit`);
      const throughputStart = now();
      const flood = await burst(THROUGHPUT_EVENTS);
      const emitSeconds = (now() - throughputStart) / 1000;
      await receiver.allArrived(
        flood.map((e) => e.id),
        DRAIN_TIMEOUT_MS,
      );
      const lastArrival = Math.max(...flood.map((e) => receiver.firstArrival.get(e.id)!));
      const throughputSeconds = (lastArrival - throughputStart) / 1000;
      const throughput = THROUGHPUT_EVENTS / throughputSeconds;
      progress(
        `throughput: ${throughput.toFixed(0)} events/s (emitting took ${emitSeconds.toFixed(2)} s)`,
      );

      progress(`latency: ${LATENCY_RATE} events/s for ${LATENCY_SECONDS} s`);
      const paced: Promise<Emitted>[] = [];
      const pacedStart = now();
      const total = LATENCY_RATE * LATENCY_SECONDS;
      for (let i = 0; i < total; i++) {
        const due = pacedStart + (i * 1000) / LATENCY_RATE;
        const wait = due - now();
        if (wait > 1) await sleep(wait);
        paced.push(emit());
      }
      const pacedEvents = await Promise.all(paced);
      await receiver.allArrived(
        pacedEvents.map((e) => e.id),
        DRAIN_TIMEOUT_MS,
      );
      const latencies = pacedEvents
        .map((e) => receiver.firstArrival.get(e.id)! - e.committedAt)
        .sort((a, b) => a - b);
      progress(`latency: all ${total} arrived`);
      const [p50, p99, max] = [
        percentile(latencies, 50),
        percentile(latencies, 99),
        latencies[latencies.length - 1],
      ];

      progress(`outage: ${OUTAGE_EVENTS} events, the receiver down for the first minute`);
      const postsBefore = receiver.posts;
      await receiver.close();
      const outageStart = now();
      const during = await burst(OUTAGE_EVENTS);
      const outageEmitSeconds = (now() - outageStart) / 1000;
      await sleep(Math.max(0, OUTAGE_MS - (now() - outageStart)));
      const [{ failed }] = await database.query<{ failed: string }[]>(
        `SELECT count(*) AS failed FROM webhook_deliveries
          WHERE endpoint_id = $1 AND outcome <> 'success' AND attempted_at >= to_timestamp($2 / 1000.0)`,
        [endpoint.id, outageStart],
      );
      const reopened = now();
      await receiver.listen();
      await receiver.allArrived(
        during.map((e) => e.id),
        DRAIN_TIMEOUT_MS,
      );
      const drained = Math.max(...during.map((e) => receiver.firstArrival.get(e.id)!));
      const drainSeconds = (drained - reopened) / 1000;
      const duplicates = receiver.posts - postsBefore - OUTAGE_EVENTS;

      const ms = (value: number) => value.toFixed(1);
      return renderSection({
        title: 'Webhook delivery: committed events to a loopback receiver',
        description:
          'Events emitted in process (`user.preferences.updated`, each its own transaction, as ' +
          'a request would commit it) travel the whole way a real one does: the outbox row, the ' +
          'relay job that publishes it, the fan-out that queues one delivery job per matching ' +
          'endpoint, and the delivery job that signs it (Standard Webhooks) and POSTs it to a ' +
          'receiver in a process of its own on loopback, which answers 204 and notes when each ' +
          '`webhook-id` arrived. Latency runs from the moment `emit` resolved (the transaction ' +
          'committed) to the arrival. The outage scenario closes the receiver (connections ' +
          'refused), emits the burst, reopens it a minute later and waits for the last event; ' +
          'what the retries cost while it was down is in the delivery log.',
        settings:
          `warm-up of 500 events; throughput: ${THROUGHPUT_EVENTS} events emitted ` +
          `${EMIT_WAVE} at a time; latency: ${LATENCY_RATE} events/s for ${LATENCY_SECONDS} s; ` +
          `outage: ${OUTAGE_EVENTS} events, receiver down ${OUTAGE_MS / 1000} s; retries from ` +
          `${app.config.webhooks.retry.initialDelaySeconds} s doubling (±20 %) to ` +
          `${app.config.webhooks.retry.maxDelaySeconds} s; database: ${app.database}.`,
        table: [
          '| scenario | events | figure |',
          '| --- | ---: | --- |',
          `| throughput | ${THROUGHPUT_EVENTS} | ${throughput.toFixed(0)} events/s delivered ` +
            `(first emit to last arrival ${throughputSeconds.toFixed(2)} s; emitting alone took ` +
            `${emitSeconds.toFixed(2)} s) |`,
          `| latency at ${LATENCY_RATE}/s | ${total} | commit → arrival p50 ${ms(p50)} ms, ` +
            `p99 ${ms(p99)} ms, max ${ms(max)} ms |`,
          `| receiver down ${OUTAGE_MS / 1000} s | ${OUTAGE_EVENTS} | all ${OUTAGE_EVENTS} ` +
            `delivered, none lost; drained ${drainSeconds.toFixed(1)} s after the receiver ` +
            `came back; ${Number(failed)} failed attempts logged while down; ` +
            `${duplicates} duplicate deliveries; emitting took ${outageEmitSeconds.toFixed(1)} s |`,
        ].join('\n'),
        notes: [
          againstTarget(
            `≥ ${TARGET_THROUGHPUT} events/s`,
            `${throughput.toFixed(0)} events/s`,
            throughput >= TARGET_THROUGHPUT,
          ),
          againstTarget(
            `p50 ≤ ${TARGET_P50_MS} ms and p99 ≤ ${TARGET_P99_MS} ms at ${LATENCY_RATE} events/s`,
            `p50 ${ms(p50)} ms, p99 ${ms(p99)} ms`,
            p50 <= TARGET_P50_MS && p99 <= TARGET_P99_MS,
          ),
        ],
      });
    } finally {
      receiver.stop();
    }
  },
};
