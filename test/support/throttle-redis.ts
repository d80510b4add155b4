import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import {
  MemoryThrottleStore,
  RedisThrottleStore,
  ThrottleStore,
} from '../../src/common/throttle/throttle-store';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The real Redis a throttle spec file runs against, under a key prefix of its own. */
export interface ThrottleTestRedis {
  readonly prefix: string;
  /** Connected for the file's tests (set in beforeAll). */
  client: Redis;
  /** Each store a behaviour suite runs against: in-process and Redis. */
  readonly stores: [string, () => ThrottleStore][];
}

/** Connects before the file's tests and deletes every key they wrote after them. */
export function useThrottleTestRedis(): ThrottleTestRedis {
  const prefix = `gatehouse:throttle:test:${randomUUID()}:`;
  const testRedis: ThrottleTestRedis = {
    prefix,
    client: undefined as unknown as Redis,
    stores: [
      ['in-process', () => new MemoryThrottleStore()],
      ['Redis', () => new RedisThrottleStore(testRedis.client, prefix)],
    ],
  };
  beforeAll(() => {
    testRedis.client = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    const keys = await testRedis.client.keys(`${prefix}*`);
    if (keys.length > 0) await testRedis.client.del(...keys);
    await testRedis.client.quit();
  });
  return testRedis;
}
