import { createHash } from 'node:crypto';

/** The `prev_hash` of the first row of a chain that starts from nothing. */
export const GENESIS_HASH = Buffer.alloc(32);

/**
 * A row's columns as the chain hashes them, each in its stored form as the database renders it
 * as text (a timestamp to the microsecond, jsonb in its normalized form): what the sealing job
 * hashed is what the verifier reads back, in any process.
 */
export interface ChainedContent {
  id: string;
  kind: string;
  created_at: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  action_family: string;
  outcome: string;
  reason: string | null;
  target_type: string;
  target_id: string | null;
  user_id: string | null;
  session_id: string | null;
  request_id: string | null;
  details: string;
  actor_personal: string | null;
  subject_personal: string | null;
  ip_network: string | null;
  ip_hmac: string | null;
}

/** The SQL select list that reads ChainedContent from `audit_events` (aliased `e`). */
export const CHAINED_CONTENT_COLUMNS = `e.id::text AS id, e.kind,
  to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at,
  e.actor_type, e.actor_id, e.action, e.action_family, e.outcome, e.reason, e.target_type,
  e.target_id, e.user_id::text AS user_id, e.session_id::text AS session_id, e.request_id,
  e.details::text AS details, e.actor_personal, e.subject_personal,
  e.ip_network::text AS ip_network, encode(e.ip_hmac, 'hex') AS ip_hmac`;

/** SHA-256 over the previous row's hash, this row's position and its content. */
export function chainHash(prevHash: Buffer, seq: number, row: ChainedContent): Buffer {
  const canonical = JSON.stringify([
    1,
    seq,
    row.id,
    row.kind,
    row.created_at,
    row.actor_type,
    row.actor_id,
    row.action,
    row.action_family,
    row.outcome,
    row.reason,
    row.target_type,
    row.target_id,
    row.user_id,
    row.session_id,
    row.request_id,
    row.details,
    row.actor_personal,
    row.subject_personal,
    row.ip_network,
    row.ip_hmac,
  ]);
  return createHash('sha256').update(prevHash).update(canonical, 'utf8').digest();
}
