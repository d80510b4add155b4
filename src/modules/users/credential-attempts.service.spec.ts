import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode, UsersErrorCode } from '../../common/errors/error-code';
import { LoginThrottle } from '../../common/throttle/login-throttle.service';
import { MemoryThrottleStore } from '../../common/throttle/throttle-store';
import { loadConfig } from '../../config/load-config';
import { DomainEvents, EventOrigin } from '../events/domain-events.service';
import { CredentialAttempts } from './credential-attempts.service';

const CLIENT = { ip: '198.51.100.7', userAgent: 'test' };
const KEYS = { account: 'owner@example.com', ip: CLIENT.ip };
const WRONG = new DomainError(UsersErrorCode.InvalidCurrentPassword, 'Wrong.');

describe('CredentialAttempts', () => {
  let recorded: { type: string; data: unknown; origin: EventOrigin }[];
  let attempts: CredentialAttempts;

  beforeEach(() => {
    recorded = [];
    const events = {
      emit: (type: string, data: unknown, origin: EventOrigin) =>
        Promise.resolve(void recorded.push({ type, data, origin })),
    };
    const throttle = new LoginThrottle(new MemoryThrottleStore(), loadConfig({}), () => Date.now());
    attempts = new CredentialAttempts(throttle, events as unknown as DomainEvents);
  });

  const attempt = (ok: boolean, check = jest.fn()) =>
    attempts.attempt({
      keys: KEYS,
      event: { type: 'password_change', client: CLIENT, userId: 'u-1' },
      check: () => {
        check();
        return Promise.resolve(
          ok
            ? { ok: true as const, value: 'checked' }
            : { ok: false as const, reason: 'wrong_password', error: WRONG },
        );
      },
    });

  it('answers what the check found, emitting nothing of a success', async () => {
    expect(await attempt(true)).toBe('checked');
    expect(recorded).toEqual([]);
  });

  it("refuses a failure with the check's error and emits its reason", async () => {
    await expect(attempt(false)).rejects.toBe(WRONG);
    expect(recorded).toEqual([
      {
        type: 'auth.attempt.failed',
        data: {
          attempt: 'password_change',
          reason: 'wrong_password',
          user_id: 'u-1',
          session_id: null,
        },
        origin: { client: CLIENT },
      },
    ]);
  });

  it('stops checking once the failures reach the limit, refusing and recording unchecked', async () => {
    const limit = loadConfig({}).loginThrottle.maxFailuresPerAccount;
    for (let i = 0; i < limit; i++) await expect(attempt(false)).rejects.toBe(WRONG);
    const check = jest.fn();
    const refusal = await attempt(true, check).catch((error: unknown) => error);
    expect(check).not.toHaveBeenCalled();
    expect(refusal).toMatchObject({
      code: CommonErrorCode.TooManyRequests,
      details: { retryAfterSeconds: expect.any(Number) },
    });
    expect(recorded.at(-1)).toMatchObject({ data: { reason: 'throttled' } });
  });

  it('starts the counters afresh after a success', async () => {
    const limit = loadConfig({}).loginThrottle.maxFailuresPerAccount;
    for (let i = 0; i < limit - 1; i++) await expect(attempt(false)).rejects.toBe(WRONG);
    await attempt(true);
    for (let i = 0; i < limit - 1; i++) await expect(attempt(false)).rejects.toBe(WRONG);
    expect(await attempt(true)).toBe('checked');
  });
});
