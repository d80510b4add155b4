import { randomBytes } from 'node:crypto';
import { AccessService } from '../src/modules/access/access.service';
import { ADMIN_ROLE } from '../src/modules/access/built-in-roles';
import { UsersService } from '../src/modules/users/users.service';
import { createActiveAccounts, signIn } from './accounts';
import {
  BENCH_ACTOR,
  clientToken,
  createServiceClients,
  type ServiceClient,
} from './service-clients';
import type { GatehouseServer } from './targets';

export const CHECK_PATH = '/v1/authz/check';
export const BATCH_PATH = '/v1/authz/check/batch';
/** Policies in the set the HTTP decision benchmarks decide on, the issue's middle size. */
export const POLICY_COUNT = 100;
const CHECK_SCOPE = 'authz:check';

const PRIORITY = 10;
const OVERRIDE_PRIORITY = 100;
/** Roles only filler policies name: no subject of the scenarios holds one. */
const FILLER_ROLES = 50;
const TYPES = [
  'document',
  'trading_account',
  'invoice',
  'report',
  'ticket',
  'payment',
  'order',
  'customer',
  'contract',
  'asset',
];
const VERBS = ['read', 'write', 'delete', 'approve', 'trade'];

export type Expected = 'allow' | 'deny';

/** One check a sibling service sends, with the decision the policy set must give. */
export interface CheckScenario {
  id: string;
  body: Record<string, unknown>;
  expected: Expected;
}

/** The decision point's answer, as far as the benchmarks look at it. */
export interface DecisionBody {
  allowed: boolean;
  decision: Expected;
  policy_set_version: number;
}

/** A policy as written through the admin API (`POST /v1/policies`). */
export interface PolicyInput {
  name: string;
  effect: 'allow' | 'deny';
  priority: number;
  subjects: string[];
  actions: string[];
  resources: string[];
  condition?: string;
}

/** What the HTTP decision benchmarks run against; `remove` deletes the roles and policies again. */
export interface AuthzFixture {
  client: ServiceClient;
  /** The policies written, as written: what a peer's equivalent policies are made from. */
  policies: PolicyInput[];
  /** The roles created, by name, with their permissions. */
  roles: Record<string, string[]>;
  /** The names of the roles granted to each subject user, by user id. */
  grants: Record<string, string[]>;
  /** A service token of the client with scope `authz:check`, from POST /oauth/token. */
  accessToken: string;
  scenarios: CheckScenario[];
  policyCount: number;
  roleCount: number;
  /** The policy set version after the last change: verification asks for at least this one. */
  policySetVersion: number;
  remove(): Promise<void>;
}

export async function adminToken(gatehouse: GatehouseServer, tag: string): Promise<string> {
  const [account] = await createActiveAccounts(gatehouse, `${tag}-admin`, 1);
  const user = await gatehouse.app.get(UsersService).findByEmail(account.email);
  if (!user) throw new Error('the administrator just created is missing');
  await gatehouse.app.get(AccessService).grantRole(user.id, ADMIN_ROLE, BENCH_ACTOR);
  const [{ access_token: accessToken }] = await signIn(gatehouse, [account], 1);
  return accessToken;
}

/** Calls to the admin API with an administrator's token, answered 2xx (JSON, or nothing on 204). */
export function adminApi(gatehouse: GatehouseServer, admin: string) {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${gatehouse.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${admin}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    }
    return (response.status === 204 ? undefined : await response.json()) as T;
  };
}

/** Active accounts and their ids, to be the subjects of the checks. */
export async function subjectIds(gatehouse: GatehouseServer, tag: string, names: string[]) {
  const accounts = await createActiveAccounts(gatehouse, `${tag}-subject`, names.length);
  const users = gatehouse.app.get(UsersService);
  const ids: Record<string, string> = {};
  for (const [index, account] of accounts.entries()) {
    const user = await users.findByEmail(account.email);
    if (!user) throw new Error(`the account ${account.email} just created is missing`);
    ids[names[index]] = user.id;
  }
  return ids;
}

/**
 * A realistic RBAC + ABAC policy set written through the admin API, a service client allowed to
 * ask, and checks on behalf of users and of a service that the set answers with both outcomes.
 * Every name and type carries a tag of this run, so nothing another run (or a test) left in the
 * database can match these checks.
 */
export async function createAuthzFixture(
  gatehouse: GatehouseServer,
  progress: (message: string) => void,
): Promise<AuthzFixture> {
  const tag = `b${randomBytes(4).toString('hex')}`;
  const name = (base: string) => `${tag}-${base}`;
  const type = (base: string) => `${tag}.${base}`;
  const api = adminApi(gatehouse, await adminToken(gatehouse, tag));

  const [client] = await createServiceClients(gatehouse, tag, 1, [CHECK_SCOPE]);
  const users = await subjectIds(gatehouse, tag, ['reader', 'trader', 'editor', 'auditor']);

  const roleIds: string[] = [];
  const policyIds: string[] = [];
  const remove = async () => {
    for (const id of policyIds) await api('DELETE', `/v1/policies/${id}`);
    for (const id of roleIds) await api('DELETE', `/v1/roles/${id}`);
  };
  try {
    progress('creating roles and granting them');
    const roles: Record<string, string[]> = {
      reader: [`${type('document')}:read`],
      trader: [`${type('trading_account')}:read`],
      editor: [`${type('document')}:read`, `${type('document')}:write`],
      auditor: [`${type('report')}:read`, `${type('invoice')}:*`],
    };
    const grants: Record<string, string[]> = {};
    for (const [role, permissions] of Object.entries(roles)) {
      const created = await api<{ role: { id: string } }>('POST', '/v1/roles', {
        name: name(role),
        permissions,
      });
      roleIds.push(created.role.id);
      await api('PUT', `/v1/users/${users[role]}/roles/${created.role.id}`, {});
      grants[users[role]] = [name(role)];
    }

    const policies: PolicyInput[] = [
      {
        name: name('trade-own'),
        effect: 'allow',
        priority: PRIORITY,
        subjects: [`role:${name('trader')}`],
        actions: [`${type('trading_account')}:trade`],
        resources: [`${type('trading_account')}:*`],
        condition: 'resource.owner_id == subject.id',
      },
      {
        name: name('editors-delete'),
        effect: 'allow',
        priority: PRIORITY,
        subjects: [`role:${name('editor')}`],
        actions: [`${type('document')}:delete`],
        resources: [`${type('document')}:*`],
      },
      {
        name: name('no-delete-archived'),
        effect: 'deny',
        priority: PRIORITY,
        subjects: ['*'],
        actions: [`${type('document')}:delete`],
        resources: [`${type('document')}:*`],
        condition: 'resource.archived == true',
      },
      {
        name: name('reporting-service'),
        effect: 'allow',
        priority: PRIORITY,
        subjects: [`client:${client.clientId}`],
        actions: [`${type('report')}:*`],
        resources: [`${type('report')}:*`],
        condition: 'subject.status == "active"',
      },
      {
        name: name('same-department'),
        effect: 'allow',
        priority: PRIORITY,
        subjects: [`role:${name('auditor')}`],
        actions: [`${type('ticket')}:read`],
        resources: [`${type('ticket')}:*`],
        condition: 'subject.department == resource.department',
      },
      {
        name: name('auditors-approve'),
        effect: 'allow',
        priority: PRIORITY,
        subjects: [`role:${name('auditor')}`],
        actions: [`${type('payment')}:approve`],
        resources: [`${type('payment')}:*`],
      },
      {
        name: name('large-payments-need-two'),
        effect: 'deny',
        priority: OVERRIDE_PRIORITY,
        subjects: ['*'],
        actions: [`${type('payment')}:approve`],
        resources: [`${type('payment')}:*`],
        condition: 'context.amount > 10000',
      },
    ];
    // Fillers over ten types, five verbs and fifty roles, a fifth of them denies, a third with an
    // owner condition, some on a whole action type or on one resource. Those on the scenarios'
    // actions are candidates the engine has to check and reject.
    for (let i = 0; policies.length < POLICY_COUNT; i++) {
      const resourceType = type(TYPES[i % TYPES.length]);
      const verb = VERBS[Math.floor(i / TYPES.length) % VERBS.length];
      policies.push({
        name: name(`filler-${i}`),
        effect: i % 5 === 4 ? 'deny' : 'allow',
        priority: PRIORITY,
        subjects: [`role:${name(`role-${i % FILLER_ROLES}`)}`],
        actions: [i % 7 === 6 ? `${resourceType}:*` : `${resourceType}:${verb}`],
        resources: [i % 4 === 3 ? `${resourceType}:item-${i}` : `${resourceType}:*`],
        ...(i % 3 === 2 ? { condition: 'resource.owner_id == subject.id' } : {}),
      });
    }
    progress(`creating ${policies.length} policies`);
    let version = 0;
    for (const policy of policies) {
      const created = await api<{ policy: { id: string }; policy_set_version: number }>(
        'POST',
        '/v1/policies',
        policy,
      );
      policyIds.push(created.policy.id);
      version = created.policy_set_version;
    }

    const user = (role: string, attributes?: Record<string, unknown>) => ({
      type: 'user',
      id: users[role],
      ...(attributes ? { attributes } : {}),
    });
    const check = (
      id: string,
      expected: Expected,
      body: { subject: unknown; action: string; resource: unknown; context?: unknown },
    ): CheckScenario => ({ id, expected, body });
    const scenarios = [
      check('rbac-role-permission', 'allow', {
        subject: user('reader'),
        action: `${type('document')}:read`,
        resource: { type: type('document'), id: 'doc-1' },
      }),
      check('abac-owner', 'allow', {
        subject: user('trader'),
        action: `${type('trading_account')}:trade`,
        resource: {
          type: type('trading_account'),
          id: 'acc-1',
          attributes: { owner_id: users.trader },
        },
      }),
      check('abac-not-owner', 'deny', {
        subject: user('trader'),
        action: `${type('trading_account')}:trade`,
        resource: {
          type: type('trading_account'),
          id: 'acc-2',
          attributes: { owner_id: users.reader },
        },
      }),
      check('deny-override', 'deny', {
        subject: user('editor'),
        action: `${type('document')}:delete`,
        resource: { type: type('document'), id: 'doc-9', attributes: { archived: true } },
      }),
      check('policy-allow', 'allow', {
        subject: user('editor'),
        action: `${type('document')}:delete`,
        resource: { type: type('document'), id: 'doc-8', attributes: { archived: false } },
      }),
      check('service-subject', 'allow', {
        subject: { type: 'service', id: client.clientId },
        action: `${type('report')}:export`,
        resource: { type: type('report'), id: 'q3' },
      }),
      check('context-allow', 'allow', {
        subject: user('auditor'),
        action: `${type('payment')}:approve`,
        resource: { type: type('payment'), id: 'pay-1' },
        context: { amount: 500 },
      }),
      check('context-deny', 'deny', {
        subject: user('auditor'),
        action: `${type('payment')}:approve`,
        resource: { type: type('payment'), id: 'pay-2' },
        context: { amount: 50_000 },
      }),
      check('supplied-attribute-deny', 'deny', {
        subject: user('auditor', { department: 'sales' }),
        action: `${type('ticket')}:read`,
        resource: { type: type('ticket'), id: 't-1', attributes: { department: 'support' } },
      }),
      check('default-deny', 'deny', {
        subject: user('reader'),
        action: `${type('invoice')}:approve`,
        resource: { type: type('invoice'), id: 'inv-1' },
      }),
    ];
    const { access_token: accessToken } = await clientToken(gatehouse, client, CHECK_SCOPE);
    return {
      client,
      policies,
      roles: Object.fromEntries(
        Object.entries(roles).map(([role, permissions]) => [name(role), permissions]),
      ),
      grants,
      accessToken,
      scenarios,
      policyCount: policyIds.length,
      roleCount: roleIds.length,
      policySetVersion: version,
      remove,
    };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** Fails unless each answer is the scenario's expected decision. */
export function assertDecisions(scenarios: CheckScenario[], answers: DecisionBody[]): void {
  if (answers.length !== scenarios.length) {
    throw new Error(`expected ${scenarios.length} decisions, got ${answers.length}`);
  }
  for (const [index, scenario] of scenarios.entries()) {
    const answer = answers[index];
    if (
      answer.decision !== scenario.expected ||
      answer.allowed !== (scenario.expected === 'allow')
    ) {
      throw new Error(
        `${scenario.id}: expected ${scenario.expected}, got ${JSON.stringify(answer)}`,
      );
    }
  }
}

/** A POST with the service token, answered 200 with JSON. */
export async function postJson<T>(
  gatehouse: GatehouseServer,
  path: string,
  accessToken: string,
  body: unknown,
): Promise<T> {
  const response = await fetch(`${gatehouse.baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) {
    throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
  }
  return (await response.json()) as T;
}
