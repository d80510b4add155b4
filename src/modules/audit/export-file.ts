import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AuditEventDto } from './dto/audit-event.dto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * An export's file as a sequence of chunks, each sealed on its own (AES-256-GCM under the
 * export's data key) with its export, position and whether it is the last bound in as
 * associated data: a download checks each chunk before sending a byte of it, and a chunk
 * moved, swapped, dropped from the end or taken from another export does not open.
 */
export class ExportChunkCipher {
  constructor(
    private readonly key: Buffer,
    private readonly exportId: string,
  ) {}

  seal(index: number, plaintext: Buffer, last: boolean): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(this.associatedData(index, last));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  /** Throws when the chunk is not this export's chunk at `index`. */
  open(index: number, sealed: Buffer, last: boolean): Buffer {
    const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(this.associatedData(index, last));
    decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([
      decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]);
  }

  private associatedData(index: number, last: boolean): Buffer {
    return Buffer.from(`audit_exports:${this.exportId}:${index}:${last ? 'last' : 'more'}`);
  }
}

export const CSV_COLUMNS = [
  'id',
  'occurred_at',
  'kind',
  'action',
  'outcome',
  'reason',
  'actor_type',
  'actor_id',
  'target_type',
  'target_id',
  'user_id',
  'session_id',
  'request_id',
  'ip',
  'user_agent',
  'network',
  'details',
  'seq',
] as const;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. A value a
 * spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) is prefixed with `'`.
 */
function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text =
    typeof value === 'string'
      ? value
      : typeof value === 'object'
        ? JSON.stringify(value)
        : `${value as number}`;
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(entry: AuditEventDto): string {
  const cells: Record<(typeof CSV_COLUMNS)[number], unknown> = {
    id: entry.id,
    occurred_at: entry.occurred_at,
    kind: entry.kind,
    action: entry.action,
    outcome: entry.outcome,
    reason: entry.reason,
    actor_type: entry.actor.type,
    actor_id: entry.actor.id,
    target_type: entry.target.type,
    target_id: entry.target.id,
    user_id: entry.user_id,
    session_id: entry.session_id,
    request_id: entry.request_id,
    ip: entry.ip,
    user_agent: entry.user_agent,
    network: entry.network,
    details: entry.details,
    seq: entry.seq,
  };
  return `${CSV_COLUMNS.map((column) => csvField(cells[column])).join(',')}\r\n`;
}

export const CSV_HEADER = `${CSV_COLUMNS.join(',')}\r\n`;
