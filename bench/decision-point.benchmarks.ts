import { authzBatchBenchmark } from './authz-batch.benchmark';
import { authzCheckBenchmark } from './authz-check.benchmark';
import type { Benchmark } from './benchmark';
import { oauthTokenBenchmark } from './oauth-token.benchmark';

/** The decision point and its service clients over HTTP (issue 4), in the order they run. */
export const DECISION_POINT_BENCHMARKS: Benchmark[] = [
  authzCheckBenchmark,
  authzBatchBenchmark,
  oauthTokenBenchmark,
];
