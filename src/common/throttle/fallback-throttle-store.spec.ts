import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import Redis from 'ioredis';
import { loadConfig } from '../../config/load-config';
import { ClientAuthThrottle } from './client-auth-throttle.service';
import { FallbackThrottleStore } from './fallback-throttle-store';
import { LoginThrottle } from './login-throttle.service';
import { RateLimiter } from './rate-limiter.service';
import { MemoryThrottleStore, RedisThrottleStore } from './throttle-store';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `gatehouse:throttle:test:${randomUUID()}:`;

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  return port;
}

/** Closes the connection for good (until `connect`), as a Redis going away would. */
async function cut(redis: Redis): Promise<void> {
  const ended = new Promise((resolve) => redis.once('end', resolve));
  redis.disconnect();
  await ended;
}

/**
 * Connection options as RedisModule gives them: commands fail fast while disconnected. A socket
 * that is already closed never reports closing again, so `disconnect` would wait out its timer.
 */
function client(url: string): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    disconnectTimeout: 100,
  });
  redis.on('error', () => undefined);
  return redis;
}

describe('FallbackThrottleStore', () => {
  const logger = { warn: jest.fn(), log: jest.fn() };
  /** Connections the tests open and cut; `admin` only cleans up. */
  const clients: Redis[] = [];
  let admin: Redis;

  beforeAll(() => {
    admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  });

  beforeEach(() => jest.clearAllMocks());

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  it('keeps throttling in this process while Redis is unreachable, warning once', async () => {
    const dead = client(`redis://127.0.0.1:${await closedPort()}`);
    clients.push(dead);
    const store = new FallbackThrottleStore(
      new RedisThrottleStore(dead, prefix),
      new MemoryThrottleStore(),
      logger,
    );
    const time = Date.now();
    const throttle = new LoginThrottle(store, loadConfig({}), () => time);
    const attempt = { account: 'alice@example.com', ip: '192.0.2.10' };
    const admitted = await Promise.all(
      Array.from({ length: 20 }, async () => (await throttle.acquire(attempt)).retryAfterSeconds),
    );
    expect(admitted.filter((seconds) => seconds === 0)).toHaveLength(5);
    expect(await throttle.acquire(attempt)).toEqual({ retryAfterSeconds: 30 });
    await throttle.succeeded(attempt);
    expect(await throttle.acquire(attempt)).toEqual({ retryAfterSeconds: 0 });

    const limiter = new RateLimiter(store, () => time);
    expect((await limiter.consume('register:ip:192.0.2.10', 1, 60)).allowed).toBe(true);
    expect((await limiter.consume('register:ip:192.0.2.10', 1, 60)).allowed).toBe(false);

    // Client authentication's lock is read, and its failures counted, in this process too.
    const clientAuth = new ClientAuthThrottle(
      store,
      loadConfig({ LOGIN_MAX_FAILURES_PER_IP: '2', LOGIN_LOCKOUT_BASE_SECONDS: '30' }),
      () => time,
    );
    expect(await clientAuth.admit('192.0.2.10')).toEqual({ retryAfterSeconds: 0 });
    await clientAuth.failed('192.0.2.10');
    await clientAuth.failed('192.0.2.10');
    expect(await clientAuth.admit('192.0.2.10')).toEqual({ retryAfterSeconds: 30 });

    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0][0]).toMatch(/^Redis unavailable .*counted in this process/);
    expect(logger.log).not.toHaveBeenCalled();
  });

  it('returns to Redis when it answers again, and warns again at the next outage', async () => {
    const redis = client(REDIS_URL);
    clients.push(redis);
    await new Promise((resolve) => redis.once('ready', resolve));
    const store = new FallbackThrottleStore(
      new RedisThrottleStore(redis, prefix),
      new MemoryThrottleStore(),
      logger,
    );
    const key = randomUUID();
    const now = Date.now();

    expect((await store.increment(key, 60_000, now)).count).toBe(1);
    expect(logger.warn).not.toHaveBeenCalled();

    await cut(redis);
    expect((await store.increment(key, 60_000, now)).count).toBe(1);
    expect((await store.increment(key, 60_000, now)).count).toBe(2);
    expect(logger.warn).toHaveBeenCalledTimes(1);

    await redis.connect();
    // Back to the shared count, which the outage did not touch.
    expect((await store.increment(key, 60_000, now)).count).toBe(2);
    expect(logger.log).toHaveBeenCalledTimes(1);
    expect(logger.log.mock.calls[0][0]).toMatch(/^Redis reachable again/);

    await cut(redis);
    await store.increment(key, 60_000, now);
    expect(logger.warn).toHaveBeenCalledTimes(2);
  });
});
