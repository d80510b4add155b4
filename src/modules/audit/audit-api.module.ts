import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AuditChainVerifier } from './audit-chain-verifier';
import { AuditChainRepository } from './audit-chain.repository';
import { AuditCheckpoints } from './audit-checkpoints';
import { AuditEventRepository } from './audit-event.repository';
import { AuditEventsController } from './audit-events.controller';
import { AuditExportRepository } from './audit-export.repository';
import { AuditExportsController } from './audit-exports.controller';
import { AuditExports } from './audit-exports.service';
import { AuditModule } from './audit.module';
import { AuditPersonalData } from './audit-personal-data';
import { AuditQueries } from './audit-queries.service';
import { MyActivityController } from './my-activity.controller';

/**
 * The audit log's readers: the admins' queries, exports and verification, users' own activity, and the
 * hourly checkpoint signed with the current signing key; apart from AuditModule so that tools
 * that only record (the CLI) need neither HTTP nor the signing keys.
 */
@Module({
  imports: [AuditModule, AuthModule],
  controllers: [AuditEventsController, AuditExportsController, MyActivityController],
  providers: [
    AuditEventRepository,
    AuditChainRepository,
    AuditQueries,
    AuditChainVerifier,
    AuditCheckpoints,
    AuditExportRepository,
    AuditExports,
    AuditPersonalData,
  ],
})
export class AuditApiModule {}
