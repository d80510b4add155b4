import { Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import { isConstraintViolation } from '../../database/constraint-violations';
import { Transactions } from '../../database/transactions';
import { PurgesExpired } from '../retention/retention-purge.decorator';
import { BackupCode } from './backup-code.entity';
import { MfaChallenge } from './mfa-challenge.entity';
import { MfaChallengePurpose } from './mfa-challenge-purpose';
import { TotpFactor } from './totp-factor.entity';

/** The stored second factors of users and the pending second steps of their logins. */
@Injectable()
export class MfaRepository {
  constructor(private readonly transactions: Transactions) {}

  private get factors() {
    return this.transactions.manager().getRepository(TotpFactor);
  }

  private get backupCodes() {
    return this.transactions.manager().getRepository(BackupCode);
  }

  private get challenges() {
    return this.transactions.manager().getRepository(MfaChallenge);
  }

  findTotp(userId: string): Promise<TotpFactor | null> {
    return this.factors.findOneBy({ userId });
  }

  /**
   * The user's factor, locked until the transaction ends: every verification of a user's second
   * factor takes this lock first, so two submissions of one code or one backup code are decided
   * one after the other. Every path that locks several of a user's MFA rows locks this one
   * before their backup codes and challenges (no deadlock between them).
   */
  async lockTotp(userId: string): Promise<TotpFactor | null> {
    return this.factors
      .createQueryBuilder('f')
      .where('f.userId = :userId', { userId })
      .setLock('pessimistic_write')
      .getOne();
  }

  /** A new pending factor, replacing a pending one; never an active one (the caller checked). */
  async savePendingTotp(userId: string, secretSealed: string): Promise<void> {
    await this.transactions.manager().query(
      `INSERT INTO mfa_totp_factors (user_id, secret_sealed, status) VALUES ($1, $2, 'pending')
       ON CONFLICT (user_id) DO UPDATE SET secret_sealed = EXCLUDED.secret_sealed, created_at = now()
       WHERE mfa_totp_factors.status = 'pending'`,
      [userId, secretSealed],
    );
  }

  async activateTotp(userId: string, step: number, at: Date): Promise<void> {
    await this.factors.update(
      { userId },
      { status: 'active', activatedAt: at, lastUsedStep: String(step) },
    );
  }

  async setLastUsedStep(userId: string, step: number): Promise<void> {
    await this.factors.update({ userId }, { lastUsedStep: String(step) });
  }

  /** Removes the factor and its backup codes; true when there was a factor. */
  async deleteFactors(userId: string): Promise<boolean> {
    // The factor row first: every path locks it before the codes and the challenges.
    const deleted = await this.factors.delete({ userId });
    await this.backupCodes.delete({ userId });
    return (deleted.affected ?? 0) > 0;
  }

  /** Replaces the user's set of backup codes. */
  async replaceBackupCodes(userId: string, codeHashes: string[]): Promise<void> {
    await this.backupCodes.delete({ userId });
    await this.backupCodes.insert(codeHashes.map((codeHash) => ({ userId, codeHash })));
  }

  unusedBackupCodes(userId: string): Promise<Pick<BackupCode, 'id' | 'codeHash'>[]> {
    return this.backupCodes.find({
      select: { id: true, codeHash: true },
      where: { userId, usedAt: IsNull() },
      order: { id: 'ASC' },
    });
  }

  countUnusedBackupCodes(userId: string): Promise<number> {
    return this.backupCodes.countBy({ userId, usedAt: IsNull() });
  }

  /** When each of the user's backup codes was made and used: never the codes' hashes. */
  backupCodeUses(userId: string): Promise<Pick<BackupCode, 'createdAt' | 'usedAt'>[]> {
    return this.backupCodes.find({
      select: { createdAt: true, usedAt: true },
      where: { userId },
      order: { id: 'ASC' },
    });
  }

  /** Marks a code used; false when it already was (the caller holds the factor lock anyway). */
  async useBackupCode(id: string, at: Date): Promise<boolean> {
    const updated = await this.backupCodes.update({ id, usedAt: IsNull() }, { usedAt: at });
    return (updated.affected ?? 0) > 0;
  }

  async insertChallenge(challenge: {
    userId: string;
    purpose: MfaChallengePurpose;
    tokenHash: Buffer;
    passwordFingerprint: Buffer;
    firstFactor: string;
    expiresAt: Date;
  }): Promise<boolean> {
    try {
      await this.challenges.insert(challenge);
      return true;
    } catch (error) {
      // The account was erased since its password was checked.
      if (isConstraintViolation(error, 'foreign_key')) return false;
      throw error;
    }
  }

  /** The user a challenge belongs to, whatever its state; nothing locked. */
  async challengeOwner(tokenHash: Buffer): Promise<string | null> {
    return (await this.challenges.findOneBy({ tokenHash }))?.userId ?? null;
  }

  /** An unconsumed, unexpired challenge, locked until the transaction ends. */
  async lockUsableChallenge(tokenHash: Buffer, now: Date): Promise<MfaChallenge | null> {
    return this.challenges
      .createQueryBuilder('c')
      .where('c.tokenHash = :tokenHash', { tokenHash })
      .andWhere('c.consumedAt IS NULL')
      .andWhere('c.expiresAt > :now', { now })
      .setLock('pessimistic_write')
      .getOne();
  }

  async consumeChallenge(id: string, at: Date): Promise<void> {
    await this.challenges.update({ id }, { consumedAt: at });
  }

  /** Counts a wrong code; the challenge is burnt (consumed) once it reached `maxFailures`. */
  async recordChallengeFailure(id: string, maxFailures: number, at: Date): Promise<number> {
    const rows = await this.transactions.manager().query<{ failed_attempts: number }[]>(
      `WITH counted AS (
         UPDATE mfa_challenges SET failed_attempts = failed_attempts + 1,
           consumed_at = CASE WHEN failed_attempts + 1 >= $2 THEN $3::timestamptz END
         WHERE id = $1 RETURNING failed_attempts
       )
       SELECT failed_attempts FROM counted`,
      [id, maxFailures, at],
    );
    return rows[0].failed_attempts;
  }

  /** Ends every open challenge of the user (their factors changed under them). */
  async consumeOpenChallenges(userId: string, at: Date): Promise<void> {
    await this.challenges.update({ userId, consumedAt: IsNull() }, { consumedAt: at });
  }

  /**
   * Deletes up to `limit` challenges spent before `before`: used, burnt or ended
   * (`consumed_at`) or expired, whichever came first (IDX_mfa_challenges_spent_at). Rows another
   * transaction holds (a second step being checked right now) are skipped.
   */
  @PurgesExpired({
    kind: 'mfa_challenges',
    retentionDays: (config) => config.retention.mfaChallengesDays,
  })
  async purgeSpentChallenges(before: Date, limit: number): Promise<number> {
    const rows = await this.transactions.manager().query<{ id: string }[]>(
      `WITH gone AS (
         DELETE FROM mfa_challenges WHERE id IN (
           SELECT id FROM mfa_challenges WHERE LEAST(consumed_at, expires_at) < $1
            ORDER BY LEAST(consumed_at, expires_at) LIMIT $2 FOR UPDATE SKIP LOCKED
         ) RETURNING id
       )
       SELECT id FROM gone`,
      [before, limit],
    );
    return rows.length;
  }
}
