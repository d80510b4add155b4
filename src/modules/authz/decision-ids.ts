import { randomFillSync } from 'node:crypto';

/** Ids made per refill: one random fill and one string serve this many decisions. */
const POOL_SIZE = 256;
const UUID_LENGTH = 36;
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

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

  next(): string {
    if (this.taken === POOL_SIZE) this.refill();
    const start = UUID_LENGTH * this.taken++;
    return this.pool.slice(start, start + UUID_LENGTH);
  }

  private refill(): void {
    randomFillSync(this.random);
    const { random, text } = this;
    let at = 0;
    for (let id = 0; id < POOL_SIZE; id++) {
      for (let i = 0; i < 16; i++) {
        let byte = random[16 * id + i];
        // RFC 9562 §5.4: version 4 in the high nibble of byte 6, variant 10 in byte 8's top bits.
        if (i === 6) byte = 0x40 | (byte & 0x0f);
        else if (i === 8) byte = 0x80 | (byte & 0x3f);
        if (i === 4 || i === 6 || i === 8 || i === 10) text[at++] = 0x2d;
        text[at++] = HEX_DIGITS[byte >> 4];
        text[at++] = HEX_DIGITS[byte & 0x0f];
      }
    }
    this.pool = text.toString('latin1');
    this.taken = 0;
  }
}
