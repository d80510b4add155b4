import { createServer } from 'node:net';
import { send, signedInAdmin, signedInUser, SignedInUser, uniqueName } from './support/access';
import { startTestApp, TestApp } from './support/test-app';
import { OidcProviderPeer } from './peers/oidc-provider-peer';
import { OktaPeer } from './peers/okta-peer';

const REDIRECT_URI = 'https://app.example.com/auth/callback';
const CLIENT_SECRET = 'peer-client-secret-1';
const CLIENT = {
  client_id: 'gatehouse',
  client_secret: CLIENT_SECRET,
  redirect_uris: [REDIRECT_URI],
};
const PROBE_TIMEOUT_MS = 500;

interface PartHealth {
  status: 'up' | 'down';
  latency_ms: number;
  error: string | null;
}

interface ProviderHealth {
  id: string;
  slug: string;
  status: 'up' | 'degraded' | 'down';
  checked_at: string;
  discovery: PartHealth;
  management_api: PartHealth | null;
  last_error: { part: string; error: string; at: string } | null;
}

/** A loopback port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('identity providers in the detailed health view', () => {
  let t: TestApp;
  let oidc: OidcProviderPeer;
  let okta: OktaPeer;
  let slowOkta: OktaPeer;
  let admin: SignedInUser;

  async function addProvider(issuer: string, management: OktaPeer | null): Promise<string> {
    const res = await send(t, 'POST', '/v1/admin/identity-providers', admin.token, {
      slug: uniqueName('health'),
      display_name: 'Health',
      kind: 'okta',
      issuer,
      client_id: CLIENT.client_id,
      client_secret: CLIENT_SECRET,
      redirect_uris: [REDIRECT_URI],
      jit_provisioning: false,
      link_by_email: false,
      allowed_email_domains: [],
      ...(management
        ? {
            management_api_kind: 'okta',
            management_api_url: management.baseUrl,
            management_api_token: management.apiToken,
          }
        : {}),
    });
    if (res.statusCode !== 201) throw new Error(`provider: ${res.statusCode} ${res.body}`);
    return res.json<{ id: string }>().id;
  }

  async function healthOf(id: string): Promise<{ body: string; provider: ProviderHealth }> {
    const res = await send(t, 'GET', '/health/providers', admin.token);
    expect(res.statusCode).toBe(200);
    const provider = res.json<{ items: ProviderHealth[] }>().items.find((item) => item.id === id);
    if (!provider) throw new Error(`provider ${id} missing from the health view`);
    return { body: res.body, provider };
  }

  beforeAll(async () => {
    oidc = await new OidcProviderPeer('okta', [CLIENT]).start();
    okta = await new OktaPeer().start();
    slowOkta = await new OktaPeer().start();
    t = await startTestApp({
      env: {
        FEDERATION_ALLOWED_HOSTS: '127.0.0.1',
        HEALTH_CHECK_TIMEOUT_MS: String(PROBE_TIMEOUT_MS),
      },
    });
    admin = await signedInAdmin(t);
  });

  afterAll(async () => {
    await t.close();
    await oidc.stop();
    await okta.stop();
    await slowOkta.stop();
  });

  it('needs an access token with identity_providers:read', async () => {
    const anonymous = await send(t, 'GET', '/health/providers', null);
    expect(anonymous.statusCode).toBe(401);
    const user = await signedInUser(t);
    const forbidden = await send(t, 'GET', '/health/providers', user.token);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.body).not.toContain('Health');
  });

  it('reports a provider whose discovery document and management API answer as up, without its secrets', async () => {
    const id = await addProvider(oidc.issuer, okta);
    const before = okta.count('GET /api/v1/users?limit=1');

    const { body, provider } = await healthOf(id);

    expect(provider).toMatchObject({
      status: 'up',
      discovery: { status: 'up', error: null },
      management_api: { status: 'up', error: null },
      last_error: null,
    });
    expect(provider.discovery.latency_ms).toBeGreaterThanOrEqual(0);
    expect(provider.discovery.latency_ms).toBeLessThan(PROBE_TIMEOUT_MS);
    expect(okta.count('GET /api/v1/users?limit=1')).toBe(before + 1);
    expect(body).not.toContain(okta.apiToken);
    expect(body).not.toContain(CLIENT_SECRET);
  });

  it('probes a provider at most once in a while however often the view is asked', async () => {
    const id = await addProvider(oidc.issuer, okta);
    const before = okta.count('GET /api/v1/users?limit=1');

    const views = await Promise.all(Array.from({ length: 5 }, () => healthOf(id)));
    const again = await healthOf(id);

    expect(okta.count('GET /api/v1/users?limit=1')).toBe(before + 1);
    expect(new Set([...views, again].map((view) => view.provider.checked_at)).size).toBe(1);
  });

  it('reports a provider that refuses connections as down, naming why, while Gatehouse stays ready', async () => {
    const id = await addProvider(`http://127.0.0.1:${await closedPort()}/oauth2/default`, null);

    const { body, provider } = await healthOf(id);

    expect(provider).toMatchObject({
      status: 'down',
      discovery: { status: 'down', error: 'connection' },
      management_api: null,
      last_error: { part: 'discovery', error: 'connection' },
    });
    expect(body).not.toMatch(/ECONNREFUSED/);
    const ready = await t.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ok', checks: { database: 'up' } });
  });

  it('gives up on a provider that does not answer within the health timeout (degraded, not hanging)', async () => {
    slowOkta.fault = 'hang';
    const id = await addProvider(oidc.issuer, slowOkta);

    const started = Date.now();
    const { provider } = await healthOf(id);
    const took = Date.now() - started;

    expect(provider).toMatchObject({
      status: 'degraded',
      discovery: { status: 'up', error: null },
      management_api: { status: 'down', error: 'timeout' },
      last_error: { part: 'management_api', error: 'timeout' },
    });
    expect(provider.management_api!.latency_ms).toBeGreaterThanOrEqual(PROBE_TIMEOUT_MS - 50);
    expect(took).toBeLessThan(PROBE_TIMEOUT_MS + 2000);
    const ready = await t.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
  });

  it('reports a management API refusing the token by its status, and leaves out disabled providers', async () => {
    const id = await addProvider(oidc.issuer, okta);
    okta.rotateToken();
    try {
      const { provider } = await healthOf(id);
      expect(provider).toMatchObject({
        status: 'degraded',
        management_api: { status: 'down', error: 'http_401' },
      });
    } finally {
      okta.rotateToken();
    }

    const disabled = await send(t, 'PATCH', `/v1/admin/identity-providers/${id}`, admin.token, {
      enabled: false,
    });
    expect(disabled.statusCode).toBe(200);
    const res = await send(t, 'GET', '/health/providers', admin.token);
    expect(res.json<{ items: ProviderHealth[] }>().items.map((item) => item.id)).not.toContain(id);
  });
});
