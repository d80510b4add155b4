import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClientInfo } from '../../common/auth/client-info';
import { BackgroundTasks } from '../../common/background/background-tasks';
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
import { AuthEventService, AuthEventType } from '../audit/auth-event.service';
import * as templates from '../mail/mail-templates';
import { MailService } from '../mail/mail.service';
import { CredentialAttempts } from '../users/credential-attempts.service';
import { normalizeEmail } from '../users/email-address';
import { UsersService } from '../users/users.service';
import { AccessTokenService } from './access-token.service';
import { AccessService } from '../access/access.service';
import { MfaChallengePurpose } from '../mfa/mfa-challenge.entity';
import { MfaService } from '../mfa/mfa.service';
import { LoginRepository } from './login.repository';
import { Session } from './session.entity';
import { SessionService } from './session.service';
import { issueTokenPair, TokenPair } from './token-pair';

const HOUR_S = 60 * 60;
/** Mails about one address: enough for a user who lost one, too few to flood a mailbox. */
const MAILS_PER_ADDRESS_PER_HOUR = 3;
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
  suspended: { code: AuthErrorCode.AccountSuspended, detail: 'This account is suspended.' },
  deactivated: { code: AuthErrorCode.AccountDeactivated, detail: 'This account is deactivated.' },
} as const;

/** Registration, login, refresh, logout and the password flows. */
@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
    private readonly accessTokens: AccessTokenService,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly credentials: CredentialAttempts,
    private readonly rateLimiter: RateLimiter,
    private readonly mail: MailService,
    private readonly events: AuthEventService,
    private readonly transactions: Transactions,
    private readonly background: BackgroundTasks,
    private readonly mfa: MfaService,
    private readonly access: AccessService,
    private readonly logins: LoginRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Checks the request and hashes the password (both paths pay for it, and the request, not an
   * unbounded queue, carries that cost), then answers. What depends on whether the address is
   * taken runs after the response: a new account and its verification mail, or a mail to the
   * owner of the address; neither the answer nor its timing tells the two apart.
   */
  async register(
    input: { email: string; password: string; name: string },
    client: ClientInfo,
  ): Promise<void> {
    await this.limitAccountRequests('register', client);
    const email = normalizeEmail(input.email);
    this.policy.assertAcceptable(input.password, { email });
    const passwordHash = await this.hasher.hash(input.password);
    const name = input.name.trim();
    this.background.run('register', () =>
      this.completeRegistration(email, name, passwordHash, client),
    );
  }

  private async completeRegistration(
    email: string,
    name: string,
    passwordHash: string,
    client: ClientInfo,
  ): Promise<void> {
    const created = await this.transactions.run(async () => {
      const id = await this.users.createPending({ email, name, passwordHash });
      if (!id) return null;
      const link = await this.users.issueEmailToken(id, 'verify_email');
      await this.events.record({ type: 'register', outcome: 'success', client, userId: id });
      return { id, link };
    });
    if (created) {
      if (await this.mayMail(email)) this.mail.dispatch(templates.verifyEmail(email, created.link));
      return;
    }
    const existing = await this.users.findByEmail(email);
    await this.events.record({
      type: 'register',
      outcome: 'failure',
      client,
      userId: existing?.id,
      reason: 'email_taken',
    });
    if (!existing || !(await this.mayMail(email))) return;
    if (existing.status === 'pending_verification') {
      // Whoever registered first chose the password, and may not own the mailbox: confirming
      // that password would hand them the account. The owner chooses the password instead.
      const link = await this.transactions.run(async () => {
        await this.users.cancelEmailTokens(existing.id, ['verify_email']);
        return this.users.issueEmailToken(existing.id, 'reset_password');
      });
      this.mail.dispatch(templates.finishRegistration(email, link));
    } else {
      const base = this.config.mail.webAppUrl;
      this.mail.dispatch(
        templates.registrationAttempt(email, `${base}/login`, `${base}/forgot-password`),
      );
    }
  }

  /** Confirms an address: a new account's, or the new one of an email change. */
  async verifyEmail(token: string, client: ClientInfo): Promise<void> {
    const outcome = await this.transactions.run(async () => {
      const used = await this.users.consumeEmailToken(token, ['verify_email', 'change_email']);
      if (!used) return null;
      if (used.purpose === 'verify_email') {
        await this.users.markEmailVerified(used.userId);
        await this.events.record({
          type: 'email_verify',
          outcome: 'success',
          client,
          userId: used.userId,
        });
        return { changedTo: null };
      }
      const previous = await this.users.findById(used.userId);
      if (!previous || previous.status === 'suspended' || previous.status === 'deactivated') {
        return null;
      }
      if (!(await this.users.changeEmail(used.userId, used.newEmail!))) {
        throw new DomainError(UsersErrorCode.EmailTaken, 'Another account uses this address now.');
      }
      // A reset link mailed to the old address must not outlive the address.
      await this.users.cancelEmailTokens(used.userId, ['reset_password']);
      await this.events.record({
        type: 'email_change',
        outcome: 'success',
        client,
        userId: used.userId,
      });
      return { changedTo: used.newEmail!, previous: previous.email };
    });
    if (!outcome) {
      await this.events.record({
        type: 'email_verify',
        outcome: 'failure',
        client,
        reason: 'invalid_token',
      });
      throw this.invalidEmailToken();
    }
    if (outcome.changedTo !== null) this.mail.dispatch(templates.emailChanged(outcome.previous));
  }

  /** Answers before looking the address up; a pending account gets a new link after. */
  async resendVerification(email: string, client: ClientInfo): Promise<void> {
    await this.limitAccountRequests('email_verify_resend', client);
    this.background.run('email_verify_resend', async () => {
      const user = await this.users.findByEmail(email);
      if (!user || user.status !== 'pending_verification' || !(await this.mayMail(user.email))) {
        return;
      }
      const link = await this.users.issueEmailToken(user.id, 'verify_email');
      await this.events.record({
        type: 'email_verify_resend',
        outcome: 'success',
        client,
        userId: user.id,
      });
      this.mail.dispatch(templates.verifyEmail(user.email, link));
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
            error: new DomainError(
              AuthErrorCode.InvalidCredentials,
              'The email or password is not correct.',
            ),
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
      const challenge = await this.mfa.issueChallenge(userId, secondFactor, passwordHash);
      await this.events.record({
        type: 'mfa_challenge',
        outcome: 'success',
        client,
        userId,
        reason: secondFactor === 'login' ? 'mfa_required' : 'mfa_enrollment_required',
      });
      return {
        kind: 'second_factor',
        purpose: secondFactor,
        mfaToken: challenge.token,
        expiresIn: challenge.expiresIn,
      };
    }
    const now = new Date();
    // The session, its refresh token, last_login_at and the success event: one statement.
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
   * The hot path is two statements: the rotation (one atomic statement, which also requires the
   * account to be active) and the event. The rotation commits first; the success event is
   * written after it and a failure to write it is logged rather than answered with an error,
   * since a client that got no answer would retry with the rotated token and lose its session
   * as a reuse.
   */
  async refresh(refreshToken: string, client: ClientInfo): Promise<TokenPair> {
    const result = await this.sessions.rotate(refreshToken);
    if (result.outcome === 'inactive') {
      const { session } = result;
      await this.transactions.run(async () => {
        await this.sessions.revokeOne(session.userId, session.id, 'account_inactive');
        await this.events.record({
          type: 'refresh',
          outcome: 'failure',
          client,
          userId: session.userId,
          sessionId: session.id,
          reason: result.accountStatus ?? 'account_deleted',
        });
      });
      throw this.invalidRefreshToken();
    }
    if (result.outcome !== 'rotated') {
      const session = 'session' in result ? result.session : null;
      await this.events.record({
        type: result.outcome === 'reused' ? 'refresh_token_reuse' : 'refresh',
        outcome: 'failure',
        client,
        userId: session?.userId,
        sessionId: session?.id,
        reason: result.outcome,
      });
      throw this.invalidRefreshToken();
    }
    const { session } = result;
    const pair = await issueTokenPair(this.accessTokens, result);
    await this.events
      .record({
        type: 'refresh',
        outcome: 'success',
        client,
        userId: session.userId,
        sessionId: session.id,
      })
      .catch((error: unknown) =>
        this.logger.error(
          { err: error, session_id: session.id },
          'Could not record a refresh; the new token pair is answered anyway',
        ),
      );
    return pair;
  }

  async logout(principal: Principal, client: ClientInfo): Promise<void> {
    await this.sessions.revokeOne(principal.userId, principal.sessionId, 'logout');
    await this.events.record({
      type: 'logout',
      outcome: 'success',
      client,
      userId: principal.userId,
      sessionId: principal.sessionId,
    });
  }

  /** Ends every session and every open reset or email-change link: the "I was hacked" button. */
  async logoutAll(principal: Principal, client: ClientInfo): Promise<number> {
    const ended = await this.transactions.run(async () => {
      await this.users.cancelEmailTokens(principal.userId, ['reset_password', 'change_email']);
      return this.sessions.revokeAll(principal.userId, 'logout_all');
    });
    await this.events.record({
      type: 'logout_all',
      outcome: 'success',
      client,
      userId: principal.userId,
      sessionId: principal.sessionId,
    });
    return ended;
  }

  /** Ends one of the caller's own sessions; someone else's id is indistinguishable from none. */
  async revokeSession(principal: Principal, sessionId: string, client: ClientInfo): Promise<void> {
    if (!(await this.sessions.revokeOne(principal.userId, sessionId, 'revoked_by_user'))) {
      throw new DomainError(CommonErrorCode.NotFound, 'No such session.');
    }
    await this.events.record({
      type: 'session_revoke',
      outcome: 'success',
      client,
      userId: principal.userId,
      sessionId,
    });
  }

  listSessions(userId: string): Promise<Session[]> {
    return this.sessions.listLive(userId);
  }

  /** Answers before looking the address up; an account that may reset gets a link after. */
  async forgotPassword(email: string, client: ClientInfo): Promise<void> {
    await this.limitAccountRequests('password_forgot', client);
    this.background.run('password_forgot', async () => {
      const user = await this.users.findByEmail(email);
      if (!user || user.status === 'deactivated' || user.status === 'suspended') return;
      if (!(await this.mayMail(user.email))) return;
      const link = await this.users.issueEmailToken(user.id, 'reset_password');
      await this.events.record({
        type: 'password_forgot',
        outcome: 'success',
        client,
        userId: user.id,
      });
      this.mail.dispatch(templates.passwordReset(user.email, link));
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
      if (!user || user.status === 'deactivated' || user.status === 'suspended') return null;
      this.policy.assertAcceptable(input.password, { email: user.email });
      const hash = await this.hasher.hash(input.password);
      await this.users.setPasswordHash(user.id, hash);
      // Following the link proved control of the mailbox.
      if (user.emailVerifiedAt === null) await this.users.markEmailVerified(user.id);
      await this.sessions.revokeAll(user.id, 'password_reset');
      // An email change started by whoever knew the old password must not survive it.
      await this.users.cancelEmailTokens(user.id, ['change_email', 'reset_password']);
      await this.events.record({
        type: 'password_reset',
        outcome: 'success',
        client,
        userId: user.id,
      });
      return { email: user.email };
    });
    if (!reset) {
      await this.events.record({
        type: 'password_reset',
        outcome: 'failure',
        client,
        reason: 'invalid_token',
      });
      throw this.invalidEmailToken();
    }
    this.mail.dispatch(templates.passwordChanged(reset.email));
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
    await this.transactions.run(async () => {
      await this.users.setPasswordHash(user.id, hash);
      await this.sessions.revokeAll(user.id, 'password_change', { except: principal.sessionId });
      await this.users.cancelEmailTokens(user.id, ['change_email', 'reset_password']);
      await this.events.record({
        type: 'password_change',
        outcome: 'success',
        client,
        userId: user.id,
        sessionId: principal.sessionId,
      });
    });
    this.mail.dispatch(templates.passwordChanged(user.email));
  }

  /** Per-address mail budget; exceeding it is silent, so it reveals nothing about the address. */
  private async mayMail(email: string): Promise<boolean> {
    return (await this.rateLimiter.consume(`mail:${email}`, MAILS_PER_ADDRESS_PER_HOUR, HOUR_S))
      .allowed;
  }

  private async limitAccountRequests(type: AuthEventType, client: ClientInfo): Promise<void> {
    const { allowed, retryAfterSeconds } = await this.rateLimiter.consume(
      `account-requests:${clientNetworkKey(client.ip)}`,
      ACCOUNT_REQUESTS_PER_IP_PER_HOUR,
      HOUR_S,
    );
    if (!allowed) {
      await this.events.record({ type, outcome: 'failure', client, reason: 'throttled' });
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
