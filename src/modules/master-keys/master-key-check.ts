import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ConfigError } from '../../config/config.error';
import { EnvelopeRewrap } from './envelope-rewrap';

/**
 * At boot: envelopes sealed under a master key this instance was not given would fail one by
 * one, at the worst moments (a sign-in, an order). Refuse to start instead, naming the key and
 * where its envelopes are; say when previous keys still seal something, so a rotation is
 * finished with `keys:rewrap` before the old key is dropped.
 */
@Injectable()
export class MasterKeyCheck implements OnModuleInit {
  private readonly logger = new Logger(MasterKeyCheck.name);

  constructor(private readonly rewrap: EnvelopeRewrap) {}

  async onModuleInit(): Promise<void> {
    const left = await this.rewrap.left();
    const unknown = left.filter((l) => l.unknownKey);
    if (unknown.length > 0) {
      const keys = [...new Set(unknown.map((l) => l.keyId))];
      const where = unknown.map((l) => `${l.column}: ${l.count}`).join(', ');
      throw new ConfigError([
        `MASTER_KEYS: the database holds envelopes sealed under master key ${keys.join(', ')} ` +
          `(${where}), which is neither the current key nor a previous one listed in ` +
          'MASTER_KEYS (or MASTER_KEY): add that key after the current one',
      ]);
    }
    const previous = left.filter((l) => !l.kept);
    if (previous.length > 0) {
      const count = previous.reduce((sum, l) => sum + l.count, 0);
      this.logger.warn(
        `${count} envelope(s) are still sealed under a previous master key: run ` +
          '`npm run cli -- keys:rewrap` before removing it from MASTER_KEYS',
      );
    }
  }
}
