import { createActiveAccounts, LOGIN_PATH, loginRequests } from './accounts';
import type { Benchmark } from './benchmark';
import { compareTargets, httpTarget } from './load-generator';
import { threadpoolSize } from './machine';
import { NODE_ARGON2, NODE_RS_ARGON2, rawVerifyTarget } from './raw-verify';
import {
  againstTarget,
  describeRounds,
  perCoreAgainstKeycloak,
  renderComparisonTable,
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
    const [loginFigures, rawFigures, otherBindingFigures] = await compareTargets(
      [
        httpTarget(`${app.name} login`, () => ({
          url: `${app.baseUrl}${LOGIN_PATH}`,
          connections,
          plan: { kind: 'fixed-requests', requestsByConnection },
        })),
        rawVerifyTarget(NODE_RS_ARGON2, app.config.passwords.argon2, accounts[0].password, threads),
        rawVerifyTarget(NODE_ARGON2, app.config.passwords.argon2, accounts[0].password, threads),
      ],
      interleaved,
      progress,
    );
    const share = loginFigures.requestsPerSecond / rawFigures.requestsPerSecond;
    return renderSection({
      title: `Password login: POST ${LOGIN_PATH}`,
      description:
        'Successful logins of active accounts (argon2id verification, session and refresh token ' +
        `stored, auth event recorded, ${app.config.tokens.signingAlg} access token signed) ` +
        `against ${NODE_RS_ARGON2.name}'s verify alone (the binding the service uses, the fastest ` +
        'argon2id in the npm registry) with the same parameters, in the same process, on the ' +
        'libuv threadpool the server verifies on, with as many verifications in flight as the ' +
        `pool has threads; and ${NODE_ARGON2.name}'s verify (the reference C implementation's ` +
        'binding, used before) the same way. Rounds alternate between the three. With twice as many connections as threads, a ' +
        'login’s latency includes its wait for a free thread, which the raw loop never has. ' +
        'Where the machine has no more cores than the pool has threads, the CPU the server ' +
        'spends around each verification (event loop, database, and here the load generator) ' +
        'comes out of the verifications’ share. Each attempt is charged to the login throttles ' +
        'before its password is checked and refunded once it succeeds; with one login per ' +
        `account and fewer than ${app.config.loginThrottle.maxFailuresPerIp} per address in ` +
        'flight, no counter comes near a lock, and a throttled answer, like any non-200, would ' +
        'fail the run.',
      settings:
        `${describeRounds(interleaved, connections)} (twice the threadpool), rotating over ` +
        `${accountCount} active accounts, ${ACCOUNTS_PER_CONNECTION} per connection; ` +
        `argon2id m=${memoryKib} KiB, t=${iterations}, p=${parallelism}; libuv threadpool ` +
        `${threads} threads; database: ${app.database}.`,
      table: renderComparisonTable([loginFigures, rawFigures, otherBindingFigures], rawFigures),
      notes: [
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
