import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../config/load-config';
import { LoginAttempt, LoginThrottle } from './login-throttle.service';
import { useThrottleTestRedis } from '../../../test/support/throttle-redis';
import { RedisThrottleStore, ThrottleStore } from './throttle-store';

const testRedis = useThrottleTestRedis();

/** Every network is new: the Redis store keeps one run's counters across its tests. */
let networks = 0;
/** An address in a /64 of its own. */
const newIp = () => `2001:db8:${(++networks).toString(16)}::1`;
const newIpv4 = () => `198.18.${++networks >> 8}.${networks & 0xff}`;

describe.each(testRedis.stores)('LoginThrottle (%s store)', (_name, createStore) => {
  let time: number;
  let store: ThrottleStore;
  /** A fresh account and address per test: the Redis store is shared by the whole run. */
  let account: string;
  let ip: string;
  let attempt: LoginAttempt;

  const advance = (seconds: number) => {
    time += seconds * 1000;
  };
  const throttle = (env: Record<string, string> = {}) =>
    new LoginThrottle(store, loadConfig(env), () => time);
  /** Seconds the attempt is refused for: 0 when it was admitted (and charged). */
  const acquire = async (t: LoginThrottle, at: LoginAttempt = attempt) =>
    (await t.acquire(at)).retryAfterSeconds;
  /** Admitted attempts with a wrong password. */
  const fail = async (t: LoginThrottle, at: LoginAttempt = attempt, times = 1) => {
    for (let i = 0; i < times; i++) {
      expect(await acquire(t, at)).toBe(0);
      await t.failed(at);
    }
  };
  const succeed = async (t: LoginThrottle, at: LoginAttempt = attempt) => {
    expect(await acquire(t, at)).toBe(0);
    await t.succeeded(at);
  };

  beforeEach(() => {
    time = Date.now();
    store = createStore();
    account = `${randomUUID()}@example.com`;
    ip = newIp();
    attempt = { account, ip };
  });

  it('admits the maximum of attempts, the last of which locks for the base time', async () => {
    const t = throttle();
    await fail(t, attempt, 4);
    expect(await acquire(t)).toBe(0);
    // Locked with the charge, before its verdict: a concurrent attempt already meets the lock.
    expect(await acquire(t)).toBe(30);
    await t.failed(attempt);
    expect(await acquire(t)).toBe(30);
  });

  it('admits exactly the maximum of attempts arriving at once', async () => {
    const t = throttle({ LOGIN_MAX_FAILURES_PER_ACCOUNT_TOTAL: '6' });
    const refusals = await Promise.all(Array.from({ length: 50 }, () => acquire(t)));
    expect(refusals.filter((seconds) => seconds === 0)).toHaveLength(5);
    expect(refusals.filter((seconds) => seconds === 30)).toHaveLength(45);
    // The 45 refused were not charged: the account's total holds 5, so the 6th locks it.
    await fail(t, { account, ip: newIp() });
    expect(await acquire(t, { account, ip: newIp() })).toBe(30);
  });

  it('admits exactly the maximum of attempts from one address at many accounts at once', async () => {
    const t = throttle({ LOGIN_MAX_FAILURES_PER_IP: '10' });
    const refusals = await Promise.all(
      Array.from({ length: 50 }, (_, i) => acquire(t, { account: `${i}-${account}`, ip })),
    );
    expect(refusals.filter((seconds) => seconds === 0)).toHaveLength(10);
  });

  it('locks the account at one address only, not from another or other accounts there', async () => {
    const t = throttle();
    await fail(t, attempt, 5);
    expect(await acquire(t)).toBe(30);
    expect(await acquire(t, { account, ip: newIp() })).toBe(0);
    expect(await acquire(t, { account: `other-${account}`, ip })).toBe(0);
  });

  it('locks the account from every address once failures from all of them reach the total', async () => {
    const t = throttle({ LOGIN_MAX_FAILURES_PER_ACCOUNT_TOTAL: '12' });
    await fail(t, { account, ip: newIp() }, 5);
    await fail(t, { account, ip: newIp() }, 5);
    await fail(t, { account, ip: newIp() }, 2);
    expect(await acquire(t, { account, ip: newIp() })).toBe(30);
    expect(await acquire(t, { account: `other-${account}`, ip: newIp() })).toBe(0);
    advance(30);
    // Past the total, each failure locks the account for longer.
    await fail(t, { account, ip: newIp() });
    expect(await acquire(t, { account, ip: newIp() })).toBe(60);
  });

  it('locks an address that fails at many accounts, independently of them', async () => {
    const t = throttle({ LOGIN_MAX_FAILURES_PER_IP: '10' });
    for (let i = 0; i < 9; i++) await fail(t, { account: `${i}-${account}`, ip });
    expect(await acquire(t)).toBe(0);
    expect(await acquire(t, { account: `other-${account}`, ip })).toBe(30);
    // No account reached a maximum: from elsewhere, they may still log in.
    expect(await acquire(t, { account: `0-${account}`, ip: newIp() })).toBe(0);
  });

  it('reports the longest of the locks that apply', async () => {
    const t = throttle({ LOGIN_MAX_FAILURES_PER_IP: '6' });
    await fail(t, attempt, 5);
    advance(20);
    await fail(t, { account: `other-${account}`, ip });
    expect(await acquire(t)).toBe(30);
    expect(await acquire(t, { account: `third-${account}`, ip })).toBe(30);
    advance(15);
    expect(await acquire(t)).toBe(15);
  });

  it('does not charge a refused attempt', async () => {
    const t = throttle();
    await fail(t, attempt, 5);
    for (let i = 0; i < 10; i++) expect(await acquire(t)).toBe(30);
    advance(30);
    // The 6th charge, not the 16th: twice the base.
    await fail(t);
    expect(await acquire(t)).toBe(60);
  });

  it('ends a lock by itself, rounding the time left up', async () => {
    const t = throttle();
    await fail(t, attempt, 5);
    advance(29);
    expect(await acquire(t)).toBe(1);
    advance(0.5);
    expect(await acquire(t)).toBe(1);
    advance(0.5);
    expect(await acquire(t)).toBe(0);
  });

  it('doubles the lock with every failure after one, up to the cap', async () => {
    const t = throttle();
    await fail(t, attempt, 4);
    const locks: number[] = [];
    for (let i = 0; i < 7; i++) {
      await fail(t);
      const lock = await acquire(t);
      locks.push(lock);
      advance(lock);
    }
    expect(locks).toEqual([30, 60, 120, 240, 480, 900, 900]);
    expect(await acquire(t)).toBe(0);
  });

  it('applies the configured base and cap', async () => {
    const t = throttle({ LOGIN_LOCKOUT_BASE_SECONDS: '10', LOGIN_LOCKOUT_MAX_SECONDS: '25' });
    await fail(t, attempt, 5);
    expect(await acquire(t)).toBe(10);
    advance(10);
    await fail(t);
    expect(await acquire(t)).toBe(20);
    advance(20);
    await fail(t);
    expect(await acquire(t)).toBe(25);
  });

  it('forgets failures once their window has passed', async () => {
    const t = throttle();
    await fail(t, attempt, 3);
    advance(899);
    await fail(t, attempt, 2);
    expect(await acquire(t)).toBe(30);

    const fresh = { account: `fresh-${account}`, ip: newIp() };
    await fail(t, fresh, 4);
    advance(900);
    await fail(t, fresh, 4);
    expect(await acquire(t, fresh)).toBe(0);
    expect(await acquire(t, fresh)).toBe(30);
  });

  it('forgets the escalation a window after the last lock ends', async () => {
    const t = throttle();
    await fail(t, attempt, 5);
    advance(30);
    await fail(t);
    expect(await acquire(t)).toBe(60);
    advance(60 + 900);
    await fail(t, attempt, 4);
    expect(await acquire(t)).toBe(0);
    expect(await acquire(t)).toBe(30);
  });

  it('on success clears the account, from that address and in total, lock included', async () => {
    const t = throttle({ LOGIN_MAX_FAILURES_PER_ACCOUNT_TOTAL: '7' });
    await fail(t, { account, ip: newIp() }, 2);
    await fail(t, attempt, 4);
    // The 5th attempt from this address and the 7th in total lock the account with its charge;
    // the right password ends both locks.
    await succeed(t);
    expect(await acquire(t, { account, ip: newIp() })).toBe(0);
    // Counted from zero again: from this address, four more failures and a fifth attempt.
    await fail(t, attempt, 4);
    expect(await acquire(t)).toBe(0);
    expect(await acquire(t)).toBe(30);
  });

  it("on success takes back that attempt's charge to the address, and only it", async () => {
    const t = throttle({ LOGIN_MAX_FAILURES_PER_IP: '3' });
    await fail(t, { account: `1-${account}`, ip });
    await fail(t, { account: `2-${account}`, ip });
    // Charged as the address's 3rd, which locks it; taken back with its lock.
    await succeed(t);
    // The address holds its 2 failures: a 3rd locks it.
    expect(await acquire(t, { account: `3-${account}`, ip })).toBe(0);
    expect(await acquire(t, { account: `4-${account}`, ip })).toBe(30);
  });

  it('counts an IPv6 /64 as one address', async () => {
    const t = throttle({ LOGIN_MAX_FAILURES_PER_IP: '8' });
    const network = newIp().replace(/::1$/, '');
    for (let i = 1; i <= 5; i++) await fail(t, { account, ip: `${network}:0:${i}::${i}` });
    expect(await acquire(t, { account, ip: `${network}:0:ffff:ffff:ffff:ffff` })).toBe(30);
    await fail(t, { account: `other-${account}`, ip: `${network}::2` }, 2);
    expect(await acquire(t, { account: `third-${account}`, ip: `${network}::3` })).toBe(0);
    expect(await acquire(t, { account: `fourth-${account}`, ip: `${network}::4` })).toBe(30);
    // The next /64 is another address.
    const [a, b, c] = network.split(':');
    const next = `${a}:${b}:${c}:1::1`;
    expect(await acquire(t, { account, ip: next })).toBe(0);
  });

  it('counts an IPv4-mapped IPv6 address as the IPv4 address', async () => {
    const t = throttle();
    const ipv4 = newIpv4();
    await fail(t, { account, ip: `::ffff:${ipv4}` }, 3);
    await fail(t, { account, ip: ipv4 }, 2);
    expect(await acquire(t, { account, ip: ipv4 })).toBe(30);
    expect(await acquire(t, { account, ip: `::FFFF:${ipv4}` })).toBe(30);
    expect(await acquire(t, { account, ip: newIpv4() })).toBe(0);
  });
});

describe('LoginThrottle keys in Redis', () => {
  it('hold neither emails nor addresses, and all expire', async () => {
    const time = Date.now();
    const t = new LoginThrottle(
      new RedisThrottleStore(testRedis.client, testRedis.prefix),
      loadConfig({}),
      () => time,
    );
    const before = new Set(await testRedis.client.keys(`${testRedis.prefix}*`));
    const attempts = [
      { account: `${randomUUID()}@example.com`, ip: '198.51.100.200' },
      { account: `${randomUUID()}@example.com`, ip: '2001:db8:ffff:1::1' },
    ];
    for (const attempt of attempts) {
      for (let i = 0; i < 5; i++) {
        await t.acquire(attempt);
        await t.failed(attempt);
      }
    }
    const keys = (await testRedis.client.keys(`${testRedis.prefix}*`)).filter(
      (key) => !before.has(key),
    );
    expect(keys).toHaveLength(6);
    for (const key of keys) {
      expect(key).not.toMatch(/@|198\.51|2001:db8|example/);
      expect(await testRedis.client.pttl(key)).toBeGreaterThan(0);
    }
  });
});
