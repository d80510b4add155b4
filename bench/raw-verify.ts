import { performance } from 'node:perf_hooks';
import * as rustArgon2 from '@node-rs/argon2';
import * as argon2 from 'argon2';
import type { AppConfig } from '../src/config/app-config';
import {
  type LoadTarget,
  meterParts,
  partsPerAnswer,
  type Sample,
  sumOfParts,
} from './load-generator';
import type { CpuMeter } from './process-cpu';
import { percentile } from './statistics';

type Argon2Parameters = AppConfig['passwords']['argon2'];

/** An argon2id binding from the npm registry, as the benchmark drives it. */
export interface Argon2Binding {
  /** The package, as the results name it. */
  name: string;
  hash(password: string, parameters: Argon2Parameters): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

/** The binding the service verifies passwords with (src/common/crypto/password-hasher.ts). */
export const NODE_RS_ARGON2: Argon2Binding = {
  name: '@node-rs/argon2',
  hash: (password, { memoryKib, iterations, parallelism }) =>
    rustArgon2.hash(password, { memoryCost: memoryKib, timeCost: iterations, parallelism }),
  verify: (hash, password) => rustArgon2.verify(hash, password),
};

/** The reference C implementation's binding, the one the service used before. */
export const NODE_ARGON2: Argon2Binding = {
  name: 'argon2',
  hash: (password, { memoryKib, iterations, parallelism }) =>
    argon2.hash(password, {
      type: argon2.argon2id,
      memoryCost: memoryKib,
      timeCost: iterations,
      parallelism,
    }),
  verify: (hash, password) => argon2.verify(hash, password),
};

/**
 * argon2id verification and nothing else: `concurrency` calls of the binding's verify kept in
 * flight against one hash of `password`, on this process's libuv threadpool, the one the
 * server's logins use. Latency is each call's, from the call to its promise settling. With
 * `cpu`, the CPU time of each part per verification is reported too.
 */
export function rawVerifyTarget(
  binding: Argon2Binding,
  parameters: Argon2Parameters,
  password: string,
  concurrency: number,
  cpu?: Record<string, CpuMeter>,
): LoadTarget {
  const name = `${binding.name} verify, ${concurrency} in flight`;
  const meter = cpu && meterParts(cpu);
  let stored: Promise<string> | undefined;
  return {
    name,
    measure: async (durationS): Promise<Sample> => {
      stored ??= binding.hash(password, parameters);
      const hash = await stored;
      const latencies: number[] = [];
      const partsUsed = meter?.();
      const started = performance.now();
      const deadline = started + durationS * 1000;
      const verifyUntilDeadline = async () => {
        while (performance.now() < deadline) {
          const callStarted = performance.now();
          if (!(await binding.verify(hash, password))) {
            throw new Error(`${name}: the password did not verify against its own hash`);
          }
          latencies.push(performance.now() - callStarted);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, verifyUntilDeadline));
      const elapsedS = (performance.now() - started) / 1000;
      const partsNs = partsUsed?.();
      const cpuNs = partsNs && sumOfParts(partsNs);
      const parts = partsNs && partsPerAnswer(partsNs, latencies.length);
      latencies.sort((a, b) => a - b);
      return {
        requestsPerSecond: latencies.length / elapsedS,
        latencyP50Ms: percentile(latencies, 50),
        latencyP99Ms: percentile(latencies, 99),
        ...(cpuNs === undefined || latencies.length === 0
          ? {}
          : {
              serverCpuMicrosPerRequest: cpuNs / 1000 / latencies.length,
              serverCores: cpuNs / 1e9 / elapsedS,
            }),
        ...(parts ? { serverCpuParts: parts } : {}),
      };
    },
  };
}
