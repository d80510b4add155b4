import type { LoadSettings } from './load-generator';
import type { GatehouseServer } from './targets';

export interface BenchContext {
  settings: LoadSettings;
  /** The Gatehouse under test, started on first use and shared by the benchmarks of a run. */
  gatehouse: () => Promise<GatehouseServer>;
  progress: (message: string) => void;
}

/** One comparison, run by `npm run bench -- <id>`, with its own section in RESULTS.md. */
export interface Benchmark {
  id: string;
  /** How many targets it compares, for the run's time budget; 2 when unset. */
  targets?: number;
  /** Its time budget in seconds, for one that is not a comparison of targets (seeding, jobs). */
  budgetSeconds?: number;
  /** Measures and returns the section's body. */
  run(context: BenchContext): Promise<string>;
}
