import { isISO8601, isUUID } from 'class-validator';
import { DomainError } from '../../common/errors/domain-error';
import { AuditErrorCode } from '../../common/errors/error-code';
import { FieldError } from '../../common/errors/problem';
import { AuditOutcome, AUDIT_OUTCOMES } from './audit-event.entity';
import { formatAddress, maskAddress, NETWORK_PREFIX, parseAddress } from './ip-address';

/** The widest time range one query (or export) may span. */
export const MAX_RANGE_DAYS = 366;
/** The widest networks an `ip` filter may name: /8 for IPv4, /16 for IPv6. */
const WIDEST_PREFIX = { 4: 8, 6: 16 } as const;
const FILTER_ACTOR_TYPES = ['user', 'service', 'system'] as const;
const ACTION = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
const FAMILY = /^([a-z][a-z0-9_]*)\.\*$/;

/** The filters of the audit log's queries and exports, as given (query strings, JSON). */
export interface AuditFilterInput {
  actor_type?: string;
  actor_id?: string;
  user_id?: string;
  action?: string;
  outcome?: string;
  ip?: string;
  request_id?: string;
  from?: string;
  to?: string;
}

/** Parsed filters: each one an index serves. */
export interface AuditFilter {
  actor?: { type: string; id: string };
  userId?: string;
  action?: { exact: string } | { family: string };
  outcome?: AuditOutcome;
  /** An exact address (normalized), or a network (`a.b.c.0/24`) rows' networks lie within. */
  ip?: { address: string } | { network: string };
  requestId?: string;
  from?: Date;
  to?: Date;
}

/**
 * Parses filters, refusing with a 400 that names each filter at fault: values that do not
 * parse, a time range that ends before it starts, and filters too wide to serve well (a range
 * over MAX_RANGE_DAYS, a network wider than /8 or /16, `*` for every action). Networks narrower
 * than the kept /24 (/48) are refused too: only the exact address is finer than that.
 */
export function parseAuditFilter(input: AuditFilterInput): AuditFilter {
  const errors: FieldError[] = [];
  const refuse = (field: string, message: string) => errors.push({ field, message });
  const filter: AuditFilter = {};

  if (input.actor_id !== undefined) {
    const type = input.actor_type ?? 'user';
    if (!(FILTER_ACTOR_TYPES as readonly string[]).includes(type)) {
      refuse('actor_type', `must be one of ${FILTER_ACTOR_TYPES.join(', ')}`);
    } else if (type === 'user' && !isUUID(input.actor_id)) {
      refuse('actor_id', 'must be a user id (UUID) when actor_type is user');
    } else if (input.actor_id.length === 0) {
      refuse('actor_id', 'must not be empty');
    } else {
      filter.actor = { type, id: input.actor_id };
    }
  } else if (input.actor_type !== undefined) {
    refuse('actor_type', 'needs actor_id: filter on one actor');
  }

  if (input.user_id !== undefined) {
    if (isUUID(input.user_id)) filter.userId = input.user_id.toLowerCase();
    else refuse('user_id', 'must be a user id (UUID)');
  }

  if (input.action !== undefined) {
    const family = FAMILY.exec(input.action);
    if (family) filter.action = { family: family[1] };
    else if (ACTION.test(input.action) && !input.action.includes('*')) {
      filter.action = { exact: input.action };
    } else if (input.action === '*' || input.action === '.*') {
      refuse('action', 'is too wide: leave it out for every action');
    } else {
      refuse('action', 'must be an action (`role.create`) or a family of them (`role.*`)');
    }
  }

  if (input.outcome !== undefined) {
    if ((AUDIT_OUTCOMES as readonly string[]).includes(input.outcome)) {
      filter.outcome = input.outcome as AuditOutcome;
    } else {
      refuse('outcome', `must be one of ${AUDIT_OUTCOMES.join(', ')}`);
    }
  }

  if (input.ip !== undefined) {
    const ip = parseIpFilter(input.ip);
    if (typeof ip === 'string') refuse('ip', ip);
    else filter.ip = ip;
  }

  if (input.request_id !== undefined) {
    if (input.request_id.length > 0) filter.requestId = input.request_id;
    else refuse('request_id', 'must not be empty');
  }

  const from = parseInstant(input.from);
  const to = parseInstant(input.to);
  if (from === 'invalid') refuse('from', 'must be an ISO 8601 date-time with a time zone');
  else if (from) filter.from = from;
  if (to === 'invalid') refuse('to', 'must be an ISO 8601 date-time with a time zone');
  else if (to) filter.to = to;
  if (filter.from && filter.to) {
    if (filter.from >= filter.to) refuse('from', 'must be before to');
    else if (filter.to.getTime() - filter.from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
      refuse('to', `is too far from from: a range spans at most ${MAX_RANGE_DAYS} days`);
    }
  }

  if (errors.length > 0) {
    throw new DomainError(
      AuditErrorCode.InvalidAuditFilter,
      `The audit filter has ${errors.length} problem${errors.length === 1 ? '' : 's'}.`,
      { errors },
    );
  }
  return filter;
}

function parseInstant(value: string | undefined): Date | 'invalid' | undefined {
  if (value === undefined) return undefined;
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(value);
  if (!zoned || !isISO8601(value, { strict: true, strictSeparator: true })) return 'invalid';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? 'invalid' : date;
}

/** An exact address, a network within the indexed granularity, or why not. */
function parseIpFilter(value: string): AuditFilter['ip'] | string {
  const [text, prefixText, ...rest] = value.split('/');
  const address = parseAddress(text);
  if (!address || rest.length > 0) return 'must be an IP address or a CIDR network';
  if (prefixText === undefined) return { address: formatAddress(address) };
  if (!/^\d{1,3}$/.test(prefixText)) return 'must be an IP address or a CIDR network';
  const prefix = Number(prefixText);
  const full = address.version === 4 ? 32 : 128;
  if (prefix > full) return 'must be an IP address or a CIDR network';
  if (prefix === full) return { address: formatAddress(address) };
  if (prefix < WIDEST_PREFIX[address.version]) {
    return `is too wide: networks of at most /${WIDEST_PREFIX[address.version]} for IPv${address.version}`;
  }
  if (prefix > NETWORK_PREFIX[address.version]) {
    return `is narrower than the /${NETWORK_PREFIX[address.version]} networks kept: give an exact address or a /${NETWORK_PREFIX[address.version]}`;
  }
  return { network: `${formatAddress(maskAddress(address, prefix))}/${prefix}` };
}

/** The one text of a filter: what a cursor is bound to, and what makes two exports the same. */
export function filterFingerprint(filter: AuditFilter): string {
  return JSON.stringify([
    filter.actor ?? null,
    filter.userId ?? null,
    filter.action ?? null,
    filter.outcome ?? null,
    filter.ip ?? null,
    filter.requestId ?? null,
    filter.from?.toISOString() ?? null,
    filter.to?.toISOString() ?? null,
  ]);
}
