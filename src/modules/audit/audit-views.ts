import { ChainReport } from './audit-chain-verifier';
import { AuditEntry } from './audit-queries.service';
import { AuditEventDto, ChainReportDto } from './dto/audit-event.dto';

/** A row of the log as the API, the exports and the CLI show it. */
export function toAuditEventDto(entry: AuditEntry): AuditEventDto {
  return {
    id: entry.id,
    kind: entry.kind,
    occurred_at: entry.occurredAt.toISOString(),
    action: entry.action,
    outcome: entry.outcome,
    reason: entry.reason,
    actor: entry.actor,
    target: entry.target,
    user_id: entry.userId,
    session_id: entry.sessionId,
    request_id: entry.requestId,
    ip: entry.ip,
    user_agent: entry.userAgent,
    network: entry.network,
    details: entry.details,
    seq: entry.seq,
  };
}

/** A verification report as the API and the CLI show it. */
export function toChainReportDto(report: ChainReport): ChainReportDto {
  const latest = report.checkpoints.latest;
  return {
    valid: report.valid,
    rows_checked: report.rowsChecked,
    unsealed_rows: report.unsealedRows,
    purged_through: report.purgedThrough,
    head_seq: report.head?.seq ?? null,
    checkpoints_checked: report.checkpoints.checked,
    latest_checkpoint: latest
      ? {
          seq: latest.seq,
          signed_at: latest.signedAt.toISOString(),
          kid: latest.kid,
          key: latest.key,
        }
      : null,
    finding: report.finding
      ? {
          kind: report.finding.kind,
          seq: report.finding.seq,
          row_id: report.finding.rowId,
          detail: report.finding.detail,
        }
      : null,
  };
}
