import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type Redis from 'ioredis';
import { REDIS } from '../../common/redis/redis.module';

@Injectable()
export class RedisHealthIndicator {
  constructor(
    @Inject(REDIS) private readonly redis: Redis | null,
    private readonly health: HealthIndicatorService,
  ) {}

  get configured(): boolean {
    return this.redis !== null;
  }

  ping(key: string, timeoutMs: number) {
    const redis = this.redis;
    return this.health
      .check(key)
      .attempt(async () => {
        if (!redis) throw new Error('Redis is not configured');
        await redis.ping();
      })
      .withTimeout(timeoutMs);
  }
}
