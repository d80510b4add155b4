import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemActor } from '../src/common/auth/actor';
import { uuidV7 } from '../src/common/ids/uuid-v7';
import { IdentityProvidersService } from '../src/modules/federation/identity-providers.service';
import { OfflineTokenVault } from '../src/modules/token-vault/offline-token-vault';
import { TokenVaultRepository } from '../src/modules/token-vault/token-vault.repository';
import { UsersService } from '../src/modules/users/users.service';
import { createActiveAccounts, signIn } from './accounts';
import type { Benchmark } from './benchmark';
import type { PlannedRequest } from './connection-plan';
import { openLoop } from './open-loop';
import { mainThreadCpu } from './process-cpu';
import { percentile } from './statistics';
import { freePort, LOOPBACK, startPeerProcess } from './peer-process';
import { describeMachine } from './machine';

/** The issue's load: requests a second. */
const RATE_PER_SECOND = 200;
/** Records the load is spread over, so that single flight seldom joins two requests. */
const RECORDS = 50;
/** The burst on one record. */
const BURST = 50;
const CLIENT = { client_id: 'gatehouse-bench-vault', client_secret: 'bench-vault-secret-0001' };
const PEER_SCRIPT = resolve(__dirname, 'offline-token-peer.js');

async function ok(response: Response, what: string): Promise<unknown> {
  if (!response.ok) throw new Error(`${what}: ${response.status} ${await response.text()}`);
  return response.json();
}

function row(name: string, latencies: number[]): string {
  const p = (q: number) => percentile(latencies, q).toFixed(2);
  return `| ${name} | ${latencies.length} | ${p(50)} | ${p(99)} |`;
}

/**
 * Access tokens from the vault: what Gatehouse adds above the provider's own refresh grant, and
 * single flight. Not a comparison of targets: one open loop per side at the issue's rate.
 */
export const tokenVaultBenchmark: Benchmark = {
  id: 'token-vault',
  budgetSeconds: 60,
  async run({ settings, gatehouse, progress }) {
    const app = await gatehouse();
    const port = await freePort();
    const issuer = `http://${LOOPBACK}:${port}`;
    const peer = await startPeerProcess({
      name: 'oidc-provider (offline access)',
      command: process.execPath,
      args: [PEER_SCRIPT],
      env: { OFFLINE_PEER_PORT: String(port), OFFLINE_PEER_CLIENT: JSON.stringify(CLIENT) },
      ready: async () => (await fetch(`${issuer}/.well-known/openid-configuration`)).ok,
    });
    try {
      const provider = await app.app.get(IdentityProvidersService).create(
        {
          slug: `bench-vault-${port}`,
          displayName: 'Bench offline tokens',
          kind: 'oidc',
          issuer,
          clientId: CLIENT.client_id,
          clientSecret: CLIENT.client_secret,
          scopes: ['openid'],
          claimMapping: {},
          redirectUris: ['https://bench.example.com/callback'],
          jitProvisioning: false,
          linkByEmail: false,
          allowedEmailDomains: [],
          mfaAcrValues: [],
          managementApiKind: null,
          managementApiUrl: null,
          managementApiToken: undefined,
          webhookSecret: undefined,
          enabled: true,
        },
        systemActor('bench'),
      );
      const [account] = await createActiveAccounts(app, 'token-vault', 1);
      const [{ access_token: userToken }] = await signIn(app, [account], 1);
      const user = await app.app.get(UsersService).findByEmail(account.email);
      const vault = app.app.get(OfflineTokenVault);
      const repository = app.app.get(TokenVaultRepository);
      const records: { id: string; offlineToken: string }[] = [];
      for (let i = 0; i < RECORDS; i++) {
        const issued = (await ok(
          await fetch(`${issuer}/bench/offline-tokens`, { method: 'POST' }),
          'offline token',
        )) as { sub: string; refresh_token: string };
        const owner = { recordId: uuidV7(), userId: user!.id, providerId: provider.id };
        const sealed = vault.seal(owner, issued.refresh_token);
        await repository.upsert({
          id: owner.recordId,
          userId: owner.userId,
          providerId: owner.providerId,
          subject: issued.sub,
          providerSessionId: null,
          scopes: ['openid', 'offline_access'],
          envelope: sealed.envelope,
          keyId: sealed.keyId,
          tokenHash: sealed.tokenHash,
          expiresAt: null,
        });
        records.push({ id: owner.recordId, offlineToken: issued.refresh_token });
      }
      const basic = `Basic ${Buffer.from(`${CLIENT.client_id}:${CLIENT.client_secret}`).toString('base64')}`;
      // The records in turn, RATE_PER_SECOND requests a second in all.
      const direct = {
        baseUrl: issuer,
        rate: RATE_PER_SECOND,
        requests: records.map((record): PlannedRequest => ({
          method: 'POST',
          path: '/token',
          headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'refresh_token',
            refresh_token: record.offlineToken,
          }).toString(),
        })),
      };
      const viaVault = {
        baseUrl: app.baseUrl,
        rate: RATE_PER_SECOND,
        requests: records.map((record): PlannedRequest => ({
          method: 'POST',
          path: `/v1/token-vault/tokens/${record.id}/access-token`,
          headers: { authorization: `Bearer ${userToken}`, 'content-type': 'application/json' },
          body: '{}',
        })),
      };

      progress(`warming up ${settings.warmupS} s`);
      await openLoop({ ...viaVault, seconds: settings.warmupS });
      progress(`provider alone at ${RATE_PER_SECOND}/s for ${settings.durationS} s`);
      const providerAlone = await openLoop({ ...direct, seconds: settings.durationS });
      progress(`through the vault at ${RATE_PER_SECOND}/s for ${settings.durationS} s`);
      const cpu = mainThreadCpu();
      const vaultStarted = performance.now();
      const throughVault = await openLoop({ ...viaVault, seconds: settings.durationS });
      const cpuNs = cpu();
      const vaultSeconds = (performance.now() - vaultStarted) / 1000;
      // What the last requests left behind finishes before the burst, so that it is alone.
      await sleep(throughVault[throughVault.length - 1]);

      const refreshes = async () =>
        ((await ok(await fetch(`${issuer}/bench/refreshes`), 'refreshes')) as { refreshes: number })
          .refreshes;
      const before = await refreshes();
      const burstStarted = performance.now();
      const burst = () =>
        fetch(`${app.baseUrl}/v1/token-vault/tokens/${records[0].id}/access-token`, {
          method: 'POST',
          headers: { authorization: `Bearer ${userToken}`, 'content-type': 'application/json' },
          body: '{}',
        }).then((response) => ok(response, 'vault access token'));
      await Promise.all(Array.from({ length: BURST }, burst));
      const burstMs = performance.now() - burstStarted;
      const burstCalls = (await refreshes()) - before;

      const overhead = (q: number) =>
        (percentile(throughVault, q) - percentile(providerAlone, q)).toFixed(2);
      return [
        '## Access tokens from the token vault',
        '',
        '`POST /v1/token-vault/tokens/{id}/access-token` by the owner (the record read and the ' +
          'use authorized, its lease taken by one statement, the offline token opened, a refresh ' +
          'grant at the provider with no database connection held, the answer recorded and the ' +
          'lease released by one statement, an audited event written) against the same refresh ' +
          'grant sent to oidc-provider directly, ' +
          `each as an open loop of ${RATE_PER_SECOND} requests a second from a worker thread, ` +
          `spread over ${RECORDS} records; then single flight: a burst of concurrent requests ` +
          'for one record.',
        '',
        describeMachine(),
        '',
        `**Settings**: ${settings.durationS} s per side after a ${settings.warmupS} s warm-up ` +
          `through the vault; database: ${app.database}.`,
        '',
        '| path | requests | p50 ms | p99 ms |',
        '| --- | ---: | ---: | ---: |',
        row('oidc-provider refresh grant alone', providerAlone),
        row('through the vault', throughVault),
        `| Gatehouse's overhead | | ${overhead(50)} | ${overhead(99)} |`,
        '',
        cpuNs === undefined
          ? '- Server CPU: not measurable here.'
          : `- Server CPU (Gatehouse's event loop, the main thread): ` +
            `${(cpuNs / 1000 / throughVault.length).toFixed(0)} µs per request, ` +
            `${((cpuNs / 1e9 / vaultSeconds) * 100).toFixed(0)}% of a core over the run; the ` +
            'provider peer, PostgreSQL and the load generator share the same cores.',
        '',
        `- Single flight: ${BURST} concurrent requests for one record made ${burstCalls} ` +
          `provider call(s), all answered in ${burstMs.toFixed(1)} ms.`,
      ].join('\n');
    } finally {
      await peer.stop();
    }
  },
};
