import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { KitePeer } from '../test/peers/kite-peer';
import { createActiveAccounts, signIn } from './accounts';
import type { Benchmark } from './benchmark';
import type { ConnectionPlan } from './connection-plan';
import { compareTargets, httpTarget } from './load-generator';
import { describeRounds, renderComparisonTable, renderSection } from './results-file';
import { clientToken, createServiceClients } from './service-clients';
import { type GatehouseServer, startBareFastify, startGatehouse } from './targets';

const API_KEY = 'benchplatformkey';
const API_SECRET = randomBytes(16).toString('hex');
const CREDENTIALS_SCOPE = 'trading_accounts:credentials';
/** Accounts linked through the Kite peer, one owner each. */
const ACCOUNTS = 20;
const LINK_PACING_MS = 400;
/** Service clients sharing the load: the fetch limit is per client. */
const CLIENTS = 10;
/** Per client and minute: far above what the run asks, so the limiter counts but never refuses. */
const FETCHES_PER_MINUTE = 100_000;

interface Session {
  account_id: string;
  api_key: string;
  access_token: string;
}

async function expectJson<T>(response: Response, what: string): Promise<T> {
  if (!response.ok) throw new Error(`${what}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Links one account per owner as a browser does: Gatehouse's login URL, Kite, the callback. */
async function linkAccounts(
  gatehouse: GatehouseServer,
  kite: KitePeer,
  tag: string,
): Promise<{ accountId: string; ownerId: string }[]> {
  const owners = await signIn(gatehouse, await createActiveAccounts(gatehouse, tag, ACCOUNTS), 4);
  const linked: { accountId: string; ownerId: string }[] = [];
  for (const [index, owner] of owners.entries()) {
    const response = await fetch(`${gatehouse.baseUrl}/v1/trading-accounts/links`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${owner.access_token}`,
        'content-type': 'application/json',
      },
      body: '{}',
    });
    // The browser keeps the cookie binding the link to it, and sends it back on the redirect.
    const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0];
    const started = await expectJson<{ login_url: string }>(
      response,
      'POST /v1/trading-accounts/links',
    );
    // Unique per run: runs against one database never meet each other's broker users.
    const brokerUser = kite.addUser(`${tag.toUpperCase()}${index}`).user_id;
    const redirect = new URL(await kite.login(started.login_url, brokerUser));
    const account = await expectJson<{ id: string; owner_id: string }>(
      await fetch(`${gatehouse.baseUrl}${redirect.pathname}${redirect.search}`, {
        headers: { cookie },
      }),
      'GET /v1/trading-accounts/links/callback',
    );
    linked.push({ accountId: account.id, ownerId: account.owner_id });
    // Kite allows an app 10 requests a second, and a link makes a few (token, profile, margins).
    await delay(LINK_PACING_MS);
  }
  return linked;
}

/**
 * `POST /v1/trading-accounts/{id}/session`: a sibling service fetching a usable broker session
 * for the user it acts for. Gatehouse and the accounts are its own: started with a Kite Connect
 * app pointed at the Kite peer, which this benchmark starts on loopback, and the accounts linked
 * through it (official client, checksum, request token exchanged).
 */
export const tradingSessionBenchmark: Benchmark = {
  id: 'trading-session',
  async run({ settings, progress }) {
    const { connections } = settings;
    const tag = `s${randomBytes(4).toString('hex')}`;
    const kite = await new KitePeer().start();
    try {
      kite.addApp(API_KEY, API_SECRET, 'http://127.0.0.1/v1/trading-accounts/links/callback');
      const app = await startGatehouse(progress, {
        KITE_API_KEY: API_KEY,
        KITE_API_SECRET: API_SECRET,
        KITE_LOGIN_URL: kite.loginUrl,
        KITE_API_URL: kite.url,
        TRADING_SESSION_FETCHES_PER_MINUTE: String(FETCHES_PER_MINUTE),
      });
      try {
        progress(`linking ${ACCOUNTS} accounts through the Kite peer`);
        const accounts = await linkAccounts(app, kite, tag);
        const clients = await createServiceClients(app, tag, CLIENTS, [CREDENTIALS_SCOPE]);
        const tokens: string[] = [];
        for (const client of clients) {
          tokens.push((await clientToken(app, client, CREDENTIALS_SCOPE)).access_token);
        }
        const request = (connection: number, index: number) => {
          const account = accounts[(connection + index) % accounts.length];
          return {
            method: 'POST' as const,
            path: `/v1/trading-accounts/${account.accountId}/session`,
            headers: {
              authorization: `Bearer ${tokens[connection % tokens.length]}`,
              'content-type': 'application/json',
            },
            body: JSON.stringify({ user_id: account.ownerId }),
          };
        };
        // Every account answers its own live session before the load.
        const sessions: Session[] = [];
        for (const [index, account] of accounts.entries()) {
          const { path, headers, body } = request(0, index);
          const session = await expectJson<Session>(
            await fetch(`${app.baseUrl}${path}`, { method: 'POST', headers, body }),
            `POST ${path}`,
          );
          if (session.account_id !== account.accountId || session.api_key !== API_KEY) {
            throw new Error(`${path} answered another session: ${JSON.stringify(session)}`);
          }
          sessions.push(session);
        }
        const plan: ConnectionPlan = {
          kind: 'fixed-requests',
          requestsByConnection: Array.from({ length: connections }, (_, connection) =>
            accounts.map((_, index) => request(connection, index)),
          ),
        };
        const path = '/v1/trading-accounts/:id/session';
        const bare = await startBareFastify({ method: 'POST', path, body: sessions[0] });
        try {
          const figures = await compareTargets(
            [app, bare].map((server) =>
              httpTarget(server.name, () => ({
                url: `${server.baseUrl}/v1/trading-accounts/${accounts[0].accountId}/session`,
                connections,
                plan,
              })),
            ),
            settings,
            progress,
          );
          return renderSection({
            title: 'Broker session fetch: POST /v1/trading-accounts/{id}/session',
            description:
              'A sibling service placing orders fetches the broker session of an account for ' +
              `the user it acts for, with a service token holding \`${CREDENTIALS_SCOPE}\`. Per ` +
              'request: the token is verified, the per-client fetch limit counted (set high ' +
              'enough never to refuse), the account read, the decision point asked whether the ' +
              'user may `trading_account:trade` on it (attributes loaded by Gatehouse), the ' +
              'access token and app opened from the vault (AES-256-GCM envelopes), and the ' +
              'fetch audited (`trading_account.session_issued`, written with the outbox). ' +
              `${ACCOUNTS} accounts linked through the Kite peer before the run, each owner ` +
              `fetching their own; the load is spread over ${CLIENTS} service clients. Against ` +
              'a bare Fastify route answering one of those sessions: the ceiling on this machine.',
            settings: `${describeRounds(settings, connections)}; database: ${app.database}.`,
            table: renderComparisonTable(figures, figures[1]),
          });
        } finally {
          await bare.close();
        }
      } finally {
        await app.close();
      }
    } finally {
      await kite.stop();
    }
  },
};
