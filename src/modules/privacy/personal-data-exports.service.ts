import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { Actor, systemActor } from '../../common/auth/actor';
import { ChunkedFileCipher } from '../../common/crypto/chunked-file-cipher';
import { EnvelopeCipher } from '../../common/crypto/envelope-cipher';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode } from '../../common/errors/error-code';
import { uuidV7 } from '../../common/ids/uuid-v7';
import { Transactions } from '../../database/transactions';
import { DomainEvents, EventOrigin } from '../events/domain-events.service';
import { JobHandler, JobOutcome, settleEach } from '../events/jobs/job-handler.decorator';
import { JobQueue } from '../events/jobs/job-queue.service';
import { OutboxRelay } from '../events/outbox-relay';
import { UsersService } from '../users/users.service';
import { PersonalDataArchive } from './personal-data-archive';
import { PersonalDataExport } from './personal-data-export.entity';
import { PersonalDataExportRepository } from './personal-data-export.repository';
import { PersonalDataSources } from './personal-data-sources';

export const PERSONAL_DATA_EXPORT_QUEUE = 'privacy.export';
const DAY_MS = 24 * 60 * 60 * 1000;
/** Archive bytes gathered before they are sealed and written as one chunk. */
const CHUNK_BYTES = 256 * 1024;

export const exportKeyContext = (id: string) => `personal_data_exports:${id}`;

/** Who reads an export: its person (`/v1/users/me/exports`) or an administrator. */
export type ExportReader = Pick<Actor, 'type' | 'id'>;

export interface DownloadLink {
  path: string;
  expiresAt: Date;
}

/**
 * Personal data exports (GDPR Art. 15 and 20): one ZIP archive of everything Gatehouse holds
 * about a person, each module contributing its files (`@PersonalData`), built by a job into
 * encrypted chunks and downloaded, decrypted chunk by chunk as it streams, through a signed link
 * that works until a day after it was built. At most one a day per person: asking again (or twice
 * at once) answers the same export.
 */
@Injectable()
export class PersonalDataExports {
  private readonly logger = new Logger(PersonalDataExports.name);

  constructor(
    private readonly exports: PersonalDataExportRepository,
    private readonly sources: PersonalDataSources,
    private readonly users: UsersService,
    private readonly cipher: EnvelopeCipher,
    private readonly jobs: JobQueue,
    private readonly events: DomainEvents,
    private readonly relay: OutboxRelay,
    private readonly transactions: Transactions,
  ) {}

  /**
   * Asks for an export of the person's data, or answers the one asked for in the last day
   * (unless it failed). 404 for an unknown person.
   */
  async request(
    userId: string,
    requester: ExportReader,
    origin: EventOrigin,
    now = new Date(),
  ): Promise<PersonalDataExport> {
    return this.transactions.run(async () => {
      if (!(await this.users.findById(userId))) {
        throw new DomainError(CommonErrorCode.NotFound, 'The user does not exist.');
      }
      await this.exports.lockRequestsOf(userId);
      const recent = await this.exports.findRecent(userId, new Date(now.getTime() - DAY_MS));
      if (recent) return recent;
      const id = uuidV7();
      const key = randomBytes(32);
      const sealedKey = this.cipher.encrypt(key, exportKeyContext(id));
      key.fill(0);
      const created = await this.exports.insert({
        id,
        userId,
        requesterType: requester.type,
        requesterId: requester.id!,
        sealedKey,
      });
      await this.jobs.send(PERSONAL_DATA_EXPORT_QUEUE, { export_id: id });
      await this.events.emit(
        'user.data_export.requested',
        { user_id: userId, export_id: id },
        origin,
      );
      return created;
    });
  }

  /** The person's export; another person's is not found. */
  async get(userId: string, id: string): Promise<PersonalDataExport> {
    const found = await this.exports.find(userId, id);
    if (!found) throw new DomainError(CommonErrorCode.NotFound, 'No such export.');
    return found;
  }

  /** The link through which `reader` downloads a ready export, until it expires. */
  downloadLink(reader: ExportReader, exported: PersonalDataExport, basePath: string): DownloadLink {
    const expiresAt = exported.expiresAt!;
    const expires = Math.floor(expiresAt.getTime() / 1000);
    const signature = this.linkSignature(reader, exported.id, expires).toString('base64url');
    return {
      path: `${basePath}/${exported.id}/download?expires=${expires}&signature=${signature}`,
      expiresAt,
    };
  }

  /**
   * The ready export's archive, decrypted chunk by chunk as it is read, when the link was made
   * for this reader and this export and has not expired.
   */
  async download(
    userId: string,
    reader: ExportReader,
    id: string,
    expires: number,
    signature: string,
    now = new Date(),
  ): Promise<{ exported: PersonalDataExport; body: Readable }> {
    const exported = await this.get(userId, id);
    const expected = this.linkSignature(reader, id, expires);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new DomainError(CommonErrorCode.InvalidDownloadLink, 'The download link was altered.');
    }
    if (exported.status !== 'ready') {
      throw new DomainError(CommonErrorCode.Conflict, `The export is ${exported.status}.`);
    }
    if (expires * 1000 <= now.getTime() || exported.expiresAt!.getTime() <= now.getTime()) {
      throw new DomainError(
        CommonErrorCode.InvalidDownloadLink,
        'The download link has expired; ask for a new export.',
      );
    }
    const sealed = (await this.exports.findWithKey(id))!.sealedKey;
    const key = this.cipher.decrypt(sealed, exportKeyContext(id));
    const chunks = new ChunkedFileCipher(key, exportKeyContext(id));
    const count = exported.chunks ?? 0;
    const read = async function* (repository: PersonalDataExportRepository) {
      try {
        for (let index = 0; index < count; index++) {
          const data = await repository.chunk(id, index);
          if (!data) throw new Error(`chunk ${index} of export ${id} is missing`);
          yield chunks.open(index, data, index === count - 1);
        }
      } finally {
        key.fill(0);
      }
    };
    return { exported, body: Readable.from(read(this.exports)) };
  }

  @JobHandler({
    name: PERSONAL_DATA_EXPORT_QUEUE,
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
        this.logger.error({ err: error, export_id: id }, 'A personal data export failed');
        await this.exports.markFailed(id, 'The export could not be built; ask for it again.');
      }
    });
  }

  /** Writes the archive, file by file, into sealed chunks; then tells the person it is ready. */
  private async write(id: string): Promise<void> {
    const exported = await this.exports.findWithKey(id);
    if (!exported || exported.status !== 'pending') return;
    // What the person did up to the request (a sign-in's audit row) is written by the relay's
    // consumers after its commit: the export holds it once it is published.
    await this.relay.awaitPublishedThrough(exported.createdAt, {
      what: 'a personal data export',
      fields: { export_id: id },
    });
    const key = this.cipher.decrypt(exported.sealedKey, exportKeyContext(id));
    const chunks = new ChunkedFileCipher(key, exportKeyContext(id));
    await this.exports.clearChunks(id);
    let index = 0;
    let size = 0;
    const archive = new PersonalDataArchive(CHUNK_BYTES, async (bytes, last) => {
      await this.exports.insertChunk(id, index, chunks.seal(index, bytes, last));
      index++;
      size += bytes.length;
    });
    try {
      await archive.write(exported, this.sources.all());
    } finally {
      key.fill(0);
    }
    const completedAt = new Date();
    const expiresAt = new Date(completedAt.getTime() + DAY_MS);
    await this.transactions.run(async () => {
      const ready = await this.exports.markReady(id, {
        chunks: index,
        sizeBytes: size,
        completedAt,
        expiresAt,
      });
      if (!ready) return;
      await this.events.emit(
        'user.data_export.ready',
        { user_id: exported.userId, export_id: id, expires_at: expiresAt.toISOString() },
        { actor: systemActor(PERSONAL_DATA_EXPORT_QUEUE) },
      );
    });
  }

  private linkSignature(reader: ExportReader, id: string, expires: number): Buffer {
    return this.cipher.keyedHash(
      'personal-data-export-download',
      `${id}:${reader.type}:${reader.id}:${expires}`,
    );
  }
}
