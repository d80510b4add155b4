import { Inject, Injectable } from '@nestjs/common';
import { ClientInfo } from '../../common/auth/client-info';
import { Principal } from '../../common/auth/principal';
import { PasswordHasher } from '../../common/crypto/password-hasher';
import { PasswordPolicy } from '../../common/crypto/password-policy';
import { DomainError } from '../../common/errors/domain-error';
import { AuthErrorCode, CommonErrorCode, UsersErrorCode } from '../../common/errors/error-code';
import { clientNetworkKey } from '../../common/throttle/client-network-key';
import { RateLimiter } from '../../common/throttle/rate-limiter.service';
import { tooManyAttempts } from '../../common/throttle/too-many-attempts';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import { uuidV7 } from '../../common/ids/uuid-v7';
import { AuthAttempt } from '../events/catalogue/account-events';
import { DomainEvents } from '../events/domain-events.service';
import { CredentialAttempts } from '../users/credential-attempts.service';
import { normalizeEmail } from '../users/email-address';
import { UsersService } from '../users/users.service';
import { AccessTokenService } from './access-token.service';
import { AccessService } from '../access/access.service';
import { MfaChallengePurpose } from '../mfa/mfa-challenge-purpose';
import { MfaService } from '../mfa/mfa.service';
import { invalidCredentials } from './invalid-credentials';
import { LoginRepository } from './login.repository';
import { Session } from './session.entity';
import { SessionService } from './session.service';
import { ACCOUNT_REQUEST_QUEUES, AccountRequests } from './account-requests';
import { issueTokenPair, TokenPair } from './token-pair';

const HOUR_S = 60 * 60;
/** Unauthenticated account requests (register, resend, forgot) from one address. */
const ACCOUNT_REQUESTS_PER_IP_PER_HOUR = 30;

/** A login whose password was right and which owes a second factor (or its enrollment). */
export interface SecondFactorRequired {
  kind: 'second_factor';
  /** `login`: a code is due; `enroll`: the user's role requires a factor they do not have. */
  purpose: MfaChallengePurpose;
  mfaToken: string;
  expiresIn: number;
}

export type LoginResult = ({ kind: 'tokens' } & TokenPair) | SecondFactorRequired;

const STATUS_PROBLEMS = {
  pending_verification: {
    code: AuthErrorCode.EmailNotVerified,
    detail: 'The email address of this account has not been verified yet.',
  },
  // An invited account has no password until the invitation is accepted: like a wrong one.
  invited: {
    code: AuthErrorCode.InvalidCredentials,
    detail: 'The email or password is not correct.',
  },
  suspended: { code: AuthErrorCode.AccountSuspended, detail: 'This account is suspended.' },
  deactivated: { code: AuthErrorCode.AccountDeactivated, detail: 'This account is deactivated.' },
} as const;

/** Registration, login, refresh, logout and the password flows. */
@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
    private readonly accessTokens: AccessTokenService,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly credentials: CredentialAttempts,
    private readonly rateLimiter: RateLimiter,
    private readonly events: DomainEvents,
    private readonly accountRequests: AccountRequests,
    private readonly transactions: Transactions,
    private readonly mfa: MfaService,
    private readonly access: AccessService,
    private readonly logins: LoginRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Checks the request and hashes the password (both paths pay for it, and the request, not an
   * unbounded queue, carries that cost), then records the registration as a durable job and
   * answers. What depends on whether the address is taken happens in the job: a new account
   * and its verification mail, or a mail to the owner of the address; neither the answer nor
   * its timing tells the two apart. The job holds the password's hash (sealed), never the password.
   */
  async register(
    input: { email: string; password: string; name: string },
    client: ClientInfo,
  ): Promise<void> {
    await this.limitAccountRequests('register', client);
    const email = normalizeEmail(input.email);
    this.policy.assertAcceptable(input.password, { email });
    const passwordHash = await this.hasher.hash(input.password);
    await this.accountRequests.record(ACCOUNT_REQUEST_QUEUES.register, {
      email,
      client,
      registration: { user_id: uuidV7(), name: input.name.trim(), password_hash: passwordHash },
    });
  }

  /** Confirms an address: a new account's, or the new one of an email change. */
  async verifyEmail(token: string, client: ClientInfo): Promise<void> {
    const verified = await this.transactions.run(async () => {
      const used = await this.users.consumeEmailToken(token, ['verify_email', 'change_email']);
      const user = used && (await this.users.findById(used.userId));
      if (!used || !user) return false;
      if (used.purpose === 'verify_email') {
        await this.users.markEmailVerified(user, { client });
        return true;
      }
      if (user.status === 'suspended' || user.status === 'deactivated') return false;
      if (!(await this.users.changeEmail(user, used.newEmail!, { client }))) {
        throw new DomainError(UsersErrorCode.EmailTaken, 'Another account uses this address now.');
      }
      // A reset link mailed to the old address must not outlive the address.
      await this.users.cancelEmailTokens(user.id, ['reset_password']);
      return true;
    });
    if (!verified) {
      await this.refused('email_verify', 'invalid_token', client);
      throw this.invalidEmailToken();
    }
  }

  /** Answers once the request is recorded; a pending account gets a new link in the job. */
  async resendVerification(email: string, client: ClientInfo): Promise<void> {
    await this.limitAccountRequests('email_verify_resend', client);
    await this.accountRequests.record(ACCOUNT_REQUEST_QUEUES.resendVerification, {
      email: normalizeEmail(email),
      client,
    });
  }

  /**
   * Unknown address and wrong password are the same 401 after the same work (a verification
   * against a dummy hash). The account's status is only revealed once the password was right.
   * A user with a second factor, or whose role requires one, gets an `mfa_token` instead of
   * tokens (see MfaLoginService).
   */
  async login(
    input: { email: string; password: string },
    client: ClientInfo,
  ): Promise<LoginResult> {
    const email = normalizeEmail(input.email);
    const { account, needsRehash } = await this.credentials.attempt({
      keys: { account: email, ip: client.ip },
      event: { type: 'login', client },
      check: async () => {
        const account = await this.logins.findAccount(email);
        const verified = await this.hasher.verify(account?.passwordHash ?? null, input.password);
        if (!account || !verified.valid) {
          return {
            ok: false,
            reason: account ? 'wrong_password' : 'unknown_email',
            userId: account?.userId,
            error: invalidCredentials(),
          };
        }
        if (account.status !== 'active') {
          // The right password of an account that cannot sign in is no success: it must not
          // clear the counters (nor become a free oracle for when the account turns active).
          const problem = STATUS_PROBLEMS[account.status];
          return {
            ok: false,
            reason: account.status,
            userId: account.userId,
            error: new DomainError(problem.code, problem.detail),
          };
        }
        return { ok: true, value: { account, needsRehash: verified.needsRehash } };
      },
    });
    const { userId } = account;
    let passwordHash = account.passwordHash;
    if (needsRehash) {
      passwordHash = await this.hasher.hash(input.password);
      await this.users.setPasswordHash(userId, passwordHash);
    }
    const secondFactor = await this.secondFactorDue(userId, account.hasActiveFactor);
    if (secondFactor) {
      const challenge = await this.mfa.issueChallenge(userId, secondFactor, passwordHash, client);
      if (!challenge) throw invalidCredentials();
      return {
        kind: 'second_factor',
        purpose: secondFactor,
        mfaToken: challenge.token,
        expiresIn: challenge.expiresIn,
      };
    }
    const now = new Date();
    // The session, its refresh token and its event: one statement.
    const started = await this.sessions.start(userId, { amr: ['pwd'], authTime: now }, client, now);
    return { kind: 'tokens', ...(await issueTokenPair(this.accessTokens, started)) };
  }

  /**
   * What a login of an active account whose password was right still owes: a code when the user
   * has a factor; an enrollment when a role of theirs requires a factor (MFA_REQUIRED_ROLES);
   * otherwise nothing.
   */
  private async secondFactorDue(
    userId: string,
    hasActiveFactor: boolean,
  ): Promise<MfaChallengePurpose | null> {
    if (hasActiveFactor) return 'login';
    const required = this.config.mfa.requiredRoles;
    if (required.length === 0) return null;
    const roles = await this.access.rolesOfActiveUser(userId);
    return roles.some((role) => required.includes(role)) ? 'enroll' : null;
  }

  /**
   * The hot path is one statement: the rotation, which also requires the account to be active
   * and writes the `user.session.refreshed` event. A refused token is told apart (unknown,
   * expired, revoked, reused, of an inactive account) in the event only, never in the answer.
   */
  async refresh(refreshToken: string, client: ClientInfo): Promise<TokenPair> {
    const result = await this.sessions.rotate(refreshToken, client);
    if (result.outcome === 'rotated') return issueTokenPair(this.accessTokens, result);
    if (result.outcome === 'inactive') {
      const { session } = result;
      await this.transactions.run(async () => {
        await this.sessions.revokeOne(session.userId, session.id, 'account_inactive', { client });
        await this.refused('refresh', result.accountStatus ?? 'account_deleted', client, session);
      });
    } else if (result.outcome !== 'reused') {
      // A reuse has its own event, emitted with the revocation it caused.
      await this.refused(
        'refresh',
        result.outcome,
        client,
        'session' in result ? result.session : null,
      );
    }
    throw this.invalidRefreshToken();
  }

  async logout(principal: Principal, client: ClientInfo): Promise<void> {
    await this.sessions.revokeOne(
      principal.userId,
      principal.sessionId,
      'logout',
      { client },
      { bySessionId: principal.sessionId },
    );
  }

  /** Ends every session and every open reset or email-change link: the "I was hacked" button. */
  logoutAll(principal: Principal, client: ClientInfo): Promise<number> {
    return this.transactions.run(async () => {
      await this.users.cancelEmailTokens(principal.userId, ['reset_password', 'change_email']);
      return this.sessions.revokeAll(
        principal.userId,
        'logout_all',
        { client },
        { bySessionId: principal.sessionId },
      );
    });
  }

  /** Ends one of the caller's own sessions; someone else's id is indistinguishable from none. */
  async revokeSession(principal: Principal, sessionId: string, client: ClientInfo): Promise<void> {
    const ended = await this.sessions.revokeOne(
      principal.userId,
      sessionId,
      'revoked_by_user',
      { client },
      { bySessionId: principal.sessionId },
    );
    if (!ended) throw new DomainError(CommonErrorCode.NotFound, 'No such session.');
  }

  listSessions(userId: string): Promise<Session[]> {
    return this.sessions.listLive(userId);
  }

  /** Answers once the request is recorded; an account that may reset gets a link in the job. */
  async forgotPassword(email: string, client: ClientInfo): Promise<void> {
    await this.limitAccountRequests('password_forgot', client);
    await this.accountRequests.record(ACCOUNT_REQUEST_QUEUES.forgotPassword, {
      email: normalizeEmail(email),
      client,
    });
  }

  /**
   * Sets a new password with a mailed token and ends every session of the account. The token
   * is checked and the password validated before anything changes; a rejected password leaves
   * the token usable.
   */
  async resetPassword(
    input: { token: string; password: string },
    client: ClientInfo,
  ): Promise<void> {
    const reset = await this.transactions.run(async () => {
      const used = await this.users.consumeEmailToken(input.token, ['reset_password']);
      const user = used && (await this.users.findById(used.userId));
      if (!user || user.status === 'deactivated' || user.status === 'suspended') return false;
      this.policy.assertAcceptable(input.password, { email: user.email });
      const hash = await this.hasher.hash(input.password);
      const origin = { client };
      await this.users.changePassword(user.id, hash, { method: 'reset', sessionId: null }, origin);
      // Following the link proved control of the mailbox.
      if (user.emailVerifiedAt === null) await this.users.markEmailVerified(user, origin);
      await this.sessions.revokeAll(user.id, 'password_reset', origin);
      // An email change started by whoever knew the old password must not survive it.
      await this.users.cancelEmailTokens(user.id, ['change_email', 'reset_password']);
      return true;
    });
    if (!reset) {
      await this.refused('password_reset', 'invalid_token', client);
      throw this.invalidEmailToken();
    }
  }

  /** Needs the current password; ends every other session, keeps the caller's. */
  async changePassword(
    principal: Principal,
    input: { currentPassword: string; newPassword: string },
    client: ClientInfo,
  ): Promise<void> {
    const found = await this.users.findWithPasswordHash(principal.userId);
    if (!found) throw new DomainError(CommonErrorCode.NotFound, 'The account no longer exists.');
    const { user, passwordHash } = found;
    await this.users.assertCurrentPassword(
      user,
      passwordHash,
      input.currentPassword,
      client,
      'password_change',
    );
    this.policy.assertAcceptable(input.newPassword, { email: user.email, field: 'new_password' });
    const hash = await this.hasher.hash(input.newPassword);
    const origin = { client };
    await this.transactions.run(async () => {
      await this.users.changePassword(
        user.id,
        hash,
        { method: 'change', sessionId: principal.sessionId },
        origin,
      );
      await this.sessions.revokeAll(user.id, 'password_change', origin, {
        except: principal.sessionId,
        bySessionId: principal.sessionId,
      });
      await this.users.cancelEmailTokens(user.id, ['change_email', 'reset_password']);
    });
  }

  private async refused(
    attempt: AuthAttempt,
    reason: string,
    client: ClientInfo,
    session: { userId: string; id: string } | null = null,
  ): Promise<void> {
    await this.events.emit(
      'auth.attempt.failed',
      { attempt, reason, user_id: session?.userId ?? null, session_id: session?.id ?? null },
      { client },
    );
  }

  private async limitAccountRequests(type: AuthAttempt, client: ClientInfo): Promise<void> {
    const { allowed, retryAfterSeconds } = await this.rateLimiter.consume(
      `account-requests:${clientNetworkKey(client.ip)}`,
      ACCOUNT_REQUESTS_PER_IP_PER_HOUR,
      HOUR_S,
    );
    if (!allowed) {
      await this.refused(type, 'throttled', client);
      throw tooManyAttempts(retryAfterSeconds);
    }
  }

  private invalidRefreshToken(): DomainError {
    return new DomainError(
      AuthErrorCode.InvalidRefreshToken,
      'The refresh token is invalid or has expired.',
    );
  }

  private invalidEmailToken(): DomainError {
    return new DomainError(
      AuthErrorCode.InvalidOrExpiredToken,
      'The link is invalid, has expired or was already used.',
    );
  }
}
