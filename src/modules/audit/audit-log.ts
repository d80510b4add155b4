import { Injectable } from '@nestjs/common';
import { AuditActorType, AuditKind, AuditOutcome } from './audit-event.entity';
import { AuditEventRepository, NewAuditRow } from './audit-event.repository';
import { AuditChain } from './audit-chain';
import { AuditKeyring, FieldOwner, UserKey } from './audit-keyring';
import { formatAddress, networkOf, parseAddress } from './ip-address';
import { splitPersonal } from '../../common/privacy/personal-fields';

/** One thing to record, as its trail (administrative or authentication) describes it. */
export interface AuditRecord {
  /** The domain event's id: a row per event. */
  id: string;
  kind: AuditKind;
  actor: { type: AuditActorType; id: string | null };
  action: string;
  outcome: AuditOutcome;
  reason: string | null;
  target: { type: string; id: string | null };
  /** The user the row is about; their key seals the personal values of `details`. */
  userId: string | null;
  sessionId: string | null;
  /** May hold personal values (emails, names): those are split off and encrypted. */
  details: Record<string, unknown>;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  occurredAt: Date;
}

/** The associated data binding a personal field to its row and column. */
export const personalContext = (rowId: string, column: 'actor' | 'subject') =>
  `audit_events:${rowId}:${column}`;

/** Whose key seals the actor's address: the acting user's, else the account an attempt was on. */
export function actorFieldOwner(row: {
  actorType: string;
  actorId: string | null;
  userId: string | null;
}): string | null {
  if (row.actorType === 'user') return row.actorId;
  return row.actorType === 'anonymous' ? row.userId : null;
}

/**
 * Writes rows of the audit log, in the caller's transaction: personal values encrypted under
 * their owners' keys, the address as a keyed hash and a network for filters. Sealing into the
 * hash chain follows once the transaction commits (AuditChain).
 */
@Injectable()
export class AuditLog {
  constructor(
    private readonly rows: AuditEventRepository,
    private readonly keyring: AuditKeyring,
    private readonly chain: AuditChain,
  ) {}

  async record(records: AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    const prepared = records.map((record) => {
      const address = record.ip ? parseAddress(record.ip) : null;
      // Only a row about a person holds personal values: a role's or a client's name is not one.
      const { details, personal } = record.userId
        ? splitPersonal(record.details)
        : { details: record.details, personal: null };
      const actorPersonal =
        record.ip || record.userAgent
          ? { ip: address ? formatAddress(address) : record.ip, user_agent: record.userAgent }
          : null;
      const actorOwner = actorFieldOwner({
        actorType: record.actor.type,
        actorId: record.actor.id,
        userId: record.userId,
      });
      return { record, address, details, personal, actorPersonal, actorOwner };
    });
    // Keys only of those who own something to seal: rows without personal data need none.
    const owners = prepared.flatMap((p) => [
      ...(p.actorPersonal && p.actorOwner ? [p.actorOwner] : []),
      ...(p.personal && p.record.userId ? [p.record.userId] : []),
    ]);
    const keys = await this.keyring.userKeys(owners, { create: true });
    // Only an actor's values can belong to no user: a row holds a subject's only about a user.
    const ownerless = prepared.some((p) => p.actorPersonal && !p.actorOwner);
    const nobody = ownerless ? await this.keyring.nobodyKey() : null;
    const owner = (userId: string | null): FieldOwner => ({
      userKey: userId === null ? nobody : (keys.get(userId) ?? (null as UserKey)),
    });
    const rows: NewAuditRow[] = [];
    for (const { record, address, details, personal, actorPersonal, actorOwner } of prepared) {
      rows.push({
        id: record.id,
        kind: record.kind,
        actorType: record.actor.type,
        actorId: record.actor.id,
        action: record.action,
        actionFamily: record.action.split('.')[0],
        outcome: record.outcome,
        reason: record.reason,
        targetType: record.target.type,
        targetId: record.target.id,
        userId: record.userId,
        sessionId: record.sessionId,
        details,
        requestId: record.requestId,
        actorPersonal: actorPersonal
          ? this.keyring.seal(owner(actorOwner), actorPersonal, personalContext(record.id, 'actor'))
          : null,
        subjectPersonal: personal
          ? this.keyring.seal(owner(record.userId), personal, personalContext(record.id, 'subject'))
          : null,
        ipNetwork: address ? networkOf(address) : null,
        ipHmac: address ? await this.keyring.mac('ip', formatAddress(address)) : null,
        createdAt: record.occurredAt,
      });
    }
    await this.rows.insertMany(rows);
    await this.chain.requestSealing();
  }
}
