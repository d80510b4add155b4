import { hashOpaqueToken, issueOpaqueToken } from '../../common/crypto/opaque-token';
import { Transactions } from '../../database/transactions';
import { broadcastingTo } from '../../../test/support/broadcast-events';
import { DomainEvents } from '../events/domain-events.service';
import { OAuthClientsRepository } from './oauth-clients.repository';
import { ClientCredentials } from './client-model';
import { systemActor } from '../../common/auth/actor';
import { CLIENT_CREDENTIALS_CACHE_MS, OAuthClientsService } from './oauth-clients.service';

const CLIENT_ID = 'ghc_AAAAAAAAAAAAAAAAAAAAAA';
const TEST_ACTOR = systemActor('test');

/** The module object itself (an ES import is a frozen namespace that cannot be spied on). */
const nodeCrypto = jest.requireActual<typeof import('node:crypto')>('node:crypto');

describe('OAuthClientsService.authenticate', () => {
  const secret = issueOpaqueToken('clientSecret').token;
  const other = issueOpaqueToken('clientSecret').token;
  const known: ClientCredentials = {
    id: '01900000-0000-7000-8000-000000000000',
    clientId: CLIENT_ID,
    status: 'active',
    grantTypes: ['client_credentials'],
    allowedScopes: ['authz:check'],
    lastUsedAt: null,
    secretHashes: [hashOpaqueToken(secret)],
  };
  let findCredentials: jest.Mock;
  let service: OAuthClientsService;
  let compare: jest.SpyInstance;

  beforeEach(() => {
    findCredentials = jest.fn((clientId: string) =>
      Promise.resolve(clientId === CLIENT_ID ? known : null),
    );
    service = new OAuthClientsService(
      { findCredentials } as unknown as OAuthClientsRepository,
      {} as Transactions,
      {} as DomainEvents,
    );
    compare = jest.spyOn(nodeCrypto, 'timingSafeEqual');
  });
  afterEach(() => compare.mockRestore());

  it('finds the client for its right secret, and nothing for anything else', async () => {
    expect(await service.authenticate(CLIENT_ID, secret)).toBe(known);
    expect(await service.authenticate(CLIENT_ID, other)).toBeNull();
    expect(await service.authenticate('ghc_BBBBBBBBBBBBBBBBBBBBBB', secret)).toBeNull();
    expect(await service.authenticate('not-a-client-id', secret)).toBeNull();
  });

  it('does the same comparisons whether the client exists, the secret is wrong or right', async () => {
    const comparisons = async (clientId: string, presented: string) => {
      compare.mockClear();
      await service.authenticate(clientId, presented);
      return compare.mock.calls.map(([a, b]) => [(a as Buffer).length, (b as Buffer).length]);
    };
    const right = await comparisons(CLIENT_ID, secret);
    expect(right).toEqual([
      [32, 32],
      [32, 32],
    ]);
    expect(await comparisons(CLIENT_ID, other)).toEqual(right);
    expect(await comparisons('ghc_BBBBBBBBBBBBBBBBBBBBBB', secret)).toEqual(right);
    expect(await comparisons('not-a-client-id', 'not even a secret')).toEqual(right);
    // A malformed id is not looked up: it cannot exist.
    expect(findCredentials).not.toHaveBeenCalledWith('not-a-client-id', expect.anything());
  });
});

describe('OAuthClientsService credentials cache', () => {
  const secret = issueOpaqueToken('clientSecret').token;
  const credentials = (): ClientCredentials => ({
    id: '01900000-0000-7000-8000-000000000000',
    clientId: CLIENT_ID,
    status: 'active',
    grantTypes: ['client_credentials'],
    allowedScopes: ['authz:check'],
    lastUsedAt: null,
    secretHashes: [hashOpaqueToken(secret)],
  });
  let findCredentials: jest.Mock;
  let touchLastUsed: jest.Mock;
  let service: OAuthClientsService;

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000, doNotFake: ['nextTick', 'setImmediate'] });
    findCredentials = jest.fn((clientId: string) =>
      Promise.resolve(clientId === CLIENT_ID ? credentials() : null),
    );
    touchLastUsed = jest.fn(() => Promise.resolve());
    const repository = {
      findCredentials,
      touchLastUsed,
      setStatus: jest.fn(() => Promise.resolve(CLIENT_ID)),
      findById: jest.fn(() => Promise.resolve({ client: { clientId: CLIENT_ID }, secrets: [] })),
      removeSecret: jest.fn(() => Promise.resolve(CLIENT_ID)),
    };
    service = new OAuthClientsService(
      repository as unknown as OAuthClientsRepository,
      { run: (work: () => Promise<unknown>) => work() } as unknown as Transactions,
      broadcastingTo(() => service).events,
    );
  });
  afterEach(() => jest.useRealTimers());

  it('reads a client once for concurrent authentications, then at most every 2 s', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => service.authenticate(CLIENT_ID, secret)),
    );
    expect(answers.every((answer) => answer?.clientId === CLIENT_ID)).toBe(true);
    expect(findCredentials).toHaveBeenCalledTimes(1);

    jest.setSystemTime(1_000_000 + CLIENT_CREDENTIALS_CACHE_MS - 1);
    await service.authenticate(CLIENT_ID, secret);
    expect(findCredentials).toHaveBeenCalledTimes(1);
    jest.setSystemTime(1_000_000 + CLIENT_CREDENTIALS_CACHE_MS);
    await service.authenticate(CLIENT_ID, secret);
    expect(findCredentials).toHaveBeenCalledTimes(2);
  });

  it('remembers an unknown client id as long as a known one', async () => {
    const unknown = 'ghc_BBBBBBBBBBBBBBBBBBBBBB';
    expect(await service.authenticate(unknown, secret)).toBeNull();
    expect(await service.authenticate(unknown, secret)).toBeNull();
    expect(findCredentials).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['disabling it', (s: OAuthClientsService) => s.setStatus('row', 'disabled', TEST_ACTOR)],
    ['removing a secret', (s: OAuthClientsService) => s.removeSecret('row', 'secret', TEST_ACTOR)],
  ])('reads the client again at once after %s on this instance', async (_change, change) => {
    await service.authenticate(CLIENT_ID, secret);
    await change(service);
    await service.authenticate(CLIENT_ID, secret);
    expect(findCredentials).toHaveBeenCalledTimes(2);
  });

  it('writes last_used_at once for the requests that share the cached client', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => service.authenticate(CLIENT_ID, secret)));
    await Promise.all(clients.map((client) => service.recordUse(client!)));
    expect(touchLastUsed).toHaveBeenCalledTimes(1);
  });
});

describe('OAuthClientsService.isTokenLive', () => {
  const JTI = '01900000-0000-7000-8000-00000000000a';
  const ISSUED_AT_MS = Date.parse('2026-01-01T00:00:00Z');
  let tokenState: jest.Mock;
  let service: OAuthClientsService;

  beforeEach(() => {
    tokenState = jest.fn(() =>
      Promise.resolve({ clientActive: true, tokenRevoked: false, tokenRetired: false }),
    );
    const repository = { tokenState, revokeToken: jest.fn(() => Promise.resolve()) };
    service = new OAuthClientsService(
      repository as unknown as OAuthClientsRepository,
      { run: (work: () => Promise<unknown>) => work() } as unknown as Transactions,
      broadcastingTo(() => service).events,
    );
  });

  it('answers the requests presenting one token at once with one read', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => service.isTokenLive(CLIENT_ID, JTI, ISSUED_AT_MS)),
    );
    expect(answers.every(Boolean)).toBe(true);
    expect(tokenState).toHaveBeenCalledTimes(1);
  });

  it('keeps nothing of a read that a revocation here overtook', async () => {
    const inFlight = service.isTokenLive(CLIENT_ID, JTI, ISSUED_AT_MS);
    tokenState.mockResolvedValue({ clientActive: true, tokenRevoked: true, tokenRetired: false });
    await service.revokeToken(
      { id: 'row', clientId: CLIENT_ID },
      { jti: JTI, expiresAt: new Date() },
    );
    // A request after the revocation does not join the read that began before it.
    expect(await service.isTokenLive(CLIENT_ID, JTI, ISSUED_AT_MS)).toBe(false);
    await inFlight;
    expect(await service.isTokenLive(CLIENT_ID, JTI, ISSUED_AT_MS)).toBe(false);
    expect(tokenState).toHaveBeenCalledTimes(2);
  });
});
