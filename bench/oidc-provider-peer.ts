import { createServer } from 'node:http';

/**
 * The oidc-provider peer of the oauth-oidc-provider benchmark, run by it in a process of its
 * own (node dist/bench/oidc-provider-peer.js) and configured through the environment it gives:
 * OIDC_PEER_PORT, OIDC_PEER_CLIENTS (JSON: client_id and client_secret of each), OIDC_PEER_JWKS
 * (JSON: the private signing keys) and OIDC_PEER_SCOPE. Client credentials and introspection
 * are enabled. Access tokens are ES256 JWTs (RFC 9068), as Gatehouse issues them, for the
 * default resource; oidc-provider introspects only the opaque tokens it stores, so a token
 * request naming OPAQUE_RESOURCE gets one of those.
 */

export const JWT_RESOURCE = 'urn:gatehouse-bench:jwt';
export const OPAQUE_RESOURCE = 'urn:gatehouse-bench:opaque';
/** Gatehouse's default lifetime of a service's access token. */
const ACCESS_TOKEN_TTL_S = 900;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function main(): Promise<void> {
  // oidc-provider is an ES module; this file is compiled to CommonJS, where import() stays.
  const { default: Provider } = await import('oidc-provider');
  const port = Number(required('OIDC_PEER_PORT'));
  const scope = required('OIDC_PEER_SCOPE');
  const clients = JSON.parse(required('OIDC_PEER_CLIENTS')) as {
    client_id: string;
    client_secret: string;
  }[];
  const host = '127.0.0.1';
  const provider = new Provider(`http://${host}:${port}`, {
    clients: clients.map((client) => ({
      ...client,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
      scope,
    })),
    jwks: JSON.parse(required('OIDC_PEER_JWKS')) as unknown,
    scopes: [scope],
    ttl: { ClientCredentials: ACCESS_TOKEN_TTL_S },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // Any authenticated client may describe a token, as any client holding Gatehouse's
      // oauth:introspect scope may.
      introspection: { enabled: true, allowedPolicy: () => true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => JWT_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_context: unknown, resource: string) => ({
          scope,
          audience: resource,
          accessTokenTTL: ACCESS_TOKEN_TTL_S,
          ...(resource === OPAQUE_RESOURCE
            ? { accessTokenFormat: 'opaque' }
            : { accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } }),
        }),
      },
    },
  });
  createServer(provider.callback()).listen(port, host);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`oidc-provider peer: ${String(error)}\n`);
    process.exit(1);
  });
}
