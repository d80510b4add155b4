import { randomBytes } from 'node:crypto';
import { AccessService } from '../../src/modules/access/access.service';
import { ADMIN_ROLE } from '../../src/modules/access/built-in-roles';
import { systemActor } from '../../src/common/auth/actor';
import { UsersService } from '../../src/modules/users/users.service';
import { signedInAccount, TokenPairBody } from './accounts';
import { TestApp } from './test-app';

export interface SignedInUser {
  id: string;
  email: string;
  token: string;
  tokens: TokenPairBody;
}

/** A verified, signed-in account (through the API) and its id. */
export async function signedInUser(t: TestApp): Promise<SignedInUser> {
  const account = await signedInAccount(t);
  const user = await t.app.get(UsersService).findByEmail(account.email);
  if (!user) throw new Error('the account just created is missing');
  return {
    id: user.id,
    email: account.email,
    token: account.tokens.access_token,
    tokens: account.tokens,
  };
}

/** A signed-in account holding `admin`, granted as the CLI grants it (AccessService.grantRole). */
export async function signedInAdmin(t: TestApp): Promise<SignedInUser> {
  const user = await signedInUser(t);
  await t.app.get(AccessService).grantRole(user.id, ADMIN_ROLE, systemActor('test'));
  return user;
}

/** A role or policy name no other test uses. */
export function uniqueName(tag: string): string {
  return `${tag}-${randomBytes(6).toString('hex')}`;
}

/** Sends a JSON request with a bearer token (GET, POST, PUT, PATCH, DELETE alike). */
export function send(
  t: TestApp,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  token: string | null,
  payload?: unknown,
) {
  return t.inject({
    method,
    url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}
