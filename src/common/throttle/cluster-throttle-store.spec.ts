import { EventEmitter } from 'node:events';
import {
  ClusterThrottleStore,
  LockMap,
  PrimaryChannel,
  serveThrottleStore,
} from './cluster-throttle-store';
import { MemoryThrottleStore } from './throttle-store';

/**
 * Workers and their primary joined by in-memory channels that, like a cluster's IPC, deliver each
 * message asynchronously and in order.
 */
function cluster() {
  const workers: { channel: { isConnected(): boolean; send(m: unknown): void } }[] = [];
  /** Every message the primary sent a worker. */
  const sent: unknown[] = [];
  const serve = serveThrottleStore(() => workers.map((w) => w.channel), new MemoryThrottleStore());
  const addWorker = () => {
    const inbox = new EventEmitter();
    const channel = {
      connected: true,
      isConnected() {
        return this.connected;
      },
      send(message: unknown) {
        sent.push(message);
        setImmediate(() => inbox.emit('message', message));
      },
    };
    const toPrimary: PrimaryChannel = {
      send: (message) => setImmediate(() => serve(channel, message)),
      on: (event, listener) => inbox.on(event, listener),
    };
    workers.push({ channel });
    return new ClusterThrottleStore(toPrimary);
  };
  return { addWorker, sent };
}

const schedule = { windowMs: 60_000, lockBaseMs: 30_000, lockMaxMs: 60_000 };
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ClusterThrottleStore', () => {
  it('counts every worker’s charges together, at the primary', async () => {
    const { addWorker } = cluster();
    const [a, b] = [addWorker(), addWorker()];
    const now = Date.now();
    const charges = [{ key: 'k', threshold: 3 }];
    expect(await a.charge(charges, schedule, now)).toBe(0);
    expect(await b.charge(charges, schedule, now)).toBe(0);
    expect(await a.charge(charges, schedule, now)).toBe(0);
    expect(await b.charge(charges, schedule, now)).toBe(now + 30_000);
    expect(await a.increment('n', 1000, now)).toEqual({ count: 1, resetAt: now + 1000 });
    expect(await b.increment('n', 1000, now)).toEqual({ count: 2, resetAt: now + 1000 });
  });

  it('knows a lock set through another worker without asking, until it ends or is lifted', async () => {
    const { addWorker } = cluster();
    const [a, b] = [addWorker(), addWorker()];
    const now = Date.now();
    const charges = [{ key: 'k', threshold: 1 }];
    expect(await b.lockedUntil(['k'], now)).toBe(0);
    await a.charge(charges, schedule, now);
    // The charging worker knows before its charge returns; the other once the notice arrives.
    expect(await a.lockedUntil(['k'], now)).toBe(now + 30_000);
    await settle();
    expect(await b.lockedUntil(['k', 'other'], now)).toBe(now + 30_000);
    expect(await b.lockedUntil(['k'], now + 30_000)).toBe(0);

    await a.charge([{ key: 'r', threshold: 1 }], schedule, now);
    await b.refund('r', now);
    await settle();
    expect(await a.lockedUntil(['r'], now)).toBe(0);

    await a.charge([{ key: 'd', threshold: 1 }], schedule, now);
    await b.delete(['d']);
    await settle();
    expect(await a.lockedUntil(['d'], now)).toBe(0);
  });

  it('tells a worker started later the locks in force', async () => {
    const { addWorker } = cluster();
    const a = addWorker();
    const now = Date.now();
    await a.charge([{ key: 'k', threshold: 1 }], schedule, now);
    const late = addWorker();
    await settle();
    await settle();
    expect(await late.lockedUntil(['k'], now)).toBe(now + 30_000);
  });

  it('announces nothing for charges and refunds that set or lift no lock', async () => {
    const { addWorker, sent } = cluster();
    const a = addWorker();
    addWorker();
    for (let i = 0; i < 5; i++) await a.charge([{ key: 'k', threshold: 10 }], schedule, Date.now());
    await a.refund('k', Date.now());
    await settle();
    expect(sent.filter((message) => 'locks' in (message as object))).toEqual([]);
  });
});

describe('LockMap', () => {
  it('drops locks that ended, at most once a minute, as locks are added', () => {
    const locks = new LockMap();
    const now = Date.now();
    locks.lock('a', now + 1000, now);
    locks.lock('b', now + 120_000, now);
    // Within the minute: nothing is walked, the ended lock is still there.
    locks.lock('c', now + 2000, now + 30_000);
    expect([...locks.keys()]).toEqual(['a', 'b', 'c']);
    locks.lock('d', now + 200_000, now + 60_000);
    expect([...locks.keys()]).toEqual(['b', 'd']);
  });
});
