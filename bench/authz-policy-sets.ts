import type {
  EntityJson,
  EntityUidJson,
  StatefulAuthorizationCall,
} from '@cedar-policy/cedar-wasm/nodejs';
import type { AuthzRequest } from '../src/common/policy-language/authz-request';
import type {
  Effect,
  PolicyDefinition,
  RoleDefinition,
} from '../src/common/policy-language/policy-definition';

/**
 * One policy set written for both engines. Every policy has the same priority: Cedar has none
 * (any matching forbid wins, else any permit), and with a single priority ours comes to the
 * same, role permissions included (allows at priority 0, below every policy). A condition that
 * fails to evaluate skips its policy in both.
 */
export interface EquivalentPolicySets {
  policies: PolicyDefinition[];
  roles: RoleDefinition[];
  /** Cedar's policies by id: the same policies, and one per role permission. */
  cedar: Record<string, string>;
}

export interface Scenario {
  id: string;
  title: string;
  request: AuthzRequest;
  expected: Effect;
}

const PRIORITY = 10;

/** The only conditions used, in each language. */
const CEDAR_CONDITIONS: Record<string, string> = {
  'resource.owner_id == subject.id': 'resource.owner_id == principal.id',
  'resource.archived == true': 'resource.archived == true',
};

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
/** Roles only filler policies name: the scenarios' subjects hold none of them. */
const FILLER_ROLES = 50;

const ROLES: RoleDefinition[] = [
  { name: 'reader', permissions: ['document:read'] },
  { name: 'trader', permissions: ['trading_account:read'] },
  { name: 'editor', permissions: ['document:read', 'document:write'] },
  { name: 'auditor', permissions: ['report:read', 'invoice:*'] },
  { name: 'admin', permissions: ['*'] },
];

/** The policies the scenarios decide on. */
const SCENARIO_POLICIES: PolicyDefinition[] = [
  {
    id: 'trade-own',
    name: 'trade-own',
    effect: 'allow',
    priority: PRIORITY,
    subjects: ['role:trader'],
    actions: ['trading_account:trade'],
    resources: ['trading_account:*'],
    condition: 'resource.owner_id == subject.id',
    enabled: true,
  },
  {
    id: 'editors-delete',
    name: 'editors-delete',
    effect: 'allow',
    priority: PRIORITY,
    subjects: ['role:editor'],
    actions: ['document:delete'],
    resources: ['document:*'],
    condition: null,
    enabled: true,
  },
  {
    id: 'no-delete-archived',
    name: 'no-delete-archived',
    effect: 'deny',
    priority: PRIORITY,
    subjects: ['*'],
    actions: ['document:delete'],
    resources: ['document:*'],
    condition: 'resource.archived == true',
    enabled: true,
  },
];

function userRequest(
  roles: string[],
  action: string,
  type: string,
  id: string,
  attributes: Record<string, unknown>,
): AuthzRequest {
  return {
    subject: { type: 'user', id: 'u-1', roles, attributes: {} },
    action,
    resource: { type, id, attributes },
  };
}

export const SCENARIOS: Scenario[] = [
  {
    id: 'rbac',
    title: 'RBAC: a role permission',
    request: userRequest(['reader'], 'document:read', 'document', 'doc-1', { owner_id: 'u-2' }),
    expected: 'allow',
  },
  {
    id: 'abac-owner',
    title: 'ABAC: resource.owner_id == subject.id',
    request: userRequest(['trader'], 'trading_account:trade', 'trading_account', 'acc-1', {
      owner_id: 'u-1',
    }),
    expected: 'allow',
  },
  {
    id: 'deny-override',
    title: 'Deny-override: an allow and a matching deny',
    request: userRequest(['editor'], 'document:delete', 'document', 'doc-9', {
      owner_id: 'u-1',
      archived: true,
    }),
    expected: 'deny',
  },
];

/**
 * `size` policies: the scenarios' own and fillers spread over ten resource types, five verbs and
 * fifty roles, a fifth of them denies, a third with an owner condition, some on a whole action
 * type or a single resource. Fillers on the scenarios' actions are candidates both engines have
 * to check and reject (their roles are not the subject's).
 */
export function equivalentPolicySets(size: number): EquivalentPolicySets {
  const policies = [...SCENARIO_POLICIES];
  for (let i = 0; policies.length < size; i++) {
    const type = TYPES[i % TYPES.length];
    const verb = VERBS[Math.floor(i / TYPES.length) % VERBS.length];
    policies.push({
      id: `filler-${i}`,
      name: `filler-${i}`,
      effect: i % 5 === 4 ? 'deny' : 'allow',
      priority: PRIORITY,
      subjects: [`role:role-${i % FILLER_ROLES}`],
      actions: [i % 7 === 6 ? `${type}:*` : `${type}:${verb}`],
      resources: [i % 4 === 3 ? `${type}:${type}-${i}` : `${type}:*`],
      condition: i % 3 === 2 ? 'resource.owner_id == subject.id' : null,
      enabled: true,
    });
  }
  const cedar: Record<string, string> = {};
  for (const policy of policies) cedar[policy.id] = cedarPolicy(policy);
  for (const role of ROLES) {
    for (const permission of role.permissions) {
      cedar[`role:${role.name}:${permission}`] =
        `permit(principal in Role::"${role.name}", ${cedarAction(permission)}, resource);`;
    }
  }
  return { policies, roles: ROLES, cedar };
}

/**
 * Requests beyond the scenarios on which the two engines must agree: the scenarios turned
 * around (no role, another owner, an unarchived document) and requests from each filler role
 * over every type and verb, owned and not.
 */
export function agreementRequests(): AuthzRequest[] {
  const requests = [
    userRequest([], 'document:read', 'document', 'doc-1', { owner_id: 'u-2' }),
    userRequest(['trader'], 'trading_account:trade', 'trading_account', 'acc-1', {
      owner_id: 'u-2',
    }),
    userRequest(['editor'], 'document:delete', 'document', 'doc-9', { archived: false }),
    userRequest(['admin'], 'document:delete', 'document', 'doc-9', { archived: true }),
    userRequest(['auditor'], 'invoice:approve', 'invoice', 'inv-1', {}),
  ];
  for (let role = 0; role < FILLER_ROLES; role++) {
    const type = TYPES[role % TYPES.length];
    for (const verb of VERBS) {
      for (const owner of ['u-1', 'u-2']) {
        requests.push(
          userRequest([`role-${role}`], `${type}:${verb}`, type, `${type}-${role}`, {
            owner_id: owner,
            archived: false,
          }),
        );
      }
    }
  }
  return requests;
}

/** The same question for Cedar: principal, resource and action as entities, roles as parents. */
export function cedarCall(request: AuthzRequest, policySetId: string): StatefulAuthorizationCall {
  const { subject, action, resource } = request;
  if (resource.id === undefined) throw new Error('Cedar needs a resource id');
  const principal = { type: subject.type === 'user' ? 'User' : 'Client', id: subject.id };
  const actionUid = { type: 'Action', id: action };
  const resourceUid = { type: resource.type, id: resource.id };
  const entities: EntityJson[] = [
    {
      uid: principal,
      attrs: { ...(subject.attributes as EntityJson['attrs']), id: subject.id },
      parents: subject.roles.map((role): EntityUidJson => ({ type: 'Role', id: role })),
    },
    { uid: resourceUid, attrs: (resource.attributes ?? {}) as EntityJson['attrs'], parents: [] },
    {
      uid: actionUid,
      attrs: {},
      parents: [{ type: 'Action', id: `${action.slice(0, action.indexOf(':'))}:*` }],
    },
  ];
  return {
    principal,
    action: actionUid,
    resource: resourceUid,
    context: {},
    preparsedPolicySetId: policySetId,
    entities,
  };
}

function cedarPolicy(policy: PolicyDefinition): string {
  if (policy.priority !== PRIORITY) throw new Error(`${policy.id}: one priority for all`);
  const [subject, action, resource, ...more] = [
    ...policy.subjects,
    ...policy.actions,
    ...policy.resources,
  ];
  if (more.length > 0) throw new Error(`${policy.id}: one pattern of each kind`);
  const scope = [cedarPrincipal(subject), cedarAction(action), cedarResource(resource)];
  const effect = policy.effect === 'allow' ? 'permit' : 'forbid';
  const condition =
    policy.condition === null ? '' : ` when { ${CEDAR_CONDITIONS[policy.condition]} }`;
  return `${effect}(${scope.join(', ')})${condition};`;
}

function cedarPrincipal(pattern: string): string {
  if (pattern === '*') return 'principal';
  const [kind, value] = splitOnce(pattern);
  if (kind === 'role') return `principal in Role::"${value}"`;
  return `principal == ${kind === 'user' ? 'User' : 'Client'}::"${value}"`;
}

function cedarAction(pattern: string): string {
  if (pattern === '*') return 'action';
  // Every action entity sent has its `type:*` group as parent.
  return pattern.endsWith(':*')
    ? `action in Action::"${pattern}"`
    : `action == Action::"${pattern}"`;
}

function cedarResource(pattern: string): string {
  if (pattern === '*') return 'resource';
  const [type, id] = splitOnce(pattern);
  return id === '*' ? `resource is ${type}` : `resource == ${type}::"${id}"`;
}

function splitOnce(pattern: string): [string, string] {
  const colon = pattern.indexOf(':');
  return [pattern.slice(0, colon), pattern.slice(colon + 1)];
}
