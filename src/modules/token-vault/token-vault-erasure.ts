import { Injectable, Logger } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { EnvelopeCipher } from '../../common/crypto/envelope-cipher';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode } from '../../common/errors/error-code';
import { EventOf, InTransaction } from '../events/on-event.decorator';
import { JobHandler, JobOutcome, settleEach } from '../events/jobs/job-handler.decorator';
import { JobQueue } from '../events/jobs/job-queue.service';
import { OfflineTokenVault } from './offline-token-vault';
import { ProviderCalls } from './provider-calls';
import { TokenVaultRepository } from './token-vault.repository';
import { ownerOf } from './token-vault.service';

export const TOKEN_REVOCATION_QUEUE = 'token_vault.revoke';
/** Binds a sealed revocation to this use: a ciphertext copied elsewhere does not open. */
export const SEALED_REVOCATION_CONTEXT = 'token_vault.revoke';

/** What revoking one erased person's offline token needs, as its job holds it (sealed). */
interface Revocation {
  provider_id: string;
  token: string;
  /** The provider session to end with it: the last record in it, null otherwise. */
  session_id: string | null;
}

interface RevocationJob {
  sealed: string;
}

/**
 * Erasure in the token vault: the person's records are deleted in the erasing transaction
 * (`user.deleted`), and what the providers still honour is revoked after it, by a durable job
 * per token, retried for about three hours while a provider is down: RFC 7009 revocation, and
 * the end of the provider session (Keycloak's admin API) when no one else's record shares it, as
 * `DELETE /v1/token-vault/tokens/{id}` does. The job holds the token sealed under the master key
 * (the job table never holds it in clear) and is deleted an hour after it is done.
 */
@Injectable()
export class TokenVaultErasure {
  private readonly logger = new Logger(TokenVaultErasure.name);

  constructor(
    private readonly repository: TokenVaultRepository,
    private readonly vault: OfflineTokenVault,
    private readonly provider: ProviderCalls,
    private readonly jobs: JobQueue,
    private readonly cipher: EnvelopeCipher,
  ) {}

  @InTransaction('user.deleted')
  async forget(event: EventOf<'user.deleted'>): Promise<void> {
    const deleted = await this.repository.deleteAllOf(event.data.user_id);
    const sessions = new Set<string>();
    const revocations: Revocation[] = [];
    for (const token of deleted) {
      // A revoked token is refused by its provider already: nothing left to revoke.
      if (token.status !== 'active') continue;
      const sid = token.providerSessionId;
      const session = `${token.providerId} ${sid}`;
      const endsSession =
        sid !== null &&
        !sessions.has(session) &&
        (await this.repository.countInSession(token.providerId, sid)) === 0;
      if (sid !== null) sessions.add(session);
      revocations.push({
        provider_id: token.providerId,
        token: this.vault.open(ownerOf(token), token.envelope),
        session_id: endsSession ? sid : null,
      });
    }
    await this.jobs.sendMany(
      TOKEN_REVOCATION_QUEUE,
      revocations.map((revocation) => ({
        data: {
          sealed: this.cipher.encrypt(
            Buffer.from(JSON.stringify(revocation)),
            SEALED_REVOCATION_CONTEXT,
          ),
        } satisfies RevocationJob,
      })),
    );
  }

  @JobHandler({
    name: TOKEN_REVOCATION_QUEUE,
    // 10 s doubling to 10 min, then every 10 min: about 3 h in all.
    retryLimit: 22,
    retryDelaySeconds: 10,
    retryBackoff: true,
    retryDelayMaxSeconds: 600,
    expireInSeconds: 120,
    deleteAfterSeconds: 3600,
    batchSize: 10,
  })
  revoke(jobs: Job<RevocationJob>[]): Promise<JobOutcome[]> {
    return settleEach(jobs, async (job) => {
      const revocation = JSON.parse(
        this.cipher.decrypt(job.data.sealed, SEALED_REVOCATION_CONTEXT).toString('utf8'),
      ) as Revocation;
      let configured;
      try {
        configured = await this.provider.configured({ id: revocation.provider_id });
      } catch (error) {
        if (!(error instanceof DomainError && error.code === CommonErrorCode.NotFound)) throw error;
        // The provider was deleted or disabled since: there is no one left to ask.
        this.logger.warn({ job_id: job.id }, "An erased person's token's provider is gone");
        return;
      }
      const retired = await this.provider.retire(configured, revocation.token, {
        revoke: true,
        sessionId: revocation.session_id,
      });
      if (retired.session === 'failed') {
        throw new Error('The provider session could not be ended; retrying');
      }
      this.logger.log(
        { job_id: job.id, provider: configured.provider.slug, session: retired.session },
        "An erased person's offline token was revoked at its provider",
      );
    });
  }
}
