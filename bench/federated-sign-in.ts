import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import { IdentityProvidersService } from '../src/modules/federation/identity-providers.service';
import { authorize, OidcProviderPeer } from '../test/peers/oidc-provider-peer';
import { BENCH_ACTOR } from './service-clients';
import type { GatehouseServer } from './targets';

const REDIRECT_URI = 'https://app.bench.example/auth/callback';
const CLIENT = {
  client_id: 'gatehouse-bench-federation',
  client_secret: 'bench-federation-secret-0001',
  redirect_uris: [REDIRECT_URI],
};
const SCOPES = ['openid', 'email', 'profile'];

/** Milliseconds of each sign-in, done directly at the provider and through Gatehouse. */
export interface SignInTimes {
  direct: number[];
  gatehouse: number[];
}

async function expectStatus(response: Response, status: number, what: string): Promise<void> {
  if (response.status !== status) {
    throw new Error(`${what}: ${response.status} ${await response.text()}`);
  }
}

/**
 * Federated sign-ins against the oidc-provider peer (Okta's shape, in this process), `pairs`
 * times each way, alternating so that drift of the machine falls on both alike:
 *
 * - directly, as a relying party on its own: openid-client (discovery done once, as Gatehouse
 *   caches it) builds the authorization URL with state, nonce and PKCE, the browser's steps at
 *   the provider (authorize, interaction, consent) run, and the code is exchanged and the ID
 *   token validated;
 * - through Gatehouse: `GET /v1/auth/federation/{provider}/start`, the same browser steps at the
 *   provider, then `POST /v1/auth/federation/{provider}/callback`, which exchanges the code,
 *   validates the ID token, finds the linked user and answers Gatehouse's token pair.
 *
 * The same person signs in every time: after the first (just-in-time provisioning, left out as
 * warm-up) each is the common case of a linked identity signing in again.
 */
export async function timeFederatedSignIns(
  app: GatehouseServer,
  pairs: number,
): Promise<SignInTimes> {
  const peer = await new OidcProviderPeer('okta', [CLIENT]).start();
  try {
    const provider = await app.app.get(IdentityProvidersService).create(
      {
        slug: `bench-oidc-${randomUUID().slice(0, 8)}`,
        displayName: 'Bench OIDC',
        kind: 'okta',
        issuer: peer.issuer,
        clientId: CLIENT.client_id,
        clientSecret: CLIENT.client_secret,
        scopes: SCOPES,
        claimMapping: {},
        mfaAcrValues: [],
        jitProvisioning: true,
        allowedEmailDomains: [],
        linkByEmail: false,
        redirectUris: [REDIRECT_URI],
        managementApiKind: null,
        managementApiUrl: null,
        managementApiToken: undefined,
        webhookSecret: undefined,
        enabled: true,
      },
      BENCH_ACTOR,
    );
    const sub = `bench-${randomUUID()}`;
    const account = {
      sub,
      email: `${sub}@bench.example`,
      email_verified: true,
      name: 'Bench Federated',
    };
    const config = await oidc.discovery(
      new URL(peer.issuer),
      CLIENT.client_id,
      { client_secret: CLIENT.client_secret },
      oidc.ClientSecretBasic(CLIENT.client_secret),
      { execute: [oidc.allowInsecureRequests] },
    );

    const direct = async (): Promise<void> => {
      peer.signInAs(account);
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: SCOPES.join(' '),
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      const params = await authorize(url.toString());
      await oidc.authorizationCodeGrant(config, new URL(`${REDIRECT_URI}?${params.toString()}`), {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      });
    };

    const base = `${app.baseUrl}/v1/auth/federation/${provider.slug}`;
    const throughGatehouse = async (): Promise<void> => {
      peer.signInAs(account);
      const started = await fetch(
        `${base}/start?redirect_uri=${encodeURIComponent(REDIRECT_URI)}`,
        { redirect: 'manual' },
      );
      await expectStatus(started, 302, 'start');
      await started.arrayBuffer();
      const params = await authorize(started.headers.get('location')!);
      const callback = await fetch(`${base}/callback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          code: params.get('code'),
          state: params.get('state'),
          ...(params.get('iss') ? { iss: params.get('iss') } : {}),
        }),
      });
      await expectStatus(callback, 200, 'callback');
      const tokens = (await callback.json()) as { access_token?: string };
      if (!tokens.access_token) throw new Error('the callback answered no access token');
    };

    const timed = async (signIn: () => Promise<void>): Promise<number> => {
      const started = performance.now();
      await signIn();
      return performance.now() - started;
    };

    // Warm-up: the person's provisioning, discovery and JWKS caches, JIT compilation.
    for (let i = 0; i < 5; i++) {
      await timed(throughGatehouse);
      await timed(direct);
    }
    const times: SignInTimes = { direct: [], gatehouse: [] };
    for (let i = 0; i < pairs; i++) {
      if (i % 2 === 0) {
        times.direct.push(await timed(direct));
        times.gatehouse.push(await timed(throughGatehouse));
      } else {
        times.gatehouse.push(await timed(throughGatehouse));
        times.direct.push(await timed(direct));
      }
    }
    times.direct.sort((a, b) => a - b);
    times.gatehouse.sort((a, b) => a - b);
    return times;
  } finally {
    await peer.stop();
  }
}
