import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { AuditRecord, AuditService } from '../audit/audit.service';
import { AccessChanges } from './access-changes';
import { PolicySetRepository } from './policy-set.repository';

export interface RecordedChange extends AuditRecord {
  /** The one user whose grants changed, when the change is a grant or a revocation. */
  userId?: string;
}

/**
 * What every change of roles, grants or policies does besides itself, inside its transaction:
 * bump the policy-set version, write the audit event and queue the NOTIFY; then, once the
 * transaction commits, tell this instance's listeners.
 */
@Injectable()
export class AccessChangeRecorder {
  constructor(
    private readonly policySet: PolicySetRepository,
    private readonly audit: AuditService,
    private readonly changes: AccessChanges,
    private readonly transactions: Transactions,
  ) {}

  /** Call inside the change's transaction; returns the new policy-set version. */
  async record(change: RecordedChange): Promise<number> {
    const { userId, ...event } = change;
    const version = await this.policySet.bump();
    await this.audit.record({
      ...event,
      details: { ...event.details, policy_set_version: version },
    });
    await this.policySet.notify(userId ? { version, user_id: userId } : { version });
    await this.transactions.afterCommit(() =>
      this.changes.emit(userId ? { version, userIds: [userId] } : { version }),
    );
    return version;
  }
}
