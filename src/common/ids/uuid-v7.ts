import { randomFillSync } from 'node:crypto';

/** Ids whose random bytes one call to the CSPRNG draws (node's `randomUUID` buffers 128). */
const IDS_PER_DRAW = 256;
const ID_BYTES = 16;
const pool = Buffer.alloc(IDS_PER_DRAW * ID_BYTES);
let poolOffset = pool.length;

/**
 * 16 random bytes no other id uses, for the caller to overwrite in part. Drawn from the CSPRNG
 * in bulk: one system call per 256 ids rather than one per id, which a token endpoint makes
 * thousands of times a second.
 */
function freshIdBytes(): Buffer {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = pool.subarray(poolOffset, poolOffset + ID_BYTES);
  poolOffset += ID_BYTES;
  return bytes;
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * A UUIDv7 (RFC 9562 §5.7): the Unix time in milliseconds in its first 48 bits, then random bits.
 * Generated in the process where an id must carry the instant it was made (an access token's
 * `jti`); rows get theirs from the database's `uuidv7()`.
 */
export function uuidV7(atMs = Date.now()): string {
  const bytes = freshIdBytes();
  bytes.writeUIntBE(atMs, 0, 6);
  bytes[6] = 0x70 | (bytes[6] & 0x0f);
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The millisecond timestamp of a UUIDv7; null for any other string. */
export function uuidV7Time(id: string): number | null {
  if (!UUID_V7.test(id)) return null;
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/** The smallest UUIDv7 of an instant: ids from it on were made at or after it. */
export function firstIdAt(instant: Date): string {
  const hex = instant.getTime().toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}

let lastMs = 0;
let sequence = 0;

/**
 * A UUIDv7 that sorts after every one this process made before (RFC 9562 §6.2, method 1): the
 * 12 bits after the version count up within a millisecond (from a random start), and a clock
 * that stepped back, or a counter that ran out, borrows the next millisecond. For ids whose
 * order must follow the order they were made in, such as events emitted by one transaction.
 */
export function monotonicUuidV7(nowMs = Date.now()): string {
  if (nowMs > lastMs) {
    lastMs = nowMs;
    sequence = freshIdBytes().readUInt16BE(0) & 0x1ff;
  } else if (++sequence > 0xfff) {
    lastMs += 1;
    sequence = 0;
  }
  const bytes = freshIdBytes();
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
