import { randomFillSync } from 'node:crypto';

/** Ids made per refill: one random fill and one string serve this many decisions. */
const POOL_SIZE = 256;
const UUID_LENGTH = 36;
/** Where each of the 16 bytes' two hex digits go in `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`. */
const DIGIT_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const DASHES_AT = [8, 13, 18, 23];
const HEX = '0123456789abcdef';
/** The ASCII codes of a byte's high and low hex digit. */
const HIGH_DIGIT = Uint8Array.from({ length: 256 }, (_, byte) => HEX.charCodeAt(byte >> 4));
const LOW_DIGIT = Uint8Array.from({ length: 256 }, (_, byte) => HEX.charCodeAt(byte & 0x0f));

/**
 * Random (version 4) UUIDs naming decisions, as crypto.randomUUID makes them, made in bulk: a
 * pool of them is written as text into one buffer and decoded into one string, and each id is
 * a slice of it. randomUUID concatenates every id from twenty pieces, which JSON serialization
 * then has to flatten again; at one id per decision, a batch of 100 notices the difference.
 */
export class DecisionIds {
  private readonly random = Buffer.alloc(16 * POOL_SIZE);
  private readonly text = Buffer.alloc(UUID_LENGTH * POOL_SIZE);
  private pool = '';
  private taken = POOL_SIZE;

  constructor() {
    for (let id = 0; id < POOL_SIZE; id++) {
      for (const at of DASHES_AT) this.text[UUID_LENGTH * id + at] = 0x2d;
    }
  }

  next(): string {
    if (this.taken === POOL_SIZE) this.refill();
    const start = UUID_LENGTH * this.taken++;
    return this.pool.slice(start, start + UUID_LENGTH);
  }

  private refill(): void {
    randomFillSync(this.random);
    const { random, text } = this;
    for (let id = 0; id < POOL_SIZE; id++) {
      const from = 16 * id;
      const to = UUID_LENGTH * id;
      for (let i = 0; i < 16; i++) {
        const byte = random[from + i];
        text[to + DIGIT_AT[i]] = HIGH_DIGIT[byte];
        text[to + DIGIT_AT[i] + 1] = LOW_DIGIT[byte];
      }
      // RFC 9562 §5.4: the version (4) is the 13th digit; the variant (10) the top bits of the 17th.
      text[to + 14] = 0x34;
      text[to + 19] = HIGH_DIGIT[0x80 | (random[from + 8] & 0x3f)];
    }
    this.pool = text.toString('latin1');
    this.taken = 0;
  }
}
