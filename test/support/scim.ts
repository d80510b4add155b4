import { randomBytes } from 'node:crypto';
import { uniqueIp } from './accounts';
import type { Response } from './assertions';
import { clientToken, createClient, TestClient } from './clients';
import { TestApp } from './test-app';

export const SCIM_JSON = /^application\/scim\+json/;
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** A provisioning client as Okta or Entra ID is set up: a service client and its token. */
export interface ScimClient {
  client: TestClient;
  token: string;
  request: (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ) => Promise<Response>;
}

export async function scimClient(
  t: TestApp,
  scopes: string[] = ['scim:provision'],
): Promise<ScimClient> {
  const client = await createClient(t, scopes, 'Provisioning');
  const token = (await clientToken(t, client)).access_token;
  return { client, token, request: scimRequester(t, token) };
}

/** Requests as a SCIM client sends them: `application/scim+json`, its bearer token. */
export function scimRequester(t: TestApp, token: string | null): ScimClient['request'] {
  return (method, url, body, headers = {}) =>
    t.inject({
      method,
      url,
      remoteAddress: uniqueIp(),
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
    });
}

/** A SCIM error (RFC 7644 §3.12) with this status and, when given, scimType; returns it. */
export function expectScimError(
  res: Response,
  status: number,
  scimType?: string,
): Record<string, unknown> {
  expect({ status: res.statusCode, body: res.body }).toMatchObject({ status });
  expect(res.headers['content-type']).toMatch(SCIM_JSON);
  const body = res.json<Record<string, unknown>>();
  expect(body.schemas).toEqual([ERROR_SCHEMA]);
  expect(body.status).toBe(String(status));
  expect(body.scimType).toBe(scimType);
  expect(typeof body.detail).toBe('string');
  return body;
}

/** A fresh address and userName. */
export function uniqueUserName(tag = 'user'): string {
  return `${tag}.${randomBytes(5).toString('hex')}@example.com`;
}

/** A User as Okta's provisioning guide creates one. */
export function oktaUser(userName: string, extra: Record<string, unknown> = {}) {
  const [given, family] = ['Test', `User${randomBytes(2).toString('hex')}`];
  return {
    schemas: [USER_SCHEMA],
    userName,
    name: { givenName: given, familyName: family },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: `${given} ${family}`,
    locale: 'en-US',
    externalId: `00u${randomBytes(6).toString('hex')}`,
    groups: [],
    password: 'tall-Horse-battery-9',
    active: true,
    ...extra,
  };
}
