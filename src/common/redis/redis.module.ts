import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../../config/app-config';

/** The shared Redis connection, or `null` when REDIS_URL is not set (single-instance mode). */
export const REDIS = Symbol('REDIS');

const REDIS_CONNECT_TIMEOUT_MS = 5000;

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig): Promise<Redis | null> => {
        if (!config.redis.url) return null;
        const redis = new Redis(config.redis.url, {
          maxRetriesPerRequest: 1,
          enableOfflineQueue: false,
          connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
          connectionName: 'gatehouse',
        });
        // ioredis reconnects by itself; without a listener it prints each failure to stderr.
        const logger = new Logger('Redis');
        let healthy = true;
        redis.on('error', (error: Error) => {
          if (healthy) logger.warn(`Redis unavailable, reconnecting: ${error.message}`);
          healthy = false;
        });
        redis.on('ready', () => {
          if (!healthy) logger.log('Redis connection restored');
          healthy = true;
        });
        // Start serving once the first attempt has an outcome: commands fail fast while
        // disconnected, so an instance would otherwise report itself unready for its first
        // milliseconds. A Redis that is down does not hold the boot up; readiness says so.
        await new Promise<void>((resolve) => {
          redis.once('ready', () => resolve());
          redis.once('error', () => resolve());
        });
        return redis;
      },
    },
  ],
  exports: [REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis | null) {}

  async onApplicationShutdown(): Promise<void> {
    const redis = this.redis;
    if (!redis || redis.status === 'end') return;
    // QUIT needs a live connection; otherwise stop reconnecting so the process can exit.
    if (redis.status !== 'ready') return redis.disconnect();
    await redis.quit().catch(() => redis.disconnect());
  }
}
