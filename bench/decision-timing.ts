import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { percentile } from './statistics';

/** A synchronous decision function; it answers whether the request was allowed. */
export interface DecisionTarget {
  name: string;
  decide: () => boolean;
  /** What every call must answer; a different answer fails the run. */
  expected: boolean;
}

export interface DecisionTiming {
  warmupMs: number;
  /** Half of a round times calls one by one, the other half counts calls in batches. */
  roundMs: number;
  rounds: number;
}

export interface DecisionFigures {
  target: string;
  medianUs: number;
  p99Us: number;
  /** Mean over the rounds of calls per second in untimed batches. */
  decisionsPerSecond: number;
  /** The slowest and fastest round. */
  decisionsPerSecondRange: [number, number];
}

/** Calls between clock readings when counting; small enough for a slow target to stop on time. */
const BATCH = 100;

function check(target: DecisionTarget, answer: boolean): void {
  if (answer !== target.expected) {
    throw new Error(`${target.name} answered ${answer ? 'allow' : 'deny'}, expected otherwise`);
  }
}

function timeEachCall(target: DecisionTarget, durationMs: number, latenciesUs: number[]): void {
  const deadline = performance.now() + durationMs;
  for (;;) {
    const start = performance.now();
    const answer = target.decide();
    const end = performance.now();
    check(target, answer);
    latenciesUs.push((end - start) * 1000);
    if (end >= deadline) return;
  }
}

function countCalls(target: DecisionTarget, durationMs: number): number {
  const start = performance.now();
  const deadline = start + durationMs;
  let calls = 0;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < BATCH; i++) check(target, target.decide());
    calls += BATCH;
    now = performance.now();
  }
  return calls / ((now - start) / 1000);
}

/**
 * In-process decision timing: each target is warmed up, then the targets take turns round by
 * round (A, B, A, B), so that drift on the machine touches them alike. Percentiles come from
 * every call timed one by one; the rate from untimed batches, which leave out the clock's cost.
 * The event loop gets a turn between rounds (the run's watchdog is a timer).
 */
export async function measureDecisions(
  targets: DecisionTarget[],
  timing: DecisionTiming,
): Promise<DecisionFigures[]> {
  for (const target of targets) {
    countCalls(target, timing.warmupMs);
    await yieldToEventLoop();
  }
  const latencies = targets.map((): number[] => []);
  const rates = targets.map((): number[] => []);
  for (let round = 0; round < timing.rounds; round++) {
    for (const [index, target] of targets.entries()) {
      timeEachCall(target, timing.roundMs / 2, latencies[index]);
      rates[index].push(countCalls(target, timing.roundMs / 2));
      await yieldToEventLoop();
    }
  }
  return targets.map((target, index) => {
    const sorted = latencies[index].sort((a, b) => a - b);
    const targetRates = rates[index];
    return {
      target: target.name,
      medianUs: percentile(sorted, 50),
      p99Us: percentile(sorted, 99),
      decisionsPerSecond: targetRates.reduce((sum, rate) => sum + rate, 0) / targetRates.length,
      decisionsPerSecondRange: [Math.min(...targetRates), Math.max(...targetRates)],
    };
  });
}

/** The median cost of reading the clock around a call that does nothing, in microseconds. */
export function clockOverheadUs(): number {
  const latencies: number[] = [];
  timeEachCall({ name: 'nothing', decide: () => true, expected: true }, 50, latencies);
  return percentile(
    latencies.sort((a, b) => a - b),
    50,
  );
}
