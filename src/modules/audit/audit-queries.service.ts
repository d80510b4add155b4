import { Injectable } from '@nestjs/common';
import { firstIdAt } from '../../common/ids/uuid-v7';
import { AuditEventRepository, AuditRowConditions, ListedAuditRow } from './audit-event.repository';
import { AuditCursors, CursorPosition } from './audit-cursor';
import { AuditFilter, filterFingerprint } from './audit-filter';
import { AuditKeyring, FieldOwner } from './audit-keyring';
import { NETWORK_PREFIX } from './ip-address';
import { actorFieldOwner, personalContext } from './audit-log';
import { mergePersonal } from '../../common/privacy/personal-fields';

/** A row of the audit log as read: personal fields opened, or null where erased. */
export interface AuditEntry {
  id: string;
  kind: string;
  occurredAt: Date;
  action: string;
  outcome: string;
  reason: string | null;
  actor: { type: string; id: string | null };
  target: { type: string; id: string | null };
  userId: string | null;
  sessionId: string | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  network: string | null;
  details: Record<string, unknown>;
  /** Its position in the hash chain; null until the sealing job has sealed it. */
  seq: number | null;
}

export interface AuditPage {
  items: AuditEntry[];
  /** Older rows; null when there are none. */
  nextCursor: string | null;
  /** Newer rows; null when there were none. */
  prevCursor: string | null;
}

/** Actions a user's activity leaves out: token refreshes are many and say nothing new. */
const NOT_ACTIVITY = ['auth.refresh'];

/** Whether a network is exactly as wide as those `ip_network` keeps (/24, /48). */
function isKeptNetwork(network: string): boolean {
  const prefix = Number(network.split('/')[1]);
  return prefix === (network.includes(':') ? NETWORK_PREFIX[6] : NETWORK_PREFIX[4]);
}

/**
 * Reads the audit log: the admins' filtered timeline and each user's own activity, newest
 * first, keyset-paginated in both directions by id (UUIDv7, so time order) over an index per
 * filter. Personal fields are opened with their owners' keys, read per page.
 */
@Injectable()
export class AuditQueries {
  constructor(
    private readonly rows: AuditEventRepository,
    private readonly keyring: AuditKeyring,
  ) {}

  /** Cursors for this filter: one issued for another filter is refused. */
  cursorsFor(filter: AuditFilter): AuditCursors {
    return new AuditCursors(
      (payload) => this.keyring.mac('cursor', payload),
      filterFingerprint(filter),
    );
  }

  async list(filter: AuditFilter, limit: number, cursor: string | undefined): Promise<AuditPage> {
    return this.page(await this.conditionsOf(filter), limit, cursor, this.cursorsFor(filter));
  }

  /** A user's own security timeline: rows about them, without token refreshes. */
  async activity(userId: string, limit: number, cursor: string | undefined): Promise<AuditPage> {
    const cursors = new AuditCursors(
      (payload) => this.keyring.mac('cursor', payload),
      `activity:${userId}`,
    );
    return this.page({ userId, excludeActions: NOT_ACTIVITY }, limit, cursor, cursors);
  }

  /** The conditions a filter stands for (the address as its keyed hash). */
  async conditionsOf(filter: AuditFilter): Promise<AuditRowConditions> {
    const ip = filter.ip;
    return {
      actor: filter.actor,
      userId: filter.userId,
      action: filter.action && 'exact' in filter.action ? filter.action.exact : undefined,
      actionFamily: filter.action && 'family' in filter.action ? filter.action.family : undefined,
      outcome: filter.outcome,
      ipHmac: ip && 'address' in ip ? await this.keyring.mac('ip', ip.address) : undefined,
      ...(ip && 'network' in ip
        ? isKeptNetwork(ip.network)
          ? { ipNetworkEquals: ip.network }
          : { ipNetwork: ip.network }
        : {}),
      requestId: filter.requestId,
      idFrom: filter.from ? firstIdAt(filter.from) : undefined,
      idTo: filter.to ? firstIdAt(filter.to) : undefined,
    };
  }

  private async page(
    conditions: AuditRowConditions,
    limit: number,
    cursor: string | undefined,
    cursors: AuditCursors,
  ): Promise<AuditPage> {
    const position: CursorPosition | null = cursor ? await cursors.decode(cursor) : null;
    const direction = position?.direction ?? 'older';
    const found = await this.rows.list(conditions, {
      direction,
      after: position?.id ?? null,
      limit,
    });
    const more = found.length > limit;
    const rows = found.slice(0, limit);
    if (direction === 'newer') rows.reverse();
    const items = await this.open(rows);
    const newest = rows[0]?.id;
    const oldest = rows.at(-1)?.id;
    if (direction === 'older') {
      return {
        items,
        nextCursor:
          more && oldest ? await cursors.encode({ direction: 'older', id: oldest }) : null,
        prevCursor:
          position && newest ? await cursors.encode({ direction: 'newer', id: newest }) : null,
      };
    }
    return {
      items,
      nextCursor: oldest ? await cursors.encode({ direction: 'older', id: oldest }) : null,
      // Nothing newer yet: the same cursor asks again later.
      prevCursor: newest
        ? more
          ? await cursors.encode({ direction: 'newer', id: newest })
          : null
        : (cursor ?? null),
    };
  }

  /** Rows as entries, their personal fields opened with their owners' keys. */
  async open(rows: ListedAuditRow[]): Promise<AuditEntry[]> {
    const owners = rows.flatMap((row) => [actorFieldOwner(row), row.userId]);
    const keys = await this.keyring.userKeys(
      owners.filter((id): id is string => id !== null),
      { create: false },
    );
    const ownerless = rows.some(
      (row) =>
        (row.actorPersonal && actorFieldOwner(row) === null) ||
        (row.subjectPersonal && row.userId === null),
    );
    const nobody = ownerless ? await this.keyring.nobodyKey() : null;
    const owner = (userId: string | null): FieldOwner => ({
      userKey: userId === null ? nobody : (keys.get(userId) ?? null),
    });
    return rows.map((row) => {
      const actor = row.actorPersonal
        ? this.keyring.open(
            row.actorPersonal,
            owner(actorFieldOwner(row)),
            personalContext(row.id, 'actor'),
          )
        : null;
      const subject = row.subjectPersonal
        ? this.keyring.open(
            row.subjectPersonal,
            owner(row.userId),
            personalContext(row.id, 'subject'),
          )
        : null;
      return {
        id: row.id,
        kind: row.kind,
        occurredAt: row.createdAt,
        action: row.action,
        outcome: row.outcome,
        reason: row.reason,
        actor: { type: row.actorType, id: row.actorId },
        target: { type: row.targetType, id: row.targetId },
        userId: row.userId,
        sessionId: row.sessionId,
        requestId: row.requestId,
        ip: typeof actor?.ip === 'string' ? actor.ip : null,
        userAgent: typeof actor?.user_agent === 'string' ? actor.user_agent : null,
        network: row.ipNetwork,
        details: mergePersonal(row.details, subject),
        seq: row.seq === null ? null : Number(row.seq),
      };
    });
  }
}
