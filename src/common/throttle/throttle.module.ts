import { Global, Module } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS } from '../redis/redis.module';
import { ClientAuthThrottle } from './client-auth-throttle.service';
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
      useFactory: (redis: Redis | null): ThrottleStore =>
        redis
          ? new FallbackThrottleStore(new RedisThrottleStore(redis), new MemoryThrottleStore())
          : new MemoryThrottleStore(),
    },
    LoginThrottle,
    ClientAuthThrottle,
    RateLimiter,
  ],
  exports: [LoginThrottle, ClientAuthThrottle, RateLimiter],
})
export class ThrottleModule {}
