import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { Actor, systemActor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode, UsersErrorCode } from '../../common/errors/error-code';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import { UserRolesService } from '../access/user-roles.service';
import { SessionService } from '../auth/session.service';
import { EventOrigin } from '../events/domain-events.service';
import { JobHandler, JobOutcome } from '../events/jobs/job-handler.decorator';
import { MailService } from '../mail/mail.service';
import { UsersService } from '../users/users.service';

export const ERASE_DUE_QUEUE = 'privacy.erase_due';
const DAY_MS = 24 * 60 * 60 * 1000;
/** Accounts erased per run of the job, each in a transaction of its own. */
const ERASURES_PER_RUN = 500;

/**
 * Erasure (GDPR Art. 17). A user who deletes their account has it erased after
 * ACCOUNT_DELETION_GRACE_DAYS (at once with 0), their sessions ended at once and signing in
 * before cancelling it; an administrator's erasure is immediate. Erasing is one transaction:
 * `user.deleted` is told, and each module forgets what it holds of the person that does not go
 * with the account's row (the audit log's key of the person is destroyed, the event log's copies
 * of their data blanked), then the row is deleted and every table referencing it cascades.
 * Neither the last active administrator nor, through the admin API, oneself can be erased.
 */
@Injectable()
export class AccountErasure {
  private readonly logger = new Logger(AccountErasure.name);

  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
    private readonly userRoles: UserRolesService,
    private readonly mail: MailService,
    private readonly transactions: Transactions,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The user's own request: the account is erased at the returned time, or now (null) without
   * a grace period. Their sessions end either way.
   */
  async requestOwn(userId: string, origin: EventOrigin, now = new Date()): Promise<Date | null> {
    const graceDays = this.config.privacy.deletionGraceDays;
    if (graceDays === 0) {
      await this.erase(userId, origin, { scheduled: false });
      return null;
    }
    const dueAt = new Date(now.getTime() + graceDays * DAY_MS);
    await this.transactions.run(async () => {
      await this.userRoles.assertAdministratorRemainsWithout(userId);
      await this.users.scheduleDeletion(userId, now, dueAt, origin);
      await this.sessions.revokeAll(userId, 'account_deletion_requested', origin);
    });
    return dueAt;
  }

  /** An administrator's erasure of another account, at once. */
  async eraseByAdministrator(userId: string, actor: Actor): Promise<void> {
    if (actor.type === 'user' && actor.id === userId) {
      throw new DomainError(
        UsersErrorCode.SelfLockout,
        'You cannot erase your own account through the admin API: use DELETE /v1/users/me.',
      );
    }
    await this.erase(userId, { actor }, { scheduled: false });
  }

  /** Erases the accounts whose grace period is over; answers how many it erased. */
  async eraseDue(now = new Date()): Promise<number> {
    let erased = 0;
    for (const userId of await this.users.dueForDeletion(now, ERASURES_PER_RUN)) {
      try {
        if (
          await this.erase(
            userId,
            { actor: systemActor(ERASE_DUE_QUEUE) },
            { scheduled: true, dueBy: now },
          )
        ) {
          erased++;
        }
      } catch (error) {
        // The last administrator stays until another is named; the others go on.
        if (!(error instanceof DomainError)) throw error;
        this.logger.warn({ user_id: userId, code: error.code }, 'A due erasure was refused');
      }
    }
    return erased;
  }

  @JobHandler({
    name: ERASE_DUE_QUEUE,
    policy: 'stately',
    retryLimit: 3,
    retryDelaySeconds: 60,
    retryBackoff: true,
    expireInSeconds: 900,
    cron: '*/15 * * * *',
  })
  async eraseDueJob(jobs: Job<object>[]): Promise<JobOutcome[]> {
    const erased = await this.eraseDue();
    if (erased > 0) this.logger.log({ erased }, 'Erased the accounts whose grace period ended');
    return jobs.map((job) => ({ id: job.id, status: 'completed' }));
  }

  /**
   * Erases the account in one transaction; with `dueBy`, only if its deletion is still
   * scheduled by then (a sign-in may have cancelled it). False when there was nothing to erase.
   */
  private erase(
    userId: string,
    origin: EventOrigin,
    { scheduled, dueBy }: { scheduled: boolean; dueBy?: Date },
  ): Promise<boolean> {
    const isDue = (
      user: Pick<NonNullable<Awaited<ReturnType<UsersService['findById']>>>, 'deletionDueAt'>,
    ) => !dueBy || (user.deletionDueAt !== null && user.deletionDueAt <= dueBy);
    return this.transactions.run(async () => {
      // The admin role's lock first, as every change that may remove an administrator takes it.
      await this.userRoles.assertAdministratorRemainsWithout(userId);
      const found = await this.users.findById(userId);
      if (!found) {
        if (dueBy) return false;
        throw new DomainError(CommonErrorCode.NotFound, 'The user does not exist.');
      }
      if (!isDue(found)) return false;
      const user = await this.users.beginErasure(userId, scheduled, origin);
      if (!user || !isDue(user)) {
        // Erased or signed into meanwhile: this transaction, its event included, rolls back.
        throw new DomainError(CommonErrorCode.Conflict, 'The account changed while being erased.');
      }
      await this.sessions.revokeAll(userId, 'account_deleted', origin);
      for (const address of await this.users.addressesOf(userId)) {
        await this.mail.forgetRecipient(address);
      }
      await this.users.completeErasure(userId);
      return true;
    });
  }
}
