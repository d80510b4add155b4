import { createActiveAccounts, LOGIN_PATH, loginRequests } from './accounts';
import type { Benchmark } from './benchmark';
import { compareTargets, httpTarget, type Measurement } from './load-generator';
import { threadpoolSize } from './machine';
import { inProcessServerCpuParts } from './process-cpu';
import { NODE_ARGON2, NODE_RS_ARGON2, rawVerifyTarget } from './raw-verify';
import {
  againstTarget,
  describeRounds,
  perCoreAgainstKeycloak,
  renderComparisonTable,
  renderCpuParts,
  renderSection,
} from './results-file';

/** The target: logins at no less than this share of the raw verification rate. */
const TARGET_SHARE_OF_RAW_VERIFY = 0.85;
/**
 * Each round is split into this many shorter ones. Other work on a machine comes in bursts that
 * can outlast a round, and a burst that hits only one of two CPU-bound targets skews their ratio;
 * finer alternation spreads it over both. The measured time stays the same.
 */
const ROUND_SPLIT = 5;
/**
 * Each connection logs in to accounts of its own, in turn, so no account is ever in two logins
 * at once (they would queue on its row) and each is used only every few seconds.
 */
const ACCOUNTS_PER_CONNECTION = 16;

export const loginBenchmark: Benchmark = {
  id: 'login',
  async run({ settings, gatehouse, progress }) {
    const app = await gatehouse();
    const threads = threadpoolSize();
    // Enough logins in flight to keep every thread verifying while others do their database work.
    const connections = 2 * threads;
    const accountCount = connections * ACCOUNTS_PER_CONNECTION;
    progress(`creating ${accountCount} active accounts`);
    const accounts = await createActiveAccounts(app, 'login', accountCount);
    const requestsByConnection = loginRequests(accounts, connections);
    const { memoryKib, iterations, parallelism } = app.config.passwords.argon2;
    const interleaved = {
      ...settings,
      rounds: settings.rounds * ROUND_SPLIT,
      durationS: Math.max(1, Math.round(settings.durationS / ROUND_SPLIT)),
    };
    const cpu = inProcessServerCpuParts(app.config.database.url);
    const { password } = accounts[0];
    // The service verifies at most this many at once; raw verification runs that many in flight
    // and, where the threadpool has more threads, as many as it has: the faster is the limit.
    const slots = app.config.passwords.maxConcurrentHashes;
    const rawInFlight = [...new Set([slots, threads])];
    const [loginFigures, otherBindingFigures, ...rawRuns] = await compareTargets(
      [
        httpTarget(
          `${app.name} login`,
          () => ({
            url: `${app.baseUrl}${LOGIN_PATH}`,
            connections,
            plan: { kind: 'fixed-requests', requestsByConnection },
          }),
          cpu,
        ),
        rawVerifyTarget(NODE_ARGON2, app.config.passwords.argon2, password, slots, cpu),
        ...rawInFlight.map((inFlight) =>
          rawVerifyTarget(NODE_RS_ARGON2, app.config.passwords.argon2, password, inFlight, cpu),
        ),
      ],
      interleaved,
      progress,
    );
    const rawFigures = rawRuns.reduce((best, run) =>
      run.requestsPerSecond > best.requestsPerSecond ? run : best,
    );
    const allFigures = [loginFigures, ...rawRuns, otherBindingFigures];
    const share = loginFigures.requestsPerSecond / rawFigures.requestsPerSecond;
    return renderSection({
      title: `Password login: POST ${LOGIN_PATH}`,
      description:
        'Successful logins of active accounts (argon2id verification, session and refresh token ' +
        `stored, auth event recorded, ${app.config.tokens.signingAlg} access token signed) ` +
        `against ${NODE_RS_ARGON2.name}'s verify alone (the binding the service uses, the fastest ` +
        'argon2id in the npm registry) with the same parameters, in the same process, on the ' +
        'libuv threadpool the server verifies on, with as many verifications in flight as the ' +
        `service runs at once (ARGON2_MAX_CONCURRENT, here ${slots})` +
        (threads === slots
          ? ''
          : ` and with as many as the pool has threads (${threads}); the faster of the two is the limit the login is judged against`) +
        `; and ${NODE_ARGON2.name}'s verify (the reference C implementation's binding, used ` +
        `before) with ${slots} in flight. Rounds alternate between them. With more connections ` +
        'than verifications at once, a ' +
        'login’s latency includes its wait for a free slot, which the raw loop never has. ' +
        'Where the machine has no more cores than the pool has threads, the CPU the server ' +
        'spends around each verification (event loop, database, and here the load generator) ' +
        'comes out of the verifications’ share. Each attempt is charged to the login throttles ' +
        'before its password is checked and refunded once it succeeds; with one login per ' +
        `account and fewer than ${app.config.loginThrottle.maxFailuresPerIp} per address in ` +
        'flight, no counter comes near a lock, and a throttled answer, like any non-200, would ' +
        'fail the run. The CPU of each answer is measured in parts (Linux schedstat): the ' +
        'main thread, the process’s other threads (the threadpool argon2 runs on, V8’s ' +
        'helpers) and, with PostgreSQL on this machine, its processes; the load generator, a ' +
        'worker thread started for each round, is left out.',
      settings:
        `${describeRounds(interleaved, connections)} (twice the threadpool), rotating over ` +
        `${accountCount} active accounts, ${ACCOUNTS_PER_CONNECTION} per connection; ` +
        `argon2id m=${memoryKib} KiB, t=${iterations}, p=${parallelism}; libuv threadpool ` +
        `${threads} threads; database: ${app.database}.`,
      table: [renderComparisonTable(allFigures, rawFigures), '', renderCpuParts(allFigures)].join(
        '\n',
      ),
      notes: [
        ...cpuBudget(loginFigures, rawFigures),
        againstTarget(
          `≥ ${TARGET_SHARE_OF_RAW_VERIFY * 100}% of ${NODE_RS_ARGON2.name}'s raw verify rate`,
          `${(share * 100).toFixed(1)}%`,
          share >= TARGET_SHARE_OF_RAW_VERIFY,
        ),
        perCoreAgainstKeycloak(loginFigures.requestsPerSecond, {
          perVcpu: 15,
          what: 'password logins/s',
        }),
      ],
    });
  },
};

/**
 * What the CPU figures say about the target. Where logins and raw verifications keep the same
 * cores busy, their rates stand as the inverse of their CPU per answer: the CPU spent around
 * each verification is what the target bounds.
 */
function cpuBudget(login: Measurement, raw: Measurement): string[] {
  const loginUs = login.serverCpuMicrosPerRequest;
  const rawUs = raw.serverCpuMicrosPerRequest;
  if (loginUs === undefined || rawUs === undefined) return [];
  const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
  const cores = (m: Measurement) =>
    m.serverCores === undefined ? 'n/a' : m.serverCores.toFixed(2);
  return [
    `CPU per answer: a login ${ms(loginUs)}, a raw verification ${ms(rawUs)}, with ` +
      `${cores(login)} and ${cores(raw)} cores busy. At equal cores busy the rates stand as ` +
      `${(rawUs / loginUs).toFixed(2)} (the raw CPU over the login's); ` +
      `${ms(loginUs - rawUs)} per login goes around the verification. ` +
      `${TARGET_SHARE_OF_RAW_VERIFY * 100}% allows ${ms(rawUs / TARGET_SHARE_OF_RAW_VERIFY - rawUs)}.`,
  ];
}
