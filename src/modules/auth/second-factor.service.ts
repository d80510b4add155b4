import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ClientInfo } from '../../common/auth/client-info';
import { Principal } from '../../common/auth/principal';
import { AssuranceLevel, assuranceOf } from '../../common/auth/step-up.decorator';
import { DomainError } from '../../common/errors/domain-error';
import { AuthErrorCode, CommonErrorCode, MfaErrorCode } from '../../common/errors/error-code';
import { tooManyAttempts } from '../../common/throttle/too-many-attempts';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import { AccessService } from '../access/access.service';
import { Actor } from '../../common/auth/actor';
import { DomainEvents } from '../events/domain-events.service';
import {
  MfaService,
  passwordFingerprint,
  SecondFactorProof,
  TotpEnrollment,
} from '../mfa/mfa.service';
import { UsersService } from '../users/users.service';
import { AccessTokenService } from './access-token.service';
import { SessionService, StartedSession } from './session.service';
import { issueTokenPair, TokenPair } from './token-pair';

/** The methods (RFC 8176) of a login or step-up that presented a second factor. */
const PASSWORD_AND_CODE = ['pwd', 'otp'];

export interface SecondFactorLogin extends TokenPair {
  /** The new backup codes, when this login completed an enrollment; shown once. */
  backupCodes: string[] | null;
}

export interface SteppedUp {
  accessToken: string;
  expiresIn: number;
  acr: AssuranceLevel;
  authTime: Date;
}

/** How a signed-in user proves themselves again: their password, or a second factor. */
export type Reauthentication = { method: 'password'; password: string } | SecondFactorProof;

type CompletionOutcome =
  | { kind: 'invalid_token'; userId: string | null; reason: string }
  | { kind: 'throttled'; userId: string; retryAfter: number }
  | { kind: 'wrong_code'; userId: string; reason: string; attemptsLeft: number }
  | { kind: 'completed'; started: StartedSession; backupCodes: string[] | null };

/**
 * The flows that involve a second factor and a session: the second step of a login (with an
 * `mfa_token` from the first), enrolling during a login that must, step-up of a signed-in user,
 * a user's removal of their factor and an administrator's reset. They are the auth module's, over
 * the mfa module's MfaService, so that the dependency between the two runs one way.
 */
@Injectable()
export class SecondFactorService {
  constructor(
    private readonly mfa: MfaService,
    private readonly users: UsersService,
    private readonly sessions: SessionService,
    private readonly accessTokens: AccessTokenService,
    private readonly events: DomainEvents,
    private readonly access: AccessService,
    private readonly transactions: Transactions,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Starts the enrollment of a login that must enroll (`mfa_token` of purpose `enroll`): the
   * token allows nothing else, and stays open until the login completes with a first code.
   */
  async enrollDuringLogin(mfaToken: string, client: ClientInfo): Promise<TotpEnrollment> {
    const user = await this.transactions.run(async () => {
      const challenge = await this.mfa.openChallenge(mfaToken);
      if (!challenge || challenge.purpose !== 'enroll') return null;
      const found = await this.users.findWithPasswordHash(challenge.userId);
      if (!found || !this.stillBound(challenge.passwordFingerprint, found)) return null;
      return found.user;
    });
    if (!user) {
      await this.events.emit(
        'auth.attempt.failed',
        { attempt: 'mfa_enroll', reason: 'invalid_mfa_token', user_id: null, session_id: null },
        { client },
      );
      throw invalidMfaToken();
    }
    return this.mfa.startTotpEnrollment(user.id, user.email, client);
  }

  /**
   * The second step of a login: the `mfa_token` and a code (or a backup code) give the token
   * pair, with `amr` ["pwd", "otp"] (["fed", "otp"] after an identity provider) and `acr` aal2. For an `enroll` token the code activates
   * the pending factor and the answer carries the new backup codes. The token is locked while it
   * is checked and used once; each wrong code counts against it (burnt at the fifth) and against
   * the user's throttle.
   */
  async completeLogin(
    mfaToken: string,
    proof: SecondFactorProof,
    client: ClientInfo,
  ): Promise<SecondFactorLogin> {
    const now = new Date();
    const outcome = await this.transactions.run(async (): Promise<CompletionOutcome> => {
      const challenge = await this.mfa.openChallenge(mfaToken, now);
      if (!challenge) return { kind: 'invalid_token', userId: null, reason: 'invalid_mfa_token' };
      const { userId } = challenge;
      const found = await this.users.findWithPasswordHash(userId);
      if (!found || !this.stillBound(challenge.passwordFingerprint, found)) {
        await this.mfa.consumeChallenge(challenge.id, now);
        return { kind: 'invalid_token', userId, reason: 'account_changed' };
      }
      const retryAfter = await this.mfa.acquireAttempt(userId, client);
      if (retryAfter > 0) return { kind: 'throttled', userId, retryAfter };
      let backupCodes: string[] | null = null;
      let failure: string | null = null;
      if (challenge.purpose === 'enroll') {
        const activated =
          proof.method === 'totp'
            ? await this.mfa.activatePending(userId, proof.code, client, null, now)
            : ({ ok: false, reason: 'backup_code_before_enrollment' } as const);
        if (activated.ok) backupCodes = activated.value;
        else failure = activated.reason;
      } else {
        const check = await this.mfa.checkProof(userId, proof, now);
        if (!check.ok) failure = check.reason;
      }
      if (failure !== null) {
        const attemptsLeft = await this.mfa.challengeFailed(challenge.id, now);
        return { kind: 'wrong_code', userId, reason: failure, attemptsLeft };
      }
      await this.mfa.consumeChallenge(challenge.id, now);
      const started = await this.sessions.start(
        userId,
        { amr: [challenge.firstFactor, 'otp'], authTime: now },
        client,
        now,
      );
      await this.events.emit(
        'user.mfa.verified',
        { user_id: userId, method: proof.method, session_id: started.session.id },
        { client },
      );
      return { kind: 'completed', started, backupCodes };
    });
    switch (outcome.kind) {
      case 'completed': {
        await this.mfa.attemptSucceeded(outcome.started.session.userId, client);
        const pair = await issueTokenPair(this.accessTokens, outcome.started);
        return { ...pair, backupCodes: outcome.backupCodes };
      }
      case 'invalid_token':
        await this.recordFailure(outcome.userId, client, outcome.reason);
        throw invalidMfaToken();
      case 'throttled':
        await this.recordFailure(outcome.userId, client, 'throttled');
        throw tooManyAttempts(outcome.retryAfter);
      case 'wrong_code':
        await this.recordFailure(outcome.userId, client, outcome.reason);
        throw new DomainError(
          MfaErrorCode.InvalidMfaCode,
          outcome.attemptsLeft > 0
            ? 'The code is not correct.'
            : 'The code is not correct, and this mfa_token is used up: sign in again.',
          { extensions: { attempts_remaining: outcome.attemptsLeft } },
        );
    }
  }

  /**
   * Re-authentication within the session (RFC 9470 step-up): the password gives `amr` ["pwd"]
   * and `acr` aal1; a code or backup code gives ["pwd", "otp"] and aal2 (the session was opened
   * with the password). The session records it, so its later access tokens carry it too.
   */
  async stepUp(
    principal: Principal,
    proof: Reauthentication,
    client: ClientInfo,
  ): Promise<SteppedUp> {
    await this.reauthenticate(principal, proof, client, 'step_up');
    const amr = proof.method === 'password' ? ['pwd'] : PASSWORD_AND_CODE;
    const now = new Date();
    await this.transactions.run(async () => {
      const session = await this.sessions.reauthenticate(
        principal.userId,
        principal.sessionId,
        { amr, authTime: now },
        now,
      );
      if (!session) {
        throw new DomainError(AuthErrorCode.InvalidToken, 'This session has ended.');
      }
      await this.events.emit(
        'user.session.reauthenticated',
        { user_id: principal.userId, session_id: principal.sessionId, method: proof.method, amr },
        { client },
      );
    });
    const access = await this.accessTokens.issue({
      userId: principal.userId,
      sessionId: principal.sessionId,
      amr,
      authTime: now,
    });
    return {
      accessToken: access.token,
      expiresIn: access.expiresIn,
      acr: assuranceOf(amr),
      authTime: now,
    };
  }

  /**
   * Removes the user's authenticator app and backup codes: needs the password and a current
   * code (or a backup code, for a lost phone). Optionally ends every other session. Returns how
   * many sessions ended.
   */
  async removeFactor(
    principal: Principal,
    input: { password: string; proof: SecondFactorProof; endOtherSessions: boolean },
    client: ClientInfo,
  ): Promise<number> {
    const required = this.config.mfa.requiredRoles;
    if (
      required.length > 0 &&
      (await this.access.rolesOfUser(principal.userId)).some((role) => required.includes(role))
    ) {
      throw new DomainError(
        MfaErrorCode.MfaRequiredByRole,
        'A role of this account requires a second factor; it cannot be removed.',
      );
    }
    await this.reauthenticate(
      principal,
      { method: 'password', password: input.password },
      client,
      'mfa_disable',
    );
    await this.reauthenticate(principal, input.proof, client, 'mfa_disable');
    return this.transactions.run(async () => {
      await this.mfa.removeFactors(principal.userId, client, principal.sessionId);
      if (!input.endOtherSessions) return 0;
      return this.sessions.revokeAll(
        principal.userId,
        'mfa_disabled',
        { client },
        { except: principal.sessionId, bySessionId: principal.sessionId },
      );
    });
  }

  /**
   * An administrator's reset of another user's factors (a lost phone and lost backup codes). It
   * also ends every session of the user: they sign in again, with the password alone or, where a
   * role requires a factor, enrolling a new one. Administrators remove their own factor as any
   * user does, with their password and a code.
   */
  async resetByAdministrator(userId: string, actor: Actor): Promise<void> {
    if (actor.type === 'user' && actor.id === userId) {
      throw new DomainError(
        CommonErrorCode.Forbidden,
        'Remove your own factor with DELETE /v1/mfa/totp (password and code).',
      );
    }
    await this.transactions.run(async () => {
      await this.mfa.resetByAdministrator(userId, actor);
      await this.sessions.revokeAll(userId, 'mfa_reset', { actor });
    });
  }

  private async reauthenticate(
    principal: Principal,
    proof: Reauthentication,
    client: ClientInfo,
    eventType: 'step_up' | 'mfa_disable',
  ): Promise<void> {
    if (proof.method !== 'password') {
      await this.mfa.verify(principal.userId, proof, client, eventType, principal.sessionId);
      return;
    }
    const found = await this.users.findWithPasswordHash(principal.userId);
    if (!found) throw new DomainError(CommonErrorCode.NotFound, 'The account no longer exists.');
    await this.users.assertCurrentPassword(
      found.user,
      found.passwordHash,
      proof.password,
      client,
      eventType,
    );
  }

  /** The challenge still belongs to an active account whose password is the one verified. */
  private stillBound(
    fingerprint: Buffer,
    found: { user: { status: string }; passwordHash: string | null },
  ): boolean {
    const current = passwordFingerprint(found.passwordHash);
    return found.user.status === 'active' && timingSafeEqual(current, fingerprint);
  }

  private async recordFailure(
    userId: string | null,
    client: ClientInfo,
    reason: string,
  ): Promise<void> {
    await this.events.emit(
      'auth.attempt.failed',
      { attempt: 'mfa_verify', reason, user_id: userId, session_id: null },
      { client },
    );
  }
}

function invalidMfaToken(): DomainError {
  return new DomainError(
    MfaErrorCode.InvalidMfaToken,
    'The mfa_token is invalid, has expired or was already used: sign in again.',
  );
}
