import { loadConfig } from '../../config/load-config';
import { useThrottleTestRedis } from '../../../test/support/throttle-redis';
import { ClientAuthThrottle } from './client-auth-throttle.service';
import { ThrottleStore } from './throttle-store';

const testRedis = useThrottleTestRedis();

/** Every network is new: the Redis store keeps one run's counters across its tests. */
let networks = 0;
const newIp = () => `2001:db8:c1:${(++networks).toString(16)}::1`;

describe.each(testRedis.stores)('ClientAuthThrottle (%s store)', (_name, createStore) => {
  let time: number;
  let store: ThrottleStore;
  let ip: string;

  const throttle = () =>
    new ClientAuthThrottle(
      store,
      loadConfig({ LOGIN_MAX_FAILURES_PER_IP: '3', LOGIN_LOCKOUT_BASE_SECONDS: '30' }),
      () => time,
    );
  const admitted = async (t: ClientAuthThrottle, from = ip) =>
    (await t.admit(from)).retryAfterSeconds;

  beforeEach(() => {
    time = Date.now();
    store = createStore();
    ip = newIp();
  });

  it('locks a network at the maximum of failures, for the base lock time', async () => {
    const t = throttle();
    for (let i = 0; i < 3; i++) {
      expect(await admitted(t)).toBe(0);
      await t.failed(ip);
    }
    expect(await admitted(t)).toBe(30);
    // Elsewhere in the same /64: the same network.
    expect(await admitted(t, ip.replace(/::1$/, '::2'))).toBe(30);
    expect(await admitted(t, newIp())).toBe(0);
    time += 30_000;
    expect(await admitted(t)).toBe(0);
  });

  it('admitting charges nothing: only failures count toward the lock', async () => {
    const t = throttle();
    for (let i = 0; i < 10; i++) expect(await admitted(t)).toBe(0);
    // Three failures still get through before the lock, as on a network that never succeeded.
    for (let i = 0; i < 2; i++) await t.failed(ip);
    expect(await admitted(t)).toBe(0);
    await t.failed(ip);
    expect(await admitted(t)).toBe(30);
  });
});
