import type { Benchmark } from './benchmark';
import { keysRewrapBenchmark } from './keys-rewrap.benchmark';
import { tradingAuthzBenchmark } from './trading-authz.benchmark';
import { tradingSessionBenchmark } from './trading-session.benchmark';

/** Trading accounts and the vault (issue 16), in the order they run. */
export const TRADING_ACCOUNT_BENCHMARKS: Benchmark[] = [
  tradingAuthzBenchmark,
  tradingSessionBenchmark,
  keysRewrapBenchmark,
];
