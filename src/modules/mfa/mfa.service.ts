import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ClientInfo } from '../../common/auth/client-info';
import { EnvelopeCipher } from '../../common/crypto/envelope-cipher';
import { issueOpaqueToken, presentedTokenHash } from '../../common/crypto/opaque-token';
import { PasswordHasher } from '../../common/crypto/password-hasher';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode, MfaErrorCode } from '../../common/errors/error-code';
import { LoginThrottle } from '../../common/throttle/login-throttle.service';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import { Actor } from '../../common/auth/actor';
import { AuthAttempt } from '../events/catalogue/account-events';
import { DomainEvents } from '../events/domain-events.service';
import { CredentialAttempts } from '../users/credential-attempts.service';
import { UsersService } from '../users/users.service';
import { BACKUP_CODE_COUNT, newBackupCode, normalizeBackupCode } from './backup-codes';
import { encodeBase32 } from './base32';
import { MfaChallenge } from './mfa-challenge.entity';
import { MfaChallengePurpose } from './mfa-challenge-purpose';
import { MfaRepository } from './mfa.repository';
import { otpauthUri } from './otpauth-uri';
import { qrCodeDataUrl } from './qr-code';
import { matchTotpStep } from './totp';

/** Wrong codes after which an `mfa_token` is burnt. */
export const MFA_MAX_FAILED_ATTEMPTS = 5;
/** Lifetime of the `mfa_token` of a login that owes its second factor. */
export const MFA_TOKEN_TTL_SECONDS = 5 * 60;
/** 160 bits, the size RFC 4226 recommends and the HMAC-SHA-1 block of authenticator apps. */
const TOTP_SEED_BYTES = 20;
/** Steps of clock drift accepted either way (RFC 6238 §5.2 recommends at most one). */
const TOTP_DRIFT_STEPS = 1;
const TOTP_CODE = /^[0-9]{6}$/;

/** A second factor as presented: a code from the authenticator app, or a backup code. */
export type SecondFactorProof =
  { method: 'totp'; code: string } | { method: 'backup_code'; code: string };

export type ProofCheck =
  | { ok: true; method: SecondFactorProof['method'] }
  | { ok: false; reason: 'wrong_code' | 'replayed_code' | 'mfa_not_enabled' };

export interface MfaStatus {
  totp: 'none' | 'pending' | 'active';
  activatedAt: Date | null;
  backupCodesRemaining: number;
}

export interface TotpEnrollment {
  /** The seed in base32, for typing into an app that cannot scan. */
  secret: string;
  otpauthUri: string;
  /** The otpauth URI as a QR code, a PNG data URL. */
  qrCode: string;
}

export interface IssuedChallenge {
  token: string;
  expiresIn: number;
}

/** What a presented `mfa_token` was issued for; locked until the transaction ends. */
export type OpenChallenge = Pick<
  MfaChallenge,
  'id' | 'userId' | 'purpose' | 'failedAttempts' | 'firstFactor'
> & {
  passwordFingerprint: Buffer;
};

/** Binds an `mfa_token` to the password hash whose verification issued it. */
export function passwordFingerprint(passwordHash: string | null): Buffer {
  return createHash('sha256')
    .update(passwordHash ?? '', 'utf8')
    .digest();
}

export const sealContext = (userId: string) => `mfa_totp:${userId}`;

/**
 * The account name apps show under the issuer. A colon separates the two in the otpauth label
 * (and apps split on its encoded form too); an address can hold one in a quoted local part.
 */
const accountLabel = (email: string) => email.replaceAll(':', '.');

/**
 * Second factors: authenticator apps (RFC 6238 TOTP: SHA-1, six digits, 30 s, one step of drift
 * either way) with a set of single-use backup codes, and the `mfa_token`s of logins that owe one.
 *
 * A code is accepted once: the time step of the last accepted code is stored, and only later
 * steps are accepted. Every check takes the lock of the user's factor row first, so concurrent
 * submissions of one code or one backup code are decided one after the other: exactly one
 * succeeds. Failures count against a per-user throttle shaped like the password one.
 */
@Injectable()
export class MfaService {
  constructor(
    private readonly repository: MfaRepository,
    private readonly cipher: EnvelopeCipher,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly credentials: CredentialAttempts,
    private readonly events: DomainEvents,
    private readonly users: UsersService,
    private readonly transactions: Transactions,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async status(userId: string): Promise<MfaStatus> {
    const totp = await this.repository.findTotp(userId);
    const active = totp?.status === 'active';
    return {
      totp: totp?.status ?? 'none',
      activatedAt: active ? totp.activatedAt : null,
      backupCodesRemaining: active ? await this.repository.countUnusedBackupCodes(userId) : 0,
    };
  }

  /**
   * A new seed (160 bits from the CSPRNG), stored sealed as `pending`, replacing a pending one.
   * Refused while a factor is active: replacing it takes removing it first (password and code).
   */
  async startTotpEnrollment(
    userId: string,
    accountName: string,
    client: ClientInfo,
  ): Promise<TotpEnrollment> {
    const seed = randomBytes(TOTP_SEED_BYTES);
    const sealed = this.cipher.encrypt(seed, sealContext(userId));
    // Made before anything is stored: a label the URI cannot carry changes nothing.
    const uri = otpauthUri({
      issuer: this.config.mfa.issuer,
      account: accountLabel(accountName),
      secret: seed,
    });
    const qrCode = await qrCodeDataUrl(uri);
    await this.transactions.run(async () => {
      if ((await this.repository.lockTotp(userId))?.status === 'active') {
        throw new DomainError(
          MfaErrorCode.MfaAlreadyEnabled,
          'An authenticator app is already active; remove it before enrolling another.',
        );
      }
      await this.repository.savePendingTotp(userId, sealed);
      await this.events.emit(
        'user.mfa.enrollment_started',
        { user_id: userId, factor: 'totp' },
        { client },
      );
    });
    return { secret: encodeBase32(seed), otpauthUri: uri, qrCode };
  }

  /**
   * Activates the pending factor with a first code from the app and returns a new set of backup
   * codes, shown once. A wrong code leaves the factor pending.
   */
  async activateTotp(
    userId: string,
    code: string,
    client: ClientInfo,
    sessionId: string | null,
  ): Promise<string[]> {
    return this.attempt(userId, client, 'mfa_activate', sessionId, () =>
      this.transactions.run(() => this.activatePending(userId, code, client, sessionId)),
    );
  }

  /**
   * The activation step, in the caller's transaction: the pending factor becomes active if
   * `code` is right, with a new set of backup codes. Problems for a missing or already active
   * factor are thrown; a wrong code is returned, for the caller to count.
   */
  async activatePending(
    userId: string,
    code: string,
    client: ClientInfo,
    sessionId: string | null,
    now = new Date(),
  ): Promise<{ ok: true; value: string[] } | { ok: false; reason: 'wrong_code' }> {
    const factor = await this.repository.lockTotp(userId);
    if (factor?.status === 'active') {
      throw new DomainError(
        MfaErrorCode.MfaAlreadyEnabled,
        'The authenticator app is already active.',
      );
    }
    if (!factor) {
      throw new DomainError(
        MfaErrorCode.MfaEnrollmentNotStarted,
        'There is no pending authenticator app to activate; enroll first.',
      );
    }
    const seed = this.cipher.decrypt(factor.secretSealed, sealContext(userId));
    const step = TOTP_CODE.test(code)
      ? matchTotpStep(seed, code, now.getTime(), { window: TOTP_DRIFT_STEPS })
      : null;
    if (step === null) return { ok: false, reason: 'wrong_code' };
    await this.repository.activateTotp(userId, step, now);
    const { codes, hashes } = await this.newBackupCodeSet();
    await this.repository.replaceBackupCodes(userId, hashes);
    // A login that was asked to enroll must now present a code, not enroll again.
    await this.repository.consumeOpenChallenges(userId, now);
    await this.events.emit(
      'user.mfa.enrolled',
      { user_id: userId, factor: 'totp', session_id: sessionId },
      { client },
    );
    return { ok: true, value: codes };
  }

  /** A new set of backup codes, shown once; the old set stops working. */
  async regenerateBackupCodes(
    userId: string,
    client: ClientInfo,
    sessionId: string,
  ): Promise<string[]> {
    // Hashed before the factor is locked: ten argon2 hashes are no work to hold a lock over.
    const { codes, hashes } = await this.newBackupCodeSet();
    return this.transactions.run(async () => {
      if ((await this.repository.lockTotp(userId))?.status !== 'active') throw this.notEnabled();
      await this.repository.replaceBackupCodes(userId, hashes);
      await this.events.emit(
        'user.mfa.backup_codes_regenerated',
        { user_id: userId, count: codes.length, session_id: sessionId },
        { client },
      );
      return codes;
    });
  }

  /**
   * Checks a second factor of the user, throttled and recorded as `eventType`; a wrong code is
   * a 403 `invalid_current_mfa_code`, a locked throttle a 429. For re-authentication of a
   * signed-in user.
   */
  async verify(
    userId: string,
    proof: SecondFactorProof,
    client: ClientInfo,
    eventType: AuthAttempt,
    sessionId: string,
  ): Promise<SecondFactorProof['method']> {
    return this.attempt(userId, client, eventType, sessionId, async () => {
      const check = await this.transactions.run(() => this.checkProof(userId, proof));
      return check.ok ? { ok: true, value: check.method } : check;
    });
  }

  /**
   * Checks a second factor in the caller's transaction and, if right, uses it up (the step, or
   * the backup code). Not throttled: callers charge the throttle (`acquireAttempt`) first.
   */
  async checkProof(
    userId: string,
    proof: SecondFactorProof,
    now = new Date(),
  ): Promise<ProofCheck> {
    const factor = await this.repository.lockTotp(userId);
    if (factor?.status !== 'active') return { ok: false, reason: 'mfa_not_enabled' };
    if (proof.method === 'backup_code') {
      const normalized = normalizeBackupCode(proof.code);
      const unused = await this.repository.unusedBackupCodes(userId);
      if (normalized === null || unused.length === 0) return { ok: false, reason: 'wrong_code' };
      // Every unused code is checked, so the time does not tell which one matched.
      const matches = await Promise.all(
        unused.map(async ({ id, codeHash }) => {
          const { valid } = await this.hasher.verify(codeHash, normalized);
          return valid ? id : null;
        }),
      );
      const match = matches.find((id) => id !== null);
      if (!match || !(await this.repository.useBackupCode(match, now))) {
        return { ok: false, reason: 'wrong_code' };
      }
      return { ok: true, method: 'backup_code' };
    }
    if (!TOTP_CODE.test(proof.code)) return { ok: false, reason: 'wrong_code' };
    const seed = this.cipher.decrypt(factor.secretSealed, sealContext(userId));
    const lastUsed = factor.lastUsedStep === null ? null : Number(factor.lastUsedStep);
    const step = matchTotpStep(seed, proof.code, now.getTime(), {
      window: TOTP_DRIFT_STEPS,
      after: lastUsed,
    });
    if (step === null) {
      const replayed =
        lastUsed !== null &&
        matchTotpStep(seed, proof.code, now.getTime(), { window: TOTP_DRIFT_STEPS }) !== null;
      return { ok: false, reason: replayed ? 'replayed_code' : 'wrong_code' };
    }
    await this.repository.setLastUsedStep(userId, step);
    return { ok: true, method: 'totp' };
  }

  /** Removes the user's factors (by the user, with password and code checked by the caller). */
  async removeFactors(userId: string, client: ClientInfo, sessionId: string): Promise<void> {
    await this.transactions.run(async () => {
      if (!(await this.repository.deleteFactors(userId))) throw this.notEnabled();
      await this.repository.consumeOpenChallenges(userId, new Date());
      await this.events.emit(
        'user.mfa.removed',
        { user_id: userId, by: 'user', removed: true, session_id: sessionId },
        { client },
      );
    });
  }

  /**
   * An administrator's reset of a user's factors (a lost phone and lost backup codes): the user
   * signs in with the password alone, or enrolls again where their role requires a factor.
   * An unknown user is a 404; a user without factors is reset all the same (recorded so).
   */
  async resetByAdministrator(userId: string, actor: Actor): Promise<void> {
    await this.transactions.run(async () => {
      if ((await this.users.statusOf(userId)) === null) {
        throw new DomainError(CommonErrorCode.NotFound, 'No such user.');
      }
      const removed = await this.repository.deleteFactors(userId);
      await this.repository.consumeOpenChallenges(userId, new Date());
      await this.events.emit(
        'user.mfa.removed',
        { user_id: userId, by: 'administrator', removed, session_id: null },
        { actor },
      );
    });
  }

  /**
   * A new `mfa_token` for a login whose first step succeeded (`passwordHash`: the account's hash
   * then; `firstFactor`: `pwd`, or `fed` for a sign-in through an identity provider); null when
   * the account was erased meanwhile.
   */
  async issueChallenge(
    userId: string,
    purpose: MfaChallengePurpose,
    passwordHash: string | null,
    client: ClientInfo,
    now = new Date(),
    firstFactor = 'pwd',
  ): Promise<IssuedChallenge | null> {
    const ttl = MFA_TOKEN_TTL_SECONDS;
    const { token, hash } = issueOpaqueToken('mfa');
    const issued = await this.transactions.run(async () => {
      const inserted = await this.repository.insertChallenge({
        userId,
        purpose,
        tokenHash: hash,
        passwordFingerprint: passwordFingerprint(passwordHash),
        firstFactor,
        expiresAt: new Date(now.getTime() + ttl * 1000),
      });
      if (!inserted) return false;
      await this.events.emit('user.mfa.challenged', { user_id: userId, purpose }, { client });
      return true;
    });
    return issued ? { token, expiresIn: ttl } : null;
  }

  /**
   * The usable challenge of a presented `mfa_token`, locked, with its user's factor locked
   * before it (the order every path takes); null when there is none.
   */
  async openChallenge(token: string, now = new Date()): Promise<OpenChallenge | null> {
    const hash = presentedTokenHash('mfa', token);
    const owner = hash && (await this.repository.challengeOwner(hash));
    if (!owner) return null;
    await this.repository.lockTotp(owner);
    return this.repository.lockUsableChallenge(hash, now);
  }

  consumeChallenge(challengeId: string, now = new Date()): Promise<void> {
    return this.repository.consumeChallenge(challengeId, now);
  }

  /** Counts a wrong code against the challenge; returns the attempts left (0: it is burnt). */
  async challengeFailed(challengeId: string, now = new Date()): Promise<number> {
    const failed = await this.repository.recordChallengeFailure(
      challengeId,
      MFA_MAX_FAILED_ATTEMPTS,
      now,
    );
    return Math.max(0, MFA_MAX_FAILED_ATTEMPTS - failed);
  }

  /**
   * Charges a second-factor attempt of the user to the throttle before the code is checked
   * (see LoginThrottle: per user and network, per user, per network); > 0: refused, retry after
   * that many seconds. Only for the second step of a login, whose user is known once its
   * `mfa_token` is locked and whose wrong codes must also count against that token in the same
   * transaction; every other attempt goes through CredentialAttempts.
   */
  async acquireAttempt(userId: string, client: ClientInfo): Promise<number> {
    return (await this.throttle.acquire(this.throttleKeys(userId, client))).retryAfterSeconds;
  }

  /** The code was right: the user's counters start afresh. */
  attemptSucceeded(userId: string, client: ClientInfo): Promise<void> {
    return this.throttle.succeeded(this.throttleKeys(userId, client));
  }

  /** `work` as an attempt at a credential of the user, its failure recorded as `eventType`. */
  private attempt<T>(
    userId: string,
    client: ClientInfo,
    eventType: AuthAttempt,
    sessionId: string | null,
    work: () => Promise<{ ok: true; value: T } | { ok: false; reason: string }>,
  ): Promise<T> {
    return this.credentials.attempt({
      keys: this.throttleKeys(userId, client),
      event: { type: eventType, client, userId, sessionId },
      check: async () => {
        const result = await work();
        if (result.ok) return result;
        const error =
          result.reason === 'mfa_not_enabled'
            ? this.notEnabled()
            : new DomainError(MfaErrorCode.InvalidCurrentMfaCode, 'The code is not correct.');
        return { ok: false, reason: result.reason, error };
      },
    });
  }

  private async newBackupCodeSet(): Promise<{ codes: string[]; hashes: string[] }> {
    const codes = Array.from({ length: BACKUP_CODE_COUNT }, newBackupCode);
    const hashes = await Promise.all(
      codes.map((code) => this.hasher.hash(normalizeBackupCode(code)!)),
    );
    return { codes, hashes };
  }

  private throttleKeys(userId: string, client: ClientInfo) {
    return { account: `mfa:${userId}`, ip: client.ip };
  }

  private notEnabled(): DomainError {
    return new DomainError(
      MfaErrorCode.MfaNotEnabled,
      'No authenticator app is active on this account.',
    );
  }
}
