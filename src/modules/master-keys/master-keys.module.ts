import { Global, Module } from '@nestjs/common';
import { EnvelopeRewrap } from './envelope-rewrap';
import { MasterKeyCheck } from './master-key-check';
import { SealedEnvelopesRepository } from './sealed-envelopes.repository';

/**
 * Master-key rotation: the envelopes of every module, found through SEALED_COLUMNS, checked at
 * boot against the key ring and resealed by `keys:rewrap`. Global for its boot check: Nest
 * initialises global modules first, so the check speaks before any module opens an envelope at
 * boot (the signing keys) and fails on one.
 */
@Global()
@Module({
  providers: [SealedEnvelopesRepository, EnvelopeRewrap, MasterKeyCheck],
  exports: [EnvelopeRewrap],
})
export class MasterKeysModule {}
