import { readFileSync } from 'node:fs';
import type autocannon from 'autocannon';
import type { ConnectionPlan, PlannedRequest, PlanReference } from './connection-plan';

/** autocannon keeps its own copy of the run's options on every connection it opens. */
interface ConnectionWithOptions extends autocannon.Client {
  opts: { initialContext: PlanReference };
}

// autocannon starts a fresh worker, and so a fresh copy of this module, for every run.
let connectionsSetUp = 0;
let plan: ConnectionPlan | undefined;

/**
 * autocannon's `setupClient` hook, loaded by its worker thread: gives the n-th connection of the
 * run its own requests from the plan `initialContext` points to.
 */
function setupConnection(client: autocannon.Client): void {
  plan ??= JSON.parse(
    readFileSync((client as ConnectionWithOptions).opts.initialContext.planFile, 'utf8'),
  ) as ConnectionPlan;
  const index = connectionsSetUp++;
  client.setRequests(
    plan.kind === 'fixed-requests'
      ? ownRequests(plan.requestsByConnection, index)
      : rotationChain(plan.path, plan.refreshTokens, index),
  );
}

function ownRequests(requestsByConnection: PlannedRequest[][], index: number): PlannedRequest[] {
  const requests = requestsByConnection[index];
  if (!requests?.length) throw new Error(`the plan has no requests for connection ${index}`);
  return requests;
}

function rotationChain(path: string, refreshTokens: string[], index: number): autocannon.Request[] {
  let refreshToken = refreshTokens[index];
  if (refreshToken === undefined)
    throw new Error(`the plan has no session for connection ${index}`);
  return [
    {
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json' },
      setupRequest: (request) => ({
        ...request,
        body: JSON.stringify({ refresh_token: refreshToken }),
      }),
      // A failed refresh leaves the chain where it was; the run then fails on its non-2xx count.
      onResponse: (status, body) => {
        if (status === 200) {
          refreshToken = (JSON.parse(body) as { refresh_token: string }).refresh_token;
        }
      },
    },
  ];
}

export = setupConnection;
