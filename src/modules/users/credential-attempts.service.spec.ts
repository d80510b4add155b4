import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode, UsersErrorCode } from '../../common/errors/error-code';
import { LoginThrottle } from '../../common/throttle/login-throttle.service';
import { MemoryThrottleStore } from '../../common/throttle/throttle-store';
import { loadConfig } from '../../config/load-config';
import { AuthEventInput, AuthEventService } from '../audit/auth-event.service';
import { CredentialAttempts } from './credential-attempts.service';

const CLIENT = { ip: '198.51.100.7', userAgent: 'test' };
const KEYS = { account: 'owner@example.com', ip: CLIENT.ip };
const WRONG = new DomainError(UsersErrorCode.InvalidCurrentPassword, 'Wrong.');

describe('CredentialAttempts', () => {
  let recorded: AuthEventInput[];
  let attempts: CredentialAttempts;

  beforeEach(() => {
    recorded = [];
    const events = {
      record: (input: AuthEventInput) => Promise.resolve(void recorded.push(input)),
    };
    const throttle = new LoginThrottle(new MemoryThrottleStore(), loadConfig({}), () => Date.now());
    attempts = new CredentialAttempts(throttle, events as unknown as AuthEventService);
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

  it('answers what the check found, recording nothing of a success', async () => {
    expect(await attempt(true)).toBe('checked');
    expect(recorded).toEqual([]);
  });

  it("refuses a failure with the check's error and records its reason", async () => {
    await expect(attempt(false)).rejects.toBe(WRONG);
    expect(recorded).toEqual([
      {
        type: 'password_change',
        outcome: 'failure',
        client: CLIENT,
        userId: 'u-1',
        reason: 'wrong_password',
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
    expect(recorded.at(-1)).toMatchObject({ outcome: 'failure', reason: 'throttled' });
  });

  it('starts the counters afresh after a success', async () => {
    const limit = loadConfig({}).loginThrottle.maxFailuresPerAccount;
    for (let i = 0; i < limit - 1; i++) await expect(attempt(false)).rejects.toBe(WRONG);
    await attempt(true);
    for (let i = 0; i < limit - 1; i++) await expect(attempt(false)).rejects.toBe(WRONG);
    expect(await attempt(true)).toBe('checked');
  });
});
