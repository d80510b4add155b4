import { createServer } from 'node:http';

/**
 * The oidc-provider peer of the token-vault benchmark, in a process of its own (node
 * dist/bench/offline-token-peer.js), configured by OFFLINE_PEER_PORT and OFFLINE_PEER_CLIENT
 * (JSON: client_id, client_secret). Refresh tokens with `offline_access`, never rotated for this
 * confidential client (oidc-provider's default before 70 % of their lifetime). Two routes of its
 * own stand in for a consent the benchmark need not click through: `POST /bench/offline-tokens`
 * issues an offline token for a new account, and `GET /bench/refreshes` counts refresh grants.
 */
async function main(): Promise<void> {
  // oidc-provider is an ES module; this file is compiled to CommonJS, where import() stays.
  const { default: Provider } = await import('oidc-provider');
  const port = Number(process.env.OFFLINE_PEER_PORT);
  const client = JSON.parse(process.env.OFFLINE_PEER_CLIENT ?? '{}') as {
    client_id: string;
    client_secret: string;
  };
  const host = '127.0.0.1';
  const provider = new Provider(`http://${host}:${port}`, {
    clients: [
      {
        ...client,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: ['https://bench.example.com/callback'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    scopes: ['openid', 'offline_access'],
    features: { devInteractions: { enabled: false } },
    findAccount: (_context: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
  }) as unknown as OfflineProvider;
  let refreshes = 0;
  provider.on('grant.success', (context: { oidc: { params?: { grant_type?: unknown } } }) => {
    if (context.oidc.params?.grant_type === 'refresh_token') refreshes++;
  });
  const handle = provider.callback();
  createServer((request, response) => {
    if (request.url === '/bench/refreshes') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ refreshes }));
      return;
    }
    if (request.url === '/bench/offline-tokens' && request.method === 'POST') {
      void issue(provider, client.client_id).then((token) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(token));
      });
      return;
    }
    handle(request, response);
  }).listen(port, host);
}

interface OfflineProvider {
  callback(): (request: unknown, response: unknown) => void;
  on(event: string, listener: (...args: never[]) => void): void;
  Client: { find(id: string): Promise<unknown> };
  Grant: new (properties: { accountId: string; clientId: string }) => {
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  };
  RefreshToken: new (properties: Record<string, unknown>) => { save(): Promise<string> };
}

/** What a consent would have left: a grant of `openid offline_access` and its refresh token. */
async function issue(provider: OfflineProvider, clientId: string) {
  const accountId = `bench-${Math.random().toString(36).slice(2)}`;
  const grant = new provider.Grant({ accountId, clientId });
  grant.addOIDCScope('openid offline_access');
  const grantId = await grant.save();
  const now = Math.floor(Date.now() / 1000);
  const refreshToken = await new provider.RefreshToken({
    accountId,
    client: await provider.Client.find(clientId),
    grantId,
    gty: 'authorization_code',
    scope: 'openid offline_access',
    authTime: now,
    iiat: now,
  }).save();
  return { sub: accountId, refresh_token: refreshToken };
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`offline-token peer: ${String(error)}\n`);
    process.exit(1);
  });
}
