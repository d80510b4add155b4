import { newEnforcer, newModelFromString, StringAdapter, type Enforcer } from 'casbin';
import type { AuthzRequest } from '../src/common/policy-language/authz-request';
import type {
  PolicyDefinition,
  RoleDefinition,
} from '../src/common/policy-language/policy-definition';

/**
 * The same policy sets for node-casbin, one model for all of them:
 *
 * - `p` lines carry a priority, the subject, resource and action patterns, a condition name and
 *   the effect. Casbin's `priority(p.eft) || deny` effect lets the first matching line decide,
 *   lines sorted by their priority; each line's priority is its rank in our evaluation order
 *   (priority descending, deny before allow at the same priority, then by name), with every role
 *   permission an allow at priority 0 on any resource, ranked after the policies of priority 0.
 *   That is our semantics line for line, whatever the priorities; with the one priority of these
 *   sets it comes to deny-override (a matching deny wins, else a matching allow, else deny).
 * - RBAC: `g` links each principal to the roles it holds (and to `user:<id>`), so a `role:…` or
 *   `user:…` subject pattern matches through `g(r.sub.name, p.sub)`; `*` matches anyone.
 * - Wildcards: `keyMatch`, whose trailing `*` is our `type:*` and `*`, on the action and on the
 *   resource as `type:id` (ids cannot contain `*`).
 * - ABAC: the condition is a name the matcher tests against the request's attributes, e.g.
 *   `r.obj.owner_id == r.sub.id`; a missing attribute compares unequal, so the line does not
 *   apply, as a condition that fails to evaluate does not in ours. This is cheaper for casbin
 *   than its `eval(p.rule)` form, which rewrites and looks up the matcher for every line on every
 *   call.
 */
export const CASBIN_MODEL = `
[request_definition]
r = sub, obj, act

[policy_definition]
p = priority, sub, obj, act, cond, eft

[role_definition]
g = _, _

[policy_effect]
e = priority(p.eft) || deny

[matchers]
m = keyMatch(r.act, p.act) && keyMatch(r.obj.key, p.obj) && (p.sub == "*" || g(r.sub.name, p.sub)) && (p.cond == "none" || p.cond == "owner" && r.obj.owner_id == r.sub.id || p.cond == "archived" && r.obj.archived == true)
`;

/** Our conditions by the name a casbin line carries. */
const CASBIN_CONDITIONS: Record<string, string> = {
  'resource.owner_id == subject.id': 'owner',
  'resource.archived == true': 'archived',
};

/** A casbin request: `enforceSync(sub, obj, act)`. */
export type CasbinRequest = [
  sub: { name: string; id: string },
  obj: { key: string; owner_id?: unknown; archived?: unknown },
  act: string,
];

/**
 * A principal per subject and set of roles it holds: in casbin roles are assigned by `g` lines,
 * not sent with each request as our engine's and Cedar's requests carry them.
 */
function principalOf(request: AuthzRequest): string {
  const { subject } = request;
  return `${subject.type}:${subject.id}#${[...subject.roles].sort().join('+')}`;
}

/** The request as casbin gets it, built once like Cedar's call object. */
export function casbinRequest(request: AuthzRequest): CasbinRequest {
  const { subject, action, resource } = request;
  if (resource.id === undefined) throw new Error('casbin needs a resource id');
  const attributes = resource.attributes ?? {};
  return [
    { name: principalOf(request), id: subject.id },
    {
      key: `${resource.type}:${resource.id}`,
      owner_id: attributes.owner_id,
      archived: attributes.archived,
    },
    action,
  ];
}

/**
 * One decision. The arguments are passed one by one: with `enforceSync(...request)` in the timed
 * loop beside the two other engines, Node 20.20's V8 aborted the process ("Fatal error …
 * unreachable code" in `Deoptimizer::DoComputeBuiltinContinuation`) on every run.
 */
export function casbinAllows(enforcer: Enforcer, request: CasbinRequest): boolean {
  return enforcer.enforceSync(request[0], request[1], request[2]);
}

interface Line {
  priority: number;
  effect: 'allow' | 'deny';
  /** Role permissions rank after the policies of priority 0. */
  rolePermission: boolean;
  name: string;
  fields: [sub: string, obj: string, act: string, cond: string, eft: string];
}

function compareLines(a: Line, b: Line): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.rolePermission !== b.rolePermission) return a.rolePermission ? 1 : -1;
  if (a.effect !== b.effect) return a.effect === 'deny' ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function policyLine(policy: PolicyDefinition): Line {
  const [subject, action, resource, ...more] = [
    ...policy.subjects,
    ...policy.actions,
    ...policy.resources,
  ];
  if (more.length > 0) throw new Error(`${policy.id}: one pattern of each kind`);
  const condition = policy.condition === null ? 'none' : CASBIN_CONDITIONS[policy.condition];
  if (condition === undefined) throw new Error(`${policy.id}: no casbin form of its condition`);
  return {
    priority: policy.priority,
    effect: policy.effect,
    rolePermission: false,
    name: `${policy.name}\u0000${policy.id}`,
    fields: [subject, resource, action, condition, policy.effect],
  };
}

/** The `p` and `g` lines, as casbin's StringAdapter reads them. */
export function casbinPolicyText(
  policies: PolicyDefinition[],
  roles: RoleDefinition[],
  requests: AuthzRequest[],
): string {
  const lines = policies.filter((policy) => policy.enabled).map(policyLine);
  for (const role of roles) {
    for (const permission of role.permissions) {
      lines.push({
        priority: 0,
        effect: 'allow',
        rolePermission: true,
        name: `${role.name}\u0000${permission}`,
        fields: [`role:${role.name}`, '*', permission, 'none', 'allow'],
      });
    }
  }
  lines.sort(compareLines);
  const text = lines.map((line, rank) => ['p', String(rank), ...line.fields].join(', '));
  const principals = new Map(requests.map((request) => [principalOf(request), request.subject]));
  for (const [principal, subject] of principals) {
    text.push(`g, ${principal}, ${subject.type}:${subject.id}`);
    for (const role of subject.roles) text.push(`g, ${principal}, role:${role}`);
  }
  return text.join('\n');
}

/**
 * An enforcer holding the policies, the role links of every principal the requests use, and
 * nothing that logs or saves.
 */
export async function casbinEnforcer(
  policies: PolicyDefinition[],
  roles: RoleDefinition[],
  requests: AuthzRequest[],
): Promise<Enforcer> {
  const enforcer = await newEnforcer(
    newModelFromString(CASBIN_MODEL),
    new StringAdapter(casbinPolicyText(policies, roles, requests)),
  );
  enforcer.enableLog(false);
  return enforcer;
}
