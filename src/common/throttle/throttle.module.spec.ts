import { randomUUID } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import Redis from 'ioredis';
import { loadConfig } from '../../config/load-config';
import { ConfigModule } from '../../config/config.module';
import { REDIS } from '../redis/redis.module';
import { LoginThrottle } from './login-throttle.service';
import { RateLimiter } from './rate-limiter.service';
import { ThrottleModule } from './throttle.module';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Boots ThrottleModule beside a stand-in for RedisModule that provides `redis`. */
async function boot(redis: Redis | null) {
  @Global()
  @Module({ providers: [{ provide: REDIS, useValue: redis }], exports: [REDIS] })
  class RedisStandIn {}
  const moduleRef = await Test.createTestingModule({
    imports: [ConfigModule.forRoot(loadConfig({})), RedisStandIn, ThrottleModule],
  }).compile();
  return { login: moduleRef.get(LoginThrottle), limiter: moduleRef.get(RateLimiter) };
}

describe('ThrottleModule', () => {
  it('counts in this process without Redis', async () => {
    const { login, limiter } = await boot(null);
    const attempt = { account: 'bob@example.com', ip: '192.0.2.20' };
    for (let i = 0; i < 5; i++) await login.acquire(attempt);
    expect((await login.acquire(attempt)).retryAfterSeconds).toBeGreaterThan(0);
    expect((await limiter.consume('k', 1, 60)).allowed).toBe(true);
    expect((await limiter.consume('k', 1, 60)).allowed).toBe(false);
  });

  it('counts in Redis under gatehouse:throttle: when Redis is configured', async () => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      const { login } = await boot(redis);
      const before = new Set(await redis.keys('gatehouse:throttle:login:*'));
      const account = `${randomUUID()}@example.com`;
      const attempt = { account, ip: '192.0.2.30' };
      expect(await login.acquire(attempt)).toEqual({ retryAfterSeconds: 0 });
      await login.failed(attempt);
      const written = (await redis.keys('gatehouse:throttle:login:*')).filter(
        (k) => !before.has(k),
      );
      // The account at the address, the account in total, and the address.
      expect(written).toHaveLength(3);
      await redis.del(...written);
    } finally {
      await redis.quit();
    }
  });
});
