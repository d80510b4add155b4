import { hashOpaqueToken, issueOpaqueToken } from '../../common/crypto/opaque-token';
import { Transactions } from '../../database/transactions';
import { AuditService } from '../audit/audit.service';
import { ClientCredentials, OAuthClientsRepository } from './oauth-clients.repository';
import { OAuthClientsService } from './oauth-clients.service';

const CLIENT_ID = 'ghc_AAAAAAAAAAAAAAAAAAAAAA';

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
      {} as AuditService,
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
