import { Injectable } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { ClientInfo } from '../../common/auth/client-info';
import { EnvelopeCipher } from '../../common/crypto/envelope-cipher';
import { currentRequestId } from '../../common/logging/request-log-context';
import { DomainEvents, EventOrigin } from '../events/domain-events.service';
import { JobHandler, JobOutcome, settleEach } from '../events/jobs/job-handler.decorator';
import { JobQueue } from '../events/jobs/job-queue.service';
import { UsersService } from '../users/users.service';

export const ACCOUNT_REQUEST_QUEUES = {
  register: 'account.register',
  resendVerification: 'account.resend_verification',
  forgotPassword: 'account.forgot_password',
} as const;

/** An unauthenticated account request, recorded before it was answered (202). */
export interface AccountRequest {
  /** Normalized. */
  email: string;
  client: ClientInfo;
  request_id: string | null;
  /** A registration's account: its id (so that a retry finds it made), name and password hash. */
  registration?: { user_id: string; name: string; password_hash: string };
}

type AccountRequestQueue = (typeof ACCOUNT_REQUEST_QUEUES)[keyof typeof ACCOUNT_REQUEST_QUEUES];

/**
 * A request as its job holds it: sealed (EnvelopeCipher) under the master key, so that the
 * job table never holds an address, a name or a password hash in clear, and an erased
 * person's leaves nothing readable there.
 */
interface SealedAccountRequest {
  sealed: string;
}

export const SEALED_REQUEST_CONTEXT = 'account_requests';

/** Retried for about a day when the database is away; completed jobs (hashes) kept an hour. */
const ACCOUNT_REQUEST_QUEUE = {
  retryLimit: 16,
  retryDelaySeconds: 2,
  retryBackoff: true,
  retryDelayMaxSeconds: 3600,
  expireInSeconds: 60,
  deleteAfterSeconds: 3600,
  batchSize: 10,
};

/**
 * The work of register, resend and forgot-password, which answer 202 at once whatever the
 * address (for enumeration safety): each request is a job, recorded before the answer, so a
 * crash after answering loses nothing. What follows (the mails) comes from the events these
 * jobs emit.
 */
@Injectable()
export class AccountRequests {
  constructor(
    private readonly users: UsersService,
    private readonly events: DomainEvents,
    private readonly jobs: JobQueue,
    private readonly cipher: EnvelopeCipher,
  ) {}

  /** Records the request as a job, so that the answer cannot outlive its work. */
  async record(
    queue: AccountRequestQueue,
    request: Omit<AccountRequest, 'request_id'>,
  ): Promise<void> {
    const full: AccountRequest = { ...request, request_id: currentRequestId() };
    const sealed = this.cipher.encrypt(Buffer.from(JSON.stringify(full)), SEALED_REQUEST_CONTEXT);
    await this.jobs.send(queue, { sealed } satisfies SealedAccountRequest);
  }

  private open(job: Job<SealedAccountRequest>): AccountRequest {
    return JSON.parse(
      this.cipher.decrypt(job.data.sealed, SEALED_REQUEST_CONTEXT).toString('utf8'),
    ) as AccountRequest;
  }

  @JobHandler({ name: ACCOUNT_REQUEST_QUEUES.register, ...ACCOUNT_REQUEST_QUEUE })
  register(jobs: Job<SealedAccountRequest>[]): Promise<JobOutcome[]> {
    return settleEach(jobs, async (job) => {
      const data = this.open(job);
      const { user_id, name, password_hash } = data.registration!;
      const origin = originOf(data);
      const outcome = await this.users.createPending(
        { id: user_id, email: data.email, name, passwordHash: password_hash },
        origin,
      );
      if (outcome !== 'taken') return;
      const existing = await this.users.findByEmail(data.email);
      if (existing) {
        await this.events.emit(
          'user.registration.duplicate',
          { user_id: existing.id, status: existing.status },
          origin,
        );
      }
    });
  }

  @JobHandler({ name: ACCOUNT_REQUEST_QUEUES.resendVerification, ...ACCOUNT_REQUEST_QUEUE })
  resendVerification(jobs: Job<SealedAccountRequest>[]): Promise<JobOutcome[]> {
    return settleEach(jobs, async (job) => {
      const data = this.open(job);
      const user = await this.users.findByEmail(data.email);
      if (user?.status !== 'pending_verification') return;
      await this.events.emit(
        'user.email_verification.requested',
        { user_id: user.id, email: user.email },
        originOf(data),
      );
    });
  }

  @JobHandler({ name: ACCOUNT_REQUEST_QUEUES.forgotPassword, ...ACCOUNT_REQUEST_QUEUE })
  forgotPassword(jobs: Job<SealedAccountRequest>[]): Promise<JobOutcome[]> {
    return settleEach(jobs, async (job) => {
      const data = this.open(job);
      const user = await this.users.findByEmail(data.email);
      if (!user || user.status === 'deactivated' || user.status === 'suspended') return;
      await this.events.emit('user.password_reset.requested', { user_id: user.id }, originOf(data));
    });
  }
}

function originOf(request: AccountRequest): EventOrigin {
  return { client: request.client, requestId: request.request_id };
}
