import { Injectable } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { Transactions } from '../../database/transactions';
import { SigningKeyService } from '../auth/signing-key.service';
import { JobHandler, JobOutcome } from '../events/jobs/job-handler.decorator';
import { AuditChain } from './audit-chain';
import { CHECKPOINT_TYPE, CheckpointStatement, checkpointDigest } from './audit-chain-verifier';
import { AuditChainRepository } from './audit-chain.repository';

export const CHECKPOINT_QUEUE = 'audit.checkpoint';

/**
 * Every hour (one job for the whole deployment, under the chain lock) the head of the audit
 * chain is signed with Gatehouse's current signing key: a compact JWS that anyone holding the
 * JWKS can check, naming the previous checkpoint's digest. Rewriting the log before a checkpoint
 * then needs the signing key, not only write access to the database.
 */
@Injectable()
export class AuditCheckpoints {
  constructor(
    private readonly chain: AuditChain,
    private readonly links: AuditChainRepository,
    private readonly transactions: Transactions,
    private readonly signingKeys: SigningKeyService,
  ) {}

  @JobHandler({
    name: CHECKPOINT_QUEUE,
    policy: 'stately',
    retryLimit: 5,
    retryDelaySeconds: 60,
    expireInSeconds: 600,
    cron: '0 * * * *',
  })
  async checkpointJob(jobs: Job<object>[]): Promise<JobOutcome[]> {
    await this.checkpoint();
    return jobs.map((job) => ({ id: job.id, status: 'completed' }));
  }

  /**
   * Seals what is pending, then signs the head unless the last checkpoint already says it.
   * Answers the position signed, or null when there was nothing new.
   */
  async checkpoint(): Promise<number | null> {
    await this.chain.sealPending();
    return this.transactions.run(async () => {
      await this.links.lock();
      const head = await this.links.head();
      const last = await this.links.lastCheckpoint();
      if (!head || (last && Number(last.seq) === head.seq)) return null;
      const previousDigest = last ? checkpointDigest(last.jws) : null;
      const statement: CheckpointStatement = {
        seq: head.seq,
        head: head.hash.toString('hex'),
        previous: previousDigest?.toString('hex') ?? null,
        signed_at: new Date().toISOString(),
      };
      const signed = await this.signingKeys.signStatement(
        CHECKPOINT_TYPE,
        statement as unknown as Record<string, unknown>,
      );
      await this.links.insertCheckpoint({
        seq: String(head.seq),
        headHash: head.hash,
        previousDigest,
        jws: signed.jws,
        kid: signed.kid,
        publicJwk: signed.publicJwk,
      });
      return head.seq;
    });
  }
}
