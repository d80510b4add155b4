import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { uuidV7 } from '../../common/ids/uuid-v7';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { unavailable } from './provider-calls';
import { LeasedToken, TokenVaultRepository } from './token-vault.repository';

/** How long a request waiting on another instance's trip sleeps between looks, growing. */
const POLL_MS = [5, 10, 20, 40, 50];

/** What asking for a record's lease ended in. */
export type Claim =
  /** The caller holds the lease and goes to the provider; the record comes with its envelope. */
  | { kind: 'lead'; lease: string; token: LeasedToken }
  /** The trip the caller waited on answered: its access token, sealed. */
  | { kind: 'shared'; accessTokenSealed: string }
  /** The record is revoked (a trip got `invalid_grant`). */
  | { kind: 'inactive' }
  /** The record was deleted. */
  | { kind: 'gone' };

/**
 * Single flight across instances without holding a database connection during the trip: a
 * request takes the record's lease with one UPDATE (only when no trip holds it, or the holder's
 * lease ran out: a leader that died) and goes to the provider; the others look again every few
 * milliseconds, each look a short statement of its own, until the trip they waited on has
 * recorded its answer or its lease ends. A waiting request marks the trip waited on, and only
 * then does the trip keep its access token (sealed) for it: with no one waiting, as at a steady
 * rate over many records, no access token is ever written. Times are the database's, so
 * instances' clocks do not matter.
 *
 * A lease lasts twice the provider timeout and a second: a trip has always ended (answered or
 * timed out) before its lease can be taken over, so the stored offline token is never sent twice.
 */
@Injectable()
export class OfflineTokenLeases {
  readonly leaseMs: number;

  constructor(
    private readonly repository: TokenVaultRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.leaseMs = 2 * config.federation.timeoutMs + 1000;
  }

  /**
   * The record's lease, waiting while another trip holds it. With `share`, the answer of the
   * trip waited on ends the wait instead (never an older trip's: only a request that was
   * waiting when the answer came may share it). 502 when no lease came in two lease lengths.
   */
  async claim(id: string, share: boolean): Promise<Claim> {
    const deadline = Date.now() + 2 * this.leaseMs;
    let waitedOn: string | null = null;
    for (let look = 0; ; look++) {
      if (waitedOn === null) {
        const lease = uuidV7();
        const token = await this.repository.claimLease(id, lease, this.leaseMs);
        if (token) return { kind: 'lead', lease, token };
      }
      const flight = await this.repository.flightOf(id);
      if (!flight) return { kind: 'gone' };
      if (flight.status !== 'active') return { kind: 'inactive' };
      if (flight.leased) {
        if (share && flight.leaseId !== waitedOn) {
          await this.repository.markWaited(id, flight.leaseId!);
        }
        waitedOn = flight.leaseId;
        if (Date.now() > deadline) throw unavailable();
        await sleep(POLL_MS[Math.min(look, POLL_MS.length - 1)]);
      } else if (share && flight.leaseId === waitedOn && flight.accessTokenSealed !== null) {
        return { kind: 'shared', accessTokenSealed: flight.accessTokenSealed };
      } else {
        // The trip ended with nothing to share (the provider down), or none was seen: claim.
        waitedOn = null;
      }
    }
  }

  /** A trip that ends without an answer to record (the provider down) lets the next one try. */
  release(id: string, lease: string): Promise<void> {
    return this.repository.releaseLease(id, lease);
  }
}
