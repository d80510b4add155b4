import { systemActor } from '../../src/common/auth/actor';
import { ClientStatus } from '../../src/modules/clients/client-model';
import { OAuthClientsService } from '../../src/modules/clients/oauth-clients.service';
import { uniqueIp } from './accounts';
import { TestApp } from './test-app';

export interface TestClient {
  /** The row id (admin API path parameter). */
  id: string;
  /** The public `client_id`. */
  clientId: string;
  secret: string;
  secretId: string;
}

/** Changes made by tests directly through the services are audited as this. */
export const TEST_ACTOR = systemActor('test');

/** A new active service client with these allowed scopes, made through the service. */
export async function createClient(
  t: TestApp,
  scopes: string[] = ['authz:check'],
  name = 'Test service',
): Promise<TestClient> {
  const { client, secret } = await t.app
    .get(OAuthClientsService)
    .create({ name, scopes, secretExpiresAt: null }, TEST_ACTOR);
  return {
    id: client.client.id,
    clientId: client.client.clientId,
    secret: secret.secret,
    secretId: secret.id,
  };
}

/** Disables or enables a client through the service. */
export async function setClientStatus(
  t: TestApp,
  client: TestClient,
  status: ClientStatus,
): Promise<void> {
  await t.app.get(OAuthClientsService).setStatus(client.id, status, TEST_ACTOR);
}

/** Ends every access token the client holds (revoke-tokens) through the service. */
export async function revokeClientTokens(t: TestApp, client: TestClient): Promise<void> {
  await t.app.get(OAuthClientsService).revokeTokens(client.id, TEST_ACTOR);
}

/** Removes a secret of the client through the service (its first one by default). */
export async function removeClientSecret(
  t: TestApp,
  client: TestClient,
  secretId = client.secretId,
): Promise<void> {
  await t.app.get(OAuthClientsService).removeSecret(client.id, secretId, TEST_ACTOR);
}

/** Adds a secret to the client through the service; the client as it authenticates with it. */
export async function addClientSecret(t: TestApp, client: TestClient): Promise<TestClient> {
  const added = await t.app.get(OAuthClientsService).addSecret(client.id, null, TEST_ACTOR);
  return { ...client, secret: added.secret, secretId: added.id };
}

/** `application/x-www-form-urlencoded` encoding of one component (RFC 6749 Appendix B). */
export function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

/** `Authorization: Basic …` for client_secret_basic (id and secret form-encoded first). */
export function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(secret)}`).toString('base64')}`;
}

/** POSTs a form to an OAuth endpoint from a fresh client address. */
export function postForm(
  t: TestApp,
  url: string,
  parameters: Record<string, string> | string,
  options: { authorization?: string; ip?: string; headers?: Record<string, string> } = {},
) {
  return t.inject({
    method: 'POST',
    url,
    payload:
      typeof parameters === 'string' ? parameters : new URLSearchParams(parameters).toString(),
    remoteAddress: options.ip ?? uniqueIp(),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(options.authorization ? { authorization: options.authorization } : {}),
      ...options.headers,
    },
  });
}

export interface ClientTokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

/** An access token for the client (client_secret_basic), failing the test otherwise. */
export async function clientToken(
  t: TestApp,
  client: TestClient,
  scope?: string,
): Promise<ClientTokenBody> {
  const res = await postForm(
    t,
    '/oauth/token',
    { grant_type: 'client_credentials', ...(scope === undefined ? {} : { scope }) },
    { authorization: basic(client.clientId, client.secret) },
  );
  if (res.statusCode !== 200) throw new Error(`token: ${res.statusCode} ${res.body}`);
  return res.json<ClientTokenBody>();
}
