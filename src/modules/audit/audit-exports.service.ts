import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { Actor } from '../../common/auth/actor';
import { ChunkedFileCipher } from '../../common/crypto/chunked-file-cipher';
import { EnvelopeCipher } from '../../common/crypto/envelope-cipher';
import { DomainError } from '../../common/errors/domain-error';
import { uuidV7 } from '../../common/ids/uuid-v7';
import { CommonErrorCode } from '../../common/errors/error-code';
import { Transactions } from '../../database/transactions';
import { JobHandler, JobOutcome, settleEach } from '../events/jobs/job-handler.decorator';
import { JobQueue } from '../events/jobs/job-queue.service';
import { OutboxRelay } from '../events/outbox-relay';
import { AuditEventRepository } from './audit-event.repository';
import { AuditExport, AuditExportFormat } from './audit-export.entity';
import { AuditExportRepository, ExportIdentity } from './audit-export.repository';
import { AuditFilterInput, filterFingerprint, parseAuditFilter } from './audit-filter';
import { AuditKeyring } from './audit-keyring';
import { AuditQueries } from './audit-queries.service';
import { toAuditEventDto } from './audit-views';
import { CSV_HEADER, csvRow } from './export-file';

export const EXPORT_QUEUE = 'audit.export';
/** Rows read per query while exporting. */
const READ_BATCH = 1000;
/** Plaintext gathered before it is sealed and written as one chunk. */
const CHUNK_BYTES = 256 * 1024;
/** How long a download link works once shown. */
export const DOWNLOAD_LINK_SECONDS = 15 * 60;

export const exportKeyContext = (id: string) => `audit_exports:${id}`;

/** The `?expires=&signature=` of a download link and when it stops working. */
export interface DownloadLink {
  path: string;
  expiresAt: Date;
}

/**
 * Exports of the audit log: asked for with a filter and a format, built by a job that reads the
 * log in batches and writes it as encrypted chunks (never the whole file in memory), then
 * downloaded, decrypted chunk by chunk as it streams. Each export is its requester's alone; two
 * identical requests while one is pending are one export and one job.
 */
@Injectable()
export class AuditExports {
  private readonly logger = new Logger(AuditExports.name);

  constructor(
    private readonly exports: AuditExportRepository,
    private readonly rows: AuditEventRepository,
    private readonly queries: AuditQueries,
    private readonly keyring: AuditKeyring,
    private readonly cipher: EnvelopeCipher,
    private readonly jobs: JobQueue,
    private readonly relay: OutboxRelay,
    private readonly transactions: Transactions,
  ) {}

  async request(
    requester: Actor,
    filterInput: AuditFilterInput,
    format: AuditExportFormat,
  ): Promise<AuditExport> {
    const filter = parseAuditFilter(filterInput);
    const given = Object.fromEntries(
      Object.entries(filterInput).filter(
        (entry): entry is [string, string] => entry[1] !== undefined,
      ),
    );
    const key = randomBytes(32);
    const fields: ExportIdentity = {
      requesterType: requester.type,
      requesterId: requester.id!,
      format,
      filter: given,
      fingerprint: filterFingerprint(filter),
    };
    const id = uuidV7();
    const sealedKey = this.cipher.encrypt(key, exportKeyContext(id));
    key.fill(0);
    return this.transactions.run(async () => {
      const created = await this.exports.insertPending({ ...fields, id, sealedKey });
      if (created) {
        await this.jobs.send(EXPORT_QUEUE, { export_id: created.id });
        return created;
      }
      const pending = await this.exports.findPending(fields);
      if (!pending) throw new Error('an identical pending export vanished');
      return pending;
    });
  }

  /** The requester's export; another's is not found. */
  async get(requester: Actor, id: string): Promise<AuditExport> {
    const found = await this.exports.findOwned(id, requester.type, requester.id!);
    if (!found) throw new DomainError(CommonErrorCode.NotFound, 'No such audit export.');
    return found;
  }

  /** A link to download a ready export, for its requester only, working for 15 minutes. */
  async downloadLink(
    requester: Actor,
    exported: AuditExport,
    now = new Date(),
  ): Promise<DownloadLink> {
    const expires = Math.floor(now.getTime() / 1000) + DOWNLOAD_LINK_SECONDS;
    const signature = await this.linkSignature(requester, exported.id, expires);
    return {
      path: `/v1/admin/audit-exports/${exported.id}/download?expires=${expires}&signature=${signature.toString('base64url')}`,
      expiresAt: new Date(expires * 1000),
    };
  }

  /**
   * The ready export's file, decrypted chunk by chunk as it is read, when the link was issued
   * to this requester for this export and has not expired.
   */
  async download(
    requester: Actor,
    id: string,
    expires: number,
    signature: string,
    now = new Date(),
  ): Promise<{ exported: AuditExport; body: Readable }> {
    const exported = await this.get(requester, id);
    const expected = await this.linkSignature(requester, id, expires);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new DomainError(CommonErrorCode.InvalidDownloadLink, 'The download link was altered.');
    }
    if (expires * 1000 <= now.getTime()) {
      throw new DomainError(
        CommonErrorCode.InvalidDownloadLink,
        'The download link has expired; read the export again for a new one.',
      );
    }
    if (exported.status !== 'ready') {
      throw new DomainError(CommonErrorCode.Conflict, `The export is ${exported.status}.`);
    }
    const key = this.cipher.decrypt(await this.exports.sealedKeyOf(id), exportKeyContext(id));
    const chunks = new ChunkedFileCipher(key, exportKeyContext(id));
    const count = exported.chunks ?? 0;
    const read = async function* (repository: AuditExportRepository) {
      for (let index = 0; index < count; index++) {
        const sealed = await repository.chunk(id, index);
        if (!sealed) throw new Error(`chunk ${index} of export ${id} is missing`);
        yield chunks.open(index, sealed, index === count - 1);
      }
      key.fill(0);
    };
    return { exported, body: Readable.from(read(this.exports)) };
  }

  @JobHandler({
    name: EXPORT_QUEUE,
    retryLimit: 3,
    retryDelaySeconds: 30,
    retryBackoff: true,
    expireInSeconds: 3600,
  })
  build(jobs: Job<{ export_id: string }>[]): Promise<JobOutcome[]> {
    return settleEach(jobs, async (job) => {
      const id = job.data.export_id;
      try {
        await this.write(id);
      } catch (error) {
        this.logger.error({ err: error, export_id: id }, 'An audit export failed');
        await this.exports.markFailed(id, 'The export could not be built; request it again.');
      }
    });
  }

  /** Reads the log for the export's filter, oldest first, into sealed chunks. */
  private async write(id: string): Promise<void> {
    const exported = await this.exports.findWithKey(id);
    if (!exported || exported.status !== 'pending') return;
    // Some rows (a sign-in's) are written by the relay's consumers after their change commits:
    // the export holds what happened up to the request once its events are published.
    await this.relay.awaitPublishedThrough(exported.createdAt, {
      what: 'an audit export',
      fields: { export_id: id },
    });
    const key = this.cipher.decrypt(exported.sealedKey, exportKeyContext(id));
    const chunks = new ChunkedFileCipher(key, exportKeyContext(id));
    const conditions = await this.queries.conditionsOf(parseAuditFilter(exported.filter));
    await this.exports.clearChunks(id);
    let pending: Buffer[] = [Buffer.from(exported.format === 'csv' ? CSV_HEADER : '')];
    let pendingBytes = pending[0].length;
    let index = 0;
    let rows = 0;
    let after: string | null = null;
    for (;;) {
      const batch = await this.rows.list(conditions, {
        direction: 'newer',
        after,
        limit: READ_BATCH - 1,
      });
      for (const entry of await this.queries.open(batch)) {
        const dto = toAuditEventDto(entry);
        const line = Buffer.from(
          exported.format === 'csv' ? csvRow(dto) : `${JSON.stringify(dto)}\n`,
          'utf8',
        );
        pending.push(line);
        pendingBytes += line.length;
        rows++;
        if (pendingBytes >= CHUNK_BYTES) {
          await this.exports.insertChunk(
            id,
            index++,
            chunks.seal(index - 1, Buffer.concat(pending), false),
          );
          pending = [];
          pendingBytes = 0;
        }
      }
      if (batch.length < READ_BATCH) break;
      after = batch[batch.length - 1].id;
    }
    await this.exports.insertChunk(id, index, chunks.seal(index, Buffer.concat(pending), true));
    key.fill(0);
    await this.exports.markReady(id, rows, index + 1);
  }

  private async linkSignature(requester: Actor, id: string, expires: number): Promise<Buffer> {
    return this.keyring.mac(
      'export-download',
      `${id}:${requester.type}:${requester.id}:${expires}`,
    );
  }
}
