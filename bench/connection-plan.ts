import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** One request as autocannon sends it, in a form that can be copied to its worker thread. */
export interface PlannedRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * What each connection of a load run sends, for runs in which connections must differ. autocannon
 * generates load in a worker thread and, there, takes per-connection behaviour only from a file
 * it loads itself (connection-setup.ts); the plan reaches that file through a file of its own
 * (see PlanReference).
 */
export type ConnectionPlan =
  /** Connection n cycles through its own list, e.g. logins of accounts no other connection uses. */
  | { kind: 'fixed-requests'; requestsByConnection: PlannedRequest[][] }
  /**
   * Connection n follows one refresh-token rotation chain from `refreshTokens[n]`: each
   * response's refresh token is the next request's, so no request replays a rotated token.
   */
  | { kind: 'refresh-chain'; path: string; refreshTokens: string[] };

/** The compiled connection-setup.ts beside this file, as autocannon's worker `require`s it. */
export const CONNECTION_SETUP_MODULE = resolve(__dirname, 'connection-setup.js');

/**
 * autocannon's `initialContext` option, which connection-setup.ts reads: where the plan is, not
 * the plan. autocannon deep-copies the context for a connection each time the connection starts
 * its list of requests over, which for a list of one is before every request; a plan of every
 * connection's requests copied that often made the load generator, not the server, the
 * bottleneck of a run.
 */
export interface PlanReference {
  planFile: string;
}

/** Writes `plan` where connection-setup.ts can read it, until `remove` is called. */
export async function writePlan(
  plan: ConnectionPlan,
): Promise<{ reference: PlanReference; remove(): Promise<void> }> {
  const directory = await mkdtemp(join(tmpdir(), 'gatehouse-bench-plan-'));
  const planFile = join(directory, 'plan.json');
  await writeFile(planFile, JSON.stringify(plan));
  return {
    reference: { planFile },
    remove: () => rm(directory, { recursive: true, force: true }),
  };
}
