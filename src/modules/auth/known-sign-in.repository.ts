import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { PurgesExpired } from '../retention/retention-purge.decorator';

/** A sign-in's device and network, as keyed hashes (see KnownSignIn). */
export interface SignInContext {
  userId: string;
  keyId: string;
  deviceHash: Buffer;
  networkHash: Buffer;
  at: Date;
}

/** What was known of a user's sign-ins before one was recorded. */
export interface SignInFamiliarity {
  /** Some sign-in of the user was recorded before (under the current master key). */
  signedInBefore: boolean;
  knownDevice: boolean;
  knownNetwork: boolean;
}

@Injectable()
export class KnownSignInRepository {
  constructor(private readonly transactions: Transactions) {}

  /**
   * Records sign-ins' contexts and says, for each, what was known before it, in one statement:
   * the lookup reads the rows as they were before the insert. At most one sign-in per user
   * (of two, the second must see the first: record them in turn). Two recordings of one new
   * context at once make one row (the unique index; the second waits for the first and
   * updates it). A user deleted meanwhile gets no row, and counts as never seen.
   */
  async record(contexts: SignInContext[]): Promise<SignInFamiliarity[]> {
    if (new Set(contexts.map((c) => c.userId)).size !== contexts.length) {
      throw new Error('record takes at most one sign-in per user');
    }
    const column = <T>(pick: (c: SignInContext) => T) => contexts.map(pick);
    const rows = await this.transactions
      .manager()
      .query<{ signed_in_before: boolean; known_device: boolean; known_network: boolean }[]>(
        `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::bytea[], $4::bytea[], $5::timestamptz[])
           WITH ORDINALITY AS i(user_id, key_id, device_hash, network_hash, at, n)
       ), prior AS (
         SELECT i.n,
                count(k.user_id) > 0 AS signed_in_before,
                coalesce(bool_or(k.device_hash = i.device_hash), false) AS known_device,
                coalesce(bool_or(k.network_hash = i.network_hash), false) AS known_network
           FROM input i
           LEFT JOIN known_sign_ins k ON k.user_id = i.user_id AND k.key_id = i.key_id
          GROUP BY i.n
       ), recorded AS (
         INSERT INTO known_sign_ins AS k
                (user_id, key_id, device_hash, network_hash, first_seen_at, last_seen_at)
         SELECT i.user_id, i.key_id, i.device_hash, i.network_hash, i.at, i.at
           FROM input i
          WHERE EXISTS (SELECT 1 FROM users WHERE id = i.user_id)
         ON CONFLICT (user_id, device_hash, network_hash)
         DO UPDATE SET last_seen_at = greatest(k.last_seen_at, excluded.last_seen_at)
       )
       SELECT * FROM prior ORDER BY n`,
        [
          column((c) => c.userId),
          column((c) => c.keyId),
          column((c) => c.deviceHash),
          column((c) => c.networkHash),
          column((c) => c.at),
        ],
      );
    return rows.map((row) => ({
      signedInBefore: row.signed_in_before,
      knownDevice: row.known_device,
      knownNetwork: row.known_network,
    }));
  }

  /**
   * Contexts not seen for the retention period: a sign-in from one of them counts as from a new
   * device and network again.
   */
  @PurgesExpired({
    kind: 'known_sign_ins',
    retentionDays: (config) => config.retention.knownSignInsDays,
  })
  async purgeUnseen(before: Date, limit: number): Promise<number> {
    const rows = await this.transactions.manager().query<{ id: string }[]>(
      `WITH gone AS (
         DELETE FROM known_sign_ins WHERE id IN (
           SELECT id FROM known_sign_ins WHERE last_seen_at < $1
            ORDER BY last_seen_at LIMIT $2 FOR UPDATE SKIP LOCKED
         ) RETURNING id
       )
       SELECT id FROM gone`,
      [before, limit],
    );
    return rows.length;
  }
}
