import cluster from 'node:cluster';
import { Global, Module } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS } from '../redis/redis.module';
import { ClientAuthThrottle } from './client-auth-throttle.service';
import { ClusterThrottleStore, primaryChannel } from './cluster-throttle-store';
import { FallbackThrottleStore } from './fallback-throttle-store';
import { LoginThrottle } from './login-throttle.service';
import { RateLimiter } from './rate-limiter.service';
import { MemoryThrottleStore, RedisThrottleStore, ThrottleStore } from './throttle-store';
import { Clock, THROTTLE_CLOCK, THROTTLE_STORE } from './throttle.tokens';

@Global()
@Module({
  providers: [
    { provide: THROTTLE_CLOCK, useValue: (() => Date.now()) satisfies Clock },
    {
      provide: THROTTLE_STORE,
      inject: [REDIS],
      useFactory: (redis: Redis | null): ThrottleStore => {
        // The workers of one service (WEB_CONCURRENCY) count together, through their primary.
        const local = cluster.isWorker
          ? new ClusterThrottleStore(primaryChannel())
          : new MemoryThrottleStore();
        return redis ? new FallbackThrottleStore(new RedisThrottleStore(redis), local) : local;
      },
    },
    LoginThrottle,
    ClientAuthThrottle,
    RateLimiter,
  ],
  exports: [LoginThrottle, ClientAuthThrottle, RateLimiter],
})
export class ThrottleModule {}
