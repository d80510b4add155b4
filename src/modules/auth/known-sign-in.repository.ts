import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';

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
   * Records a sign-in's context and says what was known before it, in one statement: the
   * lookup reads the rows as they were before the insert. Two recordings of one new context
   * at once make one row (the unique index; the second waits for the first and updates it).
   * A user deleted meanwhile gets no row, and counts as never seen.
   */
  async record(context: SignInContext): Promise<SignInFamiliarity> {
    const [row] = await this.transactions
      .manager()
      .query<{ signed_in_before: boolean; known_device: boolean; known_network: boolean }[]>(
        `WITH prior AS (
         SELECT count(*) > 0 AS signed_in_before,
                coalesce(bool_or(device_hash = $3::bytea), false) AS known_device,
                coalesce(bool_or(network_hash = $4::bytea), false) AS known_network
           FROM known_sign_ins WHERE user_id = $1::uuid AND key_id = $2::text
       ), recorded AS (
         INSERT INTO known_sign_ins AS k
                (user_id, key_id, device_hash, network_hash, first_seen_at, last_seen_at)
         SELECT $1::uuid, $2::text, $3::bytea, $4::bytea, $5::timestamptz, $5::timestamptz
          WHERE EXISTS (SELECT 1 FROM users WHERE id = $1::uuid)
         ON CONFLICT (user_id, device_hash, network_hash)
         DO UPDATE SET last_seen_at = greatest(k.last_seen_at, excluded.last_seen_at)
       )
       SELECT * FROM prior`,
        [context.userId, context.keyId, context.deviceHash, context.networkHash, context.at],
      );
    return {
      signedInBefore: row.signed_in_before,
      knownDevice: row.known_device,
      knownNetwork: row.known_network,
    };
  }
}
