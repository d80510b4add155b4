import { Injectable } from '@nestjs/common';
import { Transactions } from '../../../database/transactions';

/** Whether a call may go to the Okta org now, and when to come back if not. */
export type CircuitAdmission = { admitted: true } | { admitted: false; retryAt: Date };

/**
 * The Okta orgs' circuit breakers in `hr_okta_circuits`, one row per org, each change one
 * statement (or one row locked) so that instances sharing the org agree on its state.
 */
@Injectable()
export class OktaCircuitsRepository {
  constructor(private readonly transactions: Transactions) {}

  /**
   * Closed: admitted. Open: refused until `open_until`. Past it (half-open): the first caller
   * takes the probe for `probeMs` and is admitted; the others are refused until the probe ends.
   */
  async admit(orgUrl: string, now: Date, probeMs: number): Promise<CircuitAdmission> {
    return this.transactions.run(async () => {
      const manager = this.transactions.manager();
      await manager.query(
        `INSERT INTO hr_okta_circuits (org_url) VALUES ($1) ON CONFLICT (org_url) DO NOTHING`,
        [orgUrl],
      );
      const [row] = await manager.query<{ open_until: Date | null; probe_until: Date | null }[]>(
        `SELECT open_until, probe_until FROM hr_okta_circuits WHERE org_url = $1 FOR UPDATE`,
        [orgUrl],
      );
      if (!row.open_until) return { admitted: true };
      if (row.open_until > now) return { admitted: false, retryAt: row.open_until };
      if (row.probe_until && row.probe_until > now) {
        return { admitted: false, retryAt: row.probe_until };
      }
      await manager.query(`UPDATE hr_okta_circuits SET probe_until = $2 WHERE org_url = $1`, [
        orgUrl,
        new Date(now.getTime() + probeMs),
      ]);
      return { admitted: true };
    });
  }

  /** Closes the circuit: Okta answered. */
  async succeeded(orgUrl: string): Promise<void> {
    await this.transactions.manager().query(
      `UPDATE hr_okta_circuits SET failures = 0, open_until = NULL, probe_until = NULL
          WHERE org_url = $1 AND (failures > 0 OR open_until IS NOT NULL)`,
      [orgUrl],
    );
  }

  /**
   * Counts a failure; the `threshold`-th in a row, or a failed probe, opens the circuit until
   * `reopenUntil`. Answers when it is open until, or null while it stays closed.
   */
  async failed(orgUrl: string, threshold: number, reopenUntil: Date): Promise<Date | null> {
    const [row] = await this.transactions
      .manager()
      .query<{ failures: number; open_until: Date | null }[]>(
        `INSERT INTO hr_okta_circuits AS c (org_url, failures) VALUES ($1, 1)
       ON CONFLICT (org_url) DO UPDATE SET failures = c.failures + 1
       RETURNING c.failures, c.open_until`,
        [orgUrl],
      );
    if (row.failures < threshold && !row.open_until) return null;
    await this.transactions
      .manager()
      .query(`UPDATE hr_okta_circuits SET open_until = $2, probe_until = NULL WHERE org_url = $1`, [
        orgUrl,
        reopenUntil,
      ]);
    return reopenUntil;
  }
}
