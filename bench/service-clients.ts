import { systemActor } from '../src/common/auth/actor';
import { OAuthClientsService } from '../src/modules/clients/oauth-clients.service';
import type { GatehouseServer } from './targets';

export const TOKEN_PATH = '/oauth/token';

/** Changes the benchmarks make through the services are audited as this. */
export const BENCH_ACTOR = systemActor('bench');

export interface ServiceClient {
  /** The row id (admin API path parameter). */
  id: string;
  /** The public `client_id`. */
  clientId: string;
  secret: string;
}

/** The body of a successful client-credentials grant (RFC 6749 §5.1). */
export interface ClientTokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

/**
 * Active service clients made through the app's OAuthClientsService, as `npm run cli --
 * clients:create` makes them: a client id and a secret shown once.
 */
export async function createServiceClients(
  gatehouse: GatehouseServer,
  tag: string,
  count: number,
  scopes: string[],
): Promise<ServiceClient[]> {
  const service = gatehouse.app.get(OAuthClientsService);
  const clients: ServiceClient[] = [];
  for (let i = 0; i < count; i++) {
    const { client, secret } = await service.create(
      { name: `Bench ${tag} ${i}`, scopes, secretExpiresAt: null },
      BENCH_ACTOR,
    );
    clients.push({ id: client.client.id, clientId: client.client.clientId, secret: secret.secret });
  }
  return clients;
}

/** `application/x-www-form-urlencoded` encoding of one component (RFC 6749 Appendix B). */
const formEncode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');

/** `Authorization: Basic …` for client_secret_basic (RFC 6749 §2.3.1). */
export function basicCredentials(client: ServiceClient): string {
  const credentials = `${formEncode(client.clientId)}:${formEncode(client.secret)}`;
  return `Basic ${Buffer.from(credentials).toString('base64')}`;
}

/** The headers and form body of a client-credentials grant with client_secret_basic. */
export function tokenRequest(
  client: ServiceClient,
  scope: string,
): { headers: Record<string, string>; body: string } {
  return {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicCredentials(client),
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  };
}

/** An access token for the client through POST /oauth/token, as a service would get one. */
export async function clientToken(
  gatehouse: GatehouseServer,
  client: ServiceClient,
  scope: string,
): Promise<ClientTokenBody> {
  const { headers, body } = tokenRequest(client, scope);
  const response = await fetch(`${gatehouse.baseUrl}${TOKEN_PATH}`, {
    method: 'POST',
    headers,
    body,
  });
  if (!response.ok) {
    throw new Error(`${TOKEN_PATH}: ${response.status} ${await response.text()}`);
  }
  return (await response.json()) as ClientTokenBody;
}
