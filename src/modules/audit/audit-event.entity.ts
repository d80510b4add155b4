import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

export const AUDIT_ACTOR_TYPES = ['user', 'service', 'system', 'anonymous'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];

export const AUDIT_KINDS = ['administrative', 'authentication'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export const AUDIT_OUTCOMES = ['success', 'failure'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/**
 * One row of the audit log: an administrative change (written in the changing transaction) or
 * an authentication event (written as the relay publishes it). Its id is the domain event's, so
 * an event makes at most one row, and ids order the timeline. Append-only: the sealing job only
 * fills `seq`, `prev_hash` and `hash` (the hash chain) once. Ids are kept without foreign keys
 * so the log outlives what it describes.
 *
 * Personal data is never in clear: the actor's address and user agent (`actor_personal`) and
 * what `details` would say about a person (`subject_personal`) are encrypted under the data key
 * of the user they belong to (`AuditKeyring`), which erasure destroys. The hash covers the
 * ciphertexts, so the chain still verifies after that. IP filters go through `ip_hmac` (exact
 * address, keyed) and `ip_network` (its /24 or /48).
 */
@Entity('audit_events')
@Check('CHK_audit_events_actor_type', `"actor_type" IN ('user', 'service', 'system', 'anonymous')`)
@Check(
  'CHK_audit_events_actor_id',
  `"actor_type" IN ('system', 'anonymous') OR "actor_id" IS NOT NULL`,
)
@Check('CHK_audit_events_details', `jsonb_typeof("details") = 'object'`)
@Check('CHK_audit_events_kind', `"kind" IN ('administrative', 'authentication')`)
@Check('CHK_audit_events_outcome', `"outcome" IN ('success', 'failure')`)
@Check(
  'CHK_audit_events_sealed',
  `("seq" IS NULL) = ("hash" IS NULL) AND ("seq" IS NULL) = ("prev_hash" IS NULL)`,
)
@Index('IDX_audit_events_actor', ['actorType', 'actorId', 'id'])
@Index('IDX_audit_events_user', ['userId', 'id'])
@Index('IDX_audit_events_action', ['action', 'id'])
@Index('IDX_audit_events_action_family', ['actionFamily', 'id'])
@Index('IDX_audit_events_outcome', ['outcome', 'id'])
@Index('IDX_audit_events_ip', ['ipHmac', 'id'])
@Index('IDX_audit_events_network', ['ipNetwork', 'id'])
@Index('IDX_audit_events_request', ['requestId', 'id'])
@Index('UQ_audit_events_seq', ['seq'], { unique: true })
@Index('IDX_audit_events_unsealed', ['id'], { where: '"seq" IS NULL' })
export class AuditEvent {
  /** The domain event's id (UUIDv7): the order of the timeline. */
  @PrimaryColumn({ type: 'uuid', default: () => 'uuidv7()' })
  id!: string;

  @Column({ type: 'text' })
  kind!: AuditKind;

  @Column({ name: 'actor_type', type: 'text' })
  actorType!: AuditActorType;

  /** A user id, a client id, or for the system the name of the tool (`cli`). */
  @Column({ name: 'actor_id', type: 'text', nullable: true })
  actorId!: string | null;

  /** `<family>.<verb>`, e.g. `role.create`, `user_role.grant`, `auth.login`. */
  @Column({ type: 'text' })
  action!: string;

  /** What `action` starts with before its dot: what `action=<family>.*` filters on. */
  @Column({ name: 'action_family', type: 'text' })
  actionFamily!: string;

  @Column({ type: 'text', default: 'success' })
  outcome!: AuditOutcome;

  /** Why an attempt failed, or how it succeeded (`mfa_required`); never personal. */
  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ name: 'target_type', type: 'text' })
  targetType!: string;

  @Column({ name: 'target_id', type: 'text', nullable: true })
  targetId!: string | null;

  /** The user the row is about (an action's target user, an authentication's account). */
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId!: string | null;

  @Column({ name: 'session_id', type: 'uuid', nullable: true })
  sessionId!: string | null;

  /** What the row records beyond its columns, without personal data. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  details!: Record<string, unknown>;

  @Column({ name: 'request_id', type: 'text', nullable: true })
  requestId!: string | null;

  /** The actor's IP address and user agent, encrypted (see AuditKeyring). */
  @Column({ name: 'actor_personal', type: 'text', nullable: true })
  actorPersonal!: string | null;

  /** Personal values of `details` about the row's user, encrypted under that user's key. */
  @Column({ name: 'subject_personal', type: 'text', nullable: true })
  subjectPersonal!: string | null;

  /** The actor's network: its address truncated to /24 (IPv4) or /48 (IPv6). */
  @Column({ name: 'ip_network', type: 'cidr', nullable: true })
  ipNetwork!: string | null;

  /** HMAC-SHA-256 of the actor's address under the audit index key: exact-address filters. */
  @Column({ name: 'ip_hmac', type: 'bytea', nullable: true })
  ipHmac!: Buffer | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  /** Position in the hash chain, given by the sealing job; null until sealed. */
  @Column({ type: 'bigint', nullable: true })
  seq!: string | null;

  @Column({ name: 'prev_hash', type: 'bytea', nullable: true })
  prevHash!: Buffer | null;

  /** SHA-256 of `prev_hash` and this row's canonical content (audit-chain-hash.ts). */
  @Column({ type: 'bytea', nullable: true })
  hash!: Buffer | null;
}
