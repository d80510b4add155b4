import { performance } from 'node:perf_hooks';
import * as argon2 from 'argon2';
import type { AppConfig } from '../src/config/app-config';
import type { LoadTarget, Sample } from './load-generator';
import { percentile } from './statistics';

/**
 * argon2id verification and nothing else: `concurrency` calls of argon2.verify kept in flight
 * against one hash of `password`, on this process's libuv threadpool, the one the server's
 * logins use. Latency is each call's, from the call to its promise settling.
 */
export function rawVerifyTarget(
  name: string,
  parameters: AppConfig['passwords']['argon2'],
  password: string,
  concurrency: number,
): LoadTarget {
  let stored: Promise<string> | undefined;
  return {
    name,
    measure: async (durationS): Promise<Sample> => {
      stored ??= argon2.hash(password, {
        type: argon2.argon2id,
        memoryCost: parameters.memoryKib,
        timeCost: parameters.iterations,
        parallelism: parameters.parallelism,
      });
      const hash = await stored;
      const latencies: number[] = [];
      const started = performance.now();
      const deadline = started + durationS * 1000;
      const verifyUntilDeadline = async () => {
        while (performance.now() < deadline) {
          const callStarted = performance.now();
          if (!(await argon2.verify(hash, password))) {
            throw new Error(`${name}: the password did not verify against its own hash`);
          }
          latencies.push(performance.now() - callStarted);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, verifyUntilDeadline));
      const elapsedS = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      return {
        requestsPerSecond: latencies.length / elapsedS,
        latencyP50Ms: percentile(latencies, 50),
        latencyP99Ms: percentile(latencies, 99),
      };
    },
  };
}
