import type { Worker } from 'node:cluster';
import { MemoryThrottleStore, ThrottleStore } from './throttle-store';

const MESSAGE = 'gatehouse:throttle';

const OPERATIONS = ['increment', 'charge', 'refund', 'delete'] as const;
type Operation = (typeof OPERATIONS)[number];

interface Request {
  type: typeof MESSAGE;
  id: number;
  operation: Operation;
  args: unknown[];
}

interface Reply {
  type: typeof MESSAGE;
  id: number;
  result?: unknown;
  error?: string;
}

function isMessage<T extends Request | Reply>(message: unknown): message is T {
  return (message as { type?: unknown } | null)?.type === MESSAGE;
}

/** The IPC channel of a cluster worker to its primary (`process.send`, `process.on`). */
export interface PrimaryChannel {
  send(message: Request): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

/**
 * A cluster worker's counters, kept by the primary: every worker of one service counts the
 * same attempts, as if they were one process. Used when there is no Redis (with Redis, this is
 * what the workers fall back to while it is unreachable). A worker outlives no primary: the
 * cluster ends a worker whose primary is gone, so no call waits forever.
 */
export class ClusterThrottleStore implements ThrottleStore {
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve(v: unknown): void; reject(e: Error): void }
  >();

  constructor(private readonly primary: PrimaryChannel) {
    primary.on('message', (message) => {
      if (!isMessage<Reply>(message)) return;
      const call = this.waiting.get(message.id);
      if (!call) return;
      this.waiting.delete(message.id);
      if (message.error !== undefined) call.reject(new Error(message.error));
      else call.resolve(message.result);
    });
  }

  increment(...args: Parameters<ThrottleStore['increment']>) {
    return this.call('increment', args) as ReturnType<ThrottleStore['increment']>;
  }

  charge(...args: Parameters<ThrottleStore['charge']>) {
    return this.call('charge', args) as ReturnType<ThrottleStore['charge']>;
  }

  refund(...args: Parameters<ThrottleStore['refund']>) {
    return this.call('refund', args) as ReturnType<ThrottleStore['refund']>;
  }

  delete(...args: Parameters<ThrottleStore['delete']>) {
    return this.call('delete', args) as ReturnType<ThrottleStore['delete']>;
  }

  private call(operation: Operation, args: unknown[]): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.primary.send({ type: MESSAGE, id, operation, args });
    });
  }
}

/** This worker's channel to its primary (only a cluster worker has one). */
export function primaryChannel(): PrimaryChannel {
  const send = process.send?.bind(process);
  if (!send) throw new Error('not a cluster worker: no channel to a primary');
  return { send, on: (event, listener) => process.on(event, listener) };
}

/** The primary's side: one in-process store answering every worker's calls. */
export function serveThrottleStore(store = new MemoryThrottleStore()) {
  return (worker: Worker, message: unknown): void => {
    if (!isMessage<Request>(message) || !OPERATIONS.includes(message.operation)) return;
    const { id, operation, args } = message;
    perform(store, operation, args).then(
      (result) =>
        worker.isConnected() && worker.send({ type: MESSAGE, id, result } satisfies Reply),
      (error: Error) =>
        worker.isConnected() &&
        worker.send({ type: MESSAGE, id, error: error.message } satisfies Reply),
    );
  };
}

function perform(store: ThrottleStore, operation: Operation, args: unknown[]): Promise<unknown> {
  switch (operation) {
    case 'increment':
      return store.increment(...(args as Parameters<ThrottleStore['increment']>));
    case 'charge':
      return store.charge(...(args as Parameters<ThrottleStore['charge']>));
    case 'refund':
      return store.refund(...(args as Parameters<ThrottleStore['refund']>));
    case 'delete':
      return store.delete(...(args as Parameters<ThrottleStore['delete']>));
  }
}
