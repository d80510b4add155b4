import { decodeBase32 } from '../../src/modules/mfa/base32';
import { AUTHENTICATOR_TOTP, totpCode, totpTimeStep } from '../../src/modules/mfa/totp';
import { get, GOOD_PASSWORD, post, TokenPairBody, uniqueIp } from './accounts';
import { signedInUser, SignedInUser } from './access';
import { sleep } from './assertions';
import { TestApp } from './test-app';

const STEP_MS = AUTHENTICATOR_TOTP.periodSeconds * 1000;
/** Time a test needs for its codes to stay in one step: it starts no later than this into one. */
const LATEST_START_IN_STEP_MS = 20_000;

/** The code an authenticator app holding `secret` (base32) shows `offset` steps from now. */
export function codeAt(secret: string, offset = 0): string {
  const seed = decodeBase32(secret);
  if (!seed) throw new Error(`not base32: ${secret}`);
  return totpCode(seed, totpTimeStep(Date.now()) + offset);
}

/**
 * Waits, if need be, for the start of the next 30-second step, so that "the current step"
 * means the same to the test and to the server for the next ten seconds at least.
 */
export async function awayFromStepBoundary(): Promise<void> {
  const into = Date.now() % STEP_MS;
  if (into > LATEST_START_IN_STEP_MS) await sleep(STEP_MS - into + 200);
}

export function decodeClaims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

export interface EnrolledUser extends SignedInUser {
  password: string;
  secret: string;
  backupCodes: string[];
}

/**
 * A signed-in user with an active authenticator app, activated with the code of the previous
 * step (within the drift allowed): the current and the next step's codes are still unused.
 */
export async function enrolledUser(t: TestApp): Promise<EnrolledUser> {
  await awayFromStepBoundary();
  const user = await signedInUser(t);
  const enrolled = await post(t, '/v1/mfa/totp/enroll', {}, { token: user.token });
  if (enrolled.statusCode !== 200) throw new Error(`enroll: ${enrolled.body}`);
  const { secret } = enrolled.json<{ secret: string }>();
  const activated = await post(
    t,
    '/v1/mfa/totp/activate',
    { code: codeAt(secret, -1) },
    { token: user.token },
  );
  if (activated.statusCode !== 200) throw new Error(`activate: ${activated.body}`);
  const { backup_codes: backupCodes } = activated.json<{ backup_codes: string[] }>();
  return { ...user, password: GOOD_PASSWORD, secret, backupCodes };
}

/** The password step of a login that owes a second factor: its mfa_token. */
export async function passwordStep(
  t: TestApp,
  email: string,
  password: string,
  ip = uniqueIp(),
): Promise<string> {
  const res = await post(t, '/v1/auth/login', { email, password }, { ip });
  if (res.statusCode !== 200) throw new Error(`login: ${res.statusCode} ${res.body}`);
  const body = res.json<{ mfa_token?: string }>();
  if (!body.mfa_token) throw new Error(`login gave no mfa_token: ${res.body}`);
  return body.mfa_token;
}

/** A full login with password and a code (or backup code). */
export async function loginWithSecondFactor(
  t: TestApp,
  user: { email: string; password: string },
  factor: { code: string } | { backup_code: string },
): Promise<TokenPairBody> {
  const ip = uniqueIp();
  const mfaToken = await passwordStep(t, user.email, user.password, ip);
  const res = await post(t, '/v1/auth/login/mfa', { mfa_token: mfaToken, ...factor }, { ip });
  if (res.statusCode !== 200) throw new Error(`login/mfa: ${res.statusCode} ${res.body}`);
  return res.json<TokenPairBody>();
}

export async function mfaStatus(t: TestApp, token: string) {
  return (await get(t, '/v1/mfa', token)).json<{
    active_factors: string[];
    totp: { status: string; activated_at: string | null };
    backup_codes_remaining: number;
  }>();
}
