import { AuditEventDto } from './dto/audit-event.dto';

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
