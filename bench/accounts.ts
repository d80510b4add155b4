import { randomUUID } from 'node:crypto';
import { PasswordHasher } from '../src/common/crypto/password-hasher';
import { systemActor } from '../src/common/auth/actor';
import { UsersService } from '../src/modules/users/users.service';
import type { PlannedRequest } from './connection-plan';
import type { GatehouseServer } from './targets';

/** Accepted by the password policy: long, not a common password, unrelated to the addresses. */
const PASSWORD = 'bench password: four calm otters juggle 42';

export const LOGIN_PATH = '/v1/auth/login';

export interface Account {
  email: string;
  password: string;
}

/** The body of a successful login or refresh. */
export interface TokenPairBody {
  access_token: string;
  refresh_token: string;
}

/**
 * Active accounts written straight through the app's UsersService: registering and verifying
 * each through the API would cost a hash and a mail per account that no benchmark measures.
 * They share one hash of one password; the cost of verifying does not depend on either.
 */
export async function createActiveAccounts(
  gatehouse: GatehouseServer,
  tag: string,
  count: number,
): Promise<Account[]> {
  const users = gatehouse.app.get(UsersService);
  const passwordHash = await gatehouse.app.get(PasswordHasher).hash(PASSWORD);
  // Unique per run, so runs against one database never meet each other's accounts.
  const run = randomUUID();
  const accounts: Account[] = [];
  for (let i = 0; i < count; i++) {
    const email = `bench-${tag}-${i}-${run}@example.com`;
    const id = await users.createActive(
      { email, name: `Bench ${tag} ${i}`, passwordHash },
      { actor: systemActor('bench') },
    );
    if (!id) throw new Error(`could not create the account ${email}`);
    accounts.push({ email, password: PASSWORD });
  }
  return accounts;
}

/**
 * Logins spread over `connections`: each connection signs in to accounts of its own, in turn,
 * so no account is ever in two logins at once.
 */
export function loginRequests(accounts: Account[], connections: number): PlannedRequest[][] {
  return Array.from({ length: connections }, (_, connection) =>
    accounts
      .filter((_, index) => index % connections === connection)
      .map((account): PlannedRequest => ({
        method: 'POST',
        path: LOGIN_PATH,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(account),
      })),
  );
}

async function expectJson<T>(response: Response, what: string): Promise<T> {
  if (!response.ok) throw new Error(`${what}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Signs each account in once through the API, `concurrency` at a time: one session each. */
export async function signIn(
  gatehouse: GatehouseServer,
  accounts: Account[],
  concurrency: number,
): Promise<TokenPairBody[]> {
  const pairs: TokenPairBody[] = new Array<TokenPairBody>(accounts.length);
  let next = 0;
  const signInNext = async () => {
    for (let index = next++; index < accounts.length; index = next++) {
      const response = await fetch(`${gatehouse.baseUrl}${LOGIN_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(accounts[index]),
      });
      pairs[index] = await expectJson<TokenPairBody>(response, `login ${accounts[index].email}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, signInNext));
  return pairs;
}

/** A GET with a bearer token, answered 2xx with JSON. */
export async function getJson(
  gatehouse: GatehouseServer,
  path: string,
  accessToken: string,
): Promise<unknown> {
  const response = await fetch(`${gatehouse.baseUrl}${path}`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  return expectJson<unknown>(response, `GET ${path}`);
}
