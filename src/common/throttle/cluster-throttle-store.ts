import { MemoryThrottleStore, ThrottleStore } from './throttle-store';

const MESSAGE = 'gatehouse:throttle';

const OPERATIONS = ['increment', 'charge', 'refund', 'delete', 'locks'] as const;
type Operation = (typeof OPERATIONS)[number];

/** A key's lock end (epoch ms); 0 when it was lifted. */
type Lock = [key: string, until: number];

/** How often, at most, a map of locks is walked to drop the ones that ended. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Locks by key, whose ended ones are dropped at most once a minute as locks are added: a lock
 * nobody asks about again is not kept for ever.
 */
export class LockMap extends Map<string, number> {
  private nextSweep = 0;

  lock(key: string, until: number, now = Date.now()): void {
    if (now >= this.nextSweep) {
      this.nextSweep = now + SWEEP_INTERVAL_MS;
      for (const [k, end] of this) if (end <= now) this.delete(k);
    }
    this.set(key, until);
  }
}

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

/** Sent by the primary to every worker whenever a key's lock is set or lifted. */
interface LockNotice {
  type: typeof MESSAGE;
  locks: Lock[];
}

function isMessage<T extends Request | Reply | LockNotice>(message: unknown): message is T {
  return (message as { type?: unknown } | null)?.type === MESSAGE;
}

/** The IPC channel of a cluster worker to its primary (`process.send`, `process.on`). */
export interface PrimaryChannel {
  send(message: Request): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

/** A worker's side of the channel, as the primary sees it (`cluster.Worker`). */
export interface WorkerChannel {
  isConnected(): boolean;
  send(message: Reply | LockNotice): unknown;
}

/**
 * A cluster worker's counters, kept by the primary: every worker of one service counts the
 * same attempts, as if they were one process. Used when there is no Redis (with Redis, this is
 * what the workers fall back to while it is unreachable). A worker outlives no primary: the
 * cluster ends a worker whose primary is gone, so no call waits forever.
 *
 * `lockedUntil` is answered here, without a round trip: the primary tells every worker of each
 * lock it sets or lifts before it answers the call that did it, and a new worker asks for the
 * locks in force when it starts. A lock set by one worker's charge is therefore seen by the
 * others as soon as the notice crosses their channel, and by that worker before its charge
 * returns.
 */
export class ClusterThrottleStore implements ThrottleStore {
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve(v: unknown): void; reject(e: Error): void }
  >();
  private readonly locks = new LockMap();

  constructor(private readonly primary: PrimaryChannel) {
    primary.on('message', (message) => {
      if (!isMessage<Reply | LockNotice>(message)) return;
      if ('locks' in message) {
        this.learn(message.locks);
        return;
      }
      const call = this.waiting.get(message.id);
      if (!call) return;
      this.waiting.delete(message.id);
      if (message.error !== undefined) call.reject(new Error(message.error));
      else call.resolve(message.result);
    });
    void this.call('locks', []).then((locks) => this.learn(locks as Lock[]));
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

  lockedUntil(keys: string[], now: number): Promise<number> {
    let latest = 0;
    for (const key of keys) {
      const until = this.locks.get(key);
      if (until === undefined) continue;
      if (until <= now) this.locks.delete(key);
      else if (until > latest) latest = until;
    }
    return Promise.resolve(latest);
  }

  delete(...args: Parameters<ThrottleStore['delete']>) {
    return this.call('delete', args) as ReturnType<ThrottleStore['delete']>;
  }

  private learn(locks: Lock[]): void {
    for (const [key, until] of locks) {
      if (until > 0) this.locks.lock(key, until);
      else this.locks.delete(key);
    }
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

/**
 * The primary's side: one in-process store answering every worker's calls. A call that sets or
 * lifts a lock is announced to every worker (`workers()`) before it is answered.
 */
export function serveThrottleStore(
  workers: () => WorkerChannel[],
  store = new MemoryThrottleStore(),
) {
  /** The locks announced and not yet lifted (some may have ended since). */
  const announced = new LockMap();

  const announce = async (keys: string[], now: number) => {
    const changed: Lock[] = [];
    for (const key of keys) {
      const until = await store.lockedUntil([key], now);
      if (until === (announced.get(key) ?? 0)) continue;
      if (until > 0) announced.lock(key, until, now);
      else announced.delete(key);
      changed.push([key, until]);
    }
    if (changed.length === 0) return;
    for (const worker of workers()) {
      if (worker.isConnected()) worker.send({ type: MESSAGE, locks: changed });
    }
  };

  const perform = async (operation: Operation, args: unknown[]): Promise<unknown> => {
    switch (operation) {
      case 'increment':
        return store.increment(...(args as Parameters<ThrottleStore['increment']>));
      case 'charge': {
        const [charges, schedule, now] = args as Parameters<ThrottleStore['charge']>;
        const result = await store.charge(charges, schedule, now);
        await announce(
          charges.map(({ key }) => key),
          now,
        );
        return result;
      }
      case 'refund': {
        const [key, now] = args as Parameters<ThrottleStore['refund']>;
        await store.refund(key, now);
        return announce([key], now);
      }
      case 'delete': {
        const [keys] = args as Parameters<ThrottleStore['delete']>;
        await store.delete(keys);
        return announce(keys, Date.now());
      }
      case 'locks': {
        const now = Date.now();
        return [...announced].filter(([, until]) => until > now);
      }
    }
  };

  return (worker: WorkerChannel, message: unknown): void => {
    if (!isMessage<Request>(message) || !('operation' in message)) return;
    if (!OPERATIONS.includes(message.operation)) return;
    const { id, operation, args } = message;
    perform(operation, args).then(
      (result) =>
        worker.isConnected() && worker.send({ type: MESSAGE, id, result } satisfies Reply),
      (error: Error) =>
        worker.isConnected() &&
        worker.send({ type: MESSAGE, id, error: error.message } satisfies Reply),
    );
  };
}
