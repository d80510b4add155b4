import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { PlannedRequest } from './connection-plan';

/** What the worker is asked to send: `requests` in turn, `rate` a second, for `seconds`. */
interface OpenLoop {
  baseUrl: string;
  requests: PlannedRequest[];
  rate: number;
  seconds: number;
}

/**
 * Sends requests at a fixed rate whatever the answers' pace (an open loop: a slow server meets
 * the same arrivals, and its queueing shows in the latencies), from a worker thread so that the
 * client does not share the server's event loop. Answers each request's latency in ms, sorted;
 * any answer but a 2xx fails the run.
 */
export function openLoop(load: OpenLoop): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: load });
    worker.once('message', (message: { latencies?: number[]; error?: string }) => {
      if (message.error !== undefined) reject(new Error(message.error));
      else resolve(message.latencies!);
    });
    worker.once('error', reject);
  });
}

async function send({ baseUrl, requests, rate, seconds }: OpenLoop): Promise<number[]> {
  const total = rate * seconds;
  const started = performance.now();
  const latencies: Promise<number>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((done) => setTimeout(done, wait));
    const { method, path, headers, body } = requests[i % requests.length];
    const sent = performance.now();
    latencies.push(
      fetch(`${baseUrl}${path}`, { method, headers, body }).then(async (response) => {
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
        return performance.now() - sent;
      }),
    );
  }
  return (await Promise.all(latencies)).sort((a, b) => a - b);
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  send(workerData as OpenLoop).then(
    (latencies) => port.postMessage({ latencies }),
    (error: unknown) =>
      port.postMessage({ error: error instanceof Error ? error.message : String(error) }),
  );
}
