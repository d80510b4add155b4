import { Logger } from '@nestjs/common';
import { CatchUpRun } from './catch-up-run';
import type { JobQueue } from './job-queue.service';

/** A process that works jobs: requests run here, none is sent as a job. */
const WORKING_QUEUE = {
  worksHere: true,
  send: () => Promise.reject(new Error('no job is asked for in a process that works them')),
} as unknown as JobQueue;

const INTERVAL_MS = 200;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('CatchUpRun with a minimum interval', () => {
  let starts: number[];
  let run: CatchUpRun;

  beforeEach(() => {
    starts = [];
    run = new CatchUpRun(WORKING_QUEUE, new Logger('test'), {
      queue: 'test.catch-up',
      what: 'test',
      delayMs: 0,
      minIntervalMs: INTERVAL_MS,
      work: () => {
        starts.push(Date.now());
        return Promise.resolve();
      },
    });
  });

  afterEach(() => run.stop());

  it('runs a request after a quiet spell at once', () => {
    run.request();
    expect(starts).toHaveLength(1);
  });

  it('gathers the requests of an interval into one run after it', async () => {
    for (let i = 0; i < 10; i++) run.request();
    expect(starts).toHaveLength(1);
    while (starts.length < 2) await sleep(20);
    // The nine requests that came while the first ran made one run, an interval after it.
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(INTERVAL_MS - 1);
    await sleep(INTERVAL_MS * 2);
    expect(starts).toHaveLength(2);
  });

  it('spaces runs by a monotonic clock: a wall clock set back does not put the next run off', async () => {
    // Only Date moves; every timer stays real.
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'clearTimeout', 'performance'],
      now: Date.now() + 11 * 60 * 1000,
    });
    run.request();
    jest.useRealTimers(); // the wall clock steps back 11 minutes
    run.request();
    for (let waited = 0; starts.length < 2 && waited < INTERVAL_MS * 5; waited += 20) {
      await sleep(20);
    }
    expect(starts).toHaveLength(2);
  });

  it('drops a spaced run on stop', async () => {
    run.request();
    run.request();
    await run.stop();
    await sleep(INTERVAL_MS * 1.5);
    expect(starts).toHaveLength(1);
  });
});
