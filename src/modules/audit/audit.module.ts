import { Module } from '@nestjs/common';
import { AuditChain } from './audit-chain';
import { AuditChainRepository } from './audit-chain.repository';
import { AuditEventRepository } from './audit-event.repository';
import { AuditKeyRepository } from './audit-key.repository';
import { AuditKeyring } from './audit-keyring';
import { AuditErasure } from './audit-erasure';
import { AuditLog } from './audit-log';
import { AuditTrail } from './audit-trail';
import { AuthEventRecorder } from './auth-event-recorder';
import { AuthEventRepository } from './auth-event.repository';

/**
 * The audit trails, both consumers of domain events: administrative changes (AuditTrail, in
 * the changing transaction) and authentication attempts (AuthEventRecorder, as events are
 * published), written to one log (AuditLog) that the sealing job chains (AuditChain). Nothing
 * calls into this module to record: it listens, erasure included (AuditErasure). It exports the
 * keyring and the chain, for its readers (AuditApiModule).
 */
@Module({
  providers: [
    AuthEventRepository,
    AuthEventRecorder,
    AuditEventRepository,
    AuditKeyRepository,
    AuditKeyring,
    AuditChainRepository,
    AuditChain,
    AuditLog,
    AuditTrail,
    AuditErasure,
  ],
  exports: [AuditKeyring, AuditChain],
})
export class AuditModule {}
