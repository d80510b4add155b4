import fc from 'fast-check';
import type { AuthzRequest } from '../../../common/policy-language/authz-request';
import { CompiledPolicySet } from './compiled-policy-set';
import type { Decision, DecisionReason } from './decision';
import type {
  PolicyDefinition,
  RoleDefinition,
} from '../../../common/policy-language/policy-definition';

/**
 * The engine against a model written the plain way, on random policy sets over a small universe
 * where patterns, subjects and requests collide often: every enabled policy checked against
 * the request, the applicable ones grouped by priority. It shares no code with the engine,
 * so a mistake in the index, the merge of its lists or the early stop shows up as a difference.
 */

/** What each condition used here means; undefined stands for an evaluation error. */
const CONDITIONS: Record<string, (request: AuthzRequest) => boolean | undefined> = {
  true: () => true,
  false: () => false,
  'resource.missing == 1': () => undefined,
  'subject.id == "u1"': ({ subject }) => subject.id === 'u1',
  'resource.owner == subject.id': ({ subject, resource }) =>
    resource.attributes?.owner === undefined ? undefined : resource.attributes.owner === subject.id,
  'subject.level > 2': ({ subject }) =>
    typeof subject.attributes.level === 'number' ? subject.attributes.level > 2 : undefined,
};

const SUBJECT_PATTERNS = [
  '*',
  'role:r1',
  'role:r2',
  'user:u1',
  'user:u2',
  'client:c1',
  'client:u1',
];
const ACTION_PATTERNS = ['*', 'doc:*', 'acct:*', 'doc:read', 'doc:write', 'acct:read'];
const RESOURCE_PATTERNS = ['*', 'doc:*', 'acct:*', 'doc:1', 'doc:2', 'acct:1', 'docs:1'];
const PERMISSIONS = ['*', 'doc:*', 'doc:read', 'acct:write', 'docs:read'];
const ROLES = ['r1', 'r2', 'r3'];

const patterns = (from: string[]) =>
  fc.uniqueArray(fc.constantFrom(...from), { minLength: 1, maxLength: 3 });

const policyArbitrary = fc.record({
  name: fc.constantFrom('a', 'b', 'c', 'd'),
  effect: fc.constantFrom('allow' as const, 'deny' as const),
  priority: fc.integer({ min: -2, max: 2 }),
  subjects: patterns(SUBJECT_PATTERNS),
  actions: patterns(ACTION_PATTERNS),
  resources: patterns(RESOURCE_PATTERNS),
  condition: fc.option(fc.constantFrom(...Object.keys(CONDITIONS)), { freq: 2 }),
  enabled: fc.boolean(),
});

const policiesArbitrary = fc
  .array(policyArbitrary, { maxLength: 12 })
  .map((policies) => policies.map((p, i): PolicyDefinition => ({ ...p, id: `id${i}` })));

const rolesArbitrary = fc
  .tuple(...ROLES.map(() => fc.uniqueArray(fc.constantFrom(...PERMISSIONS), { maxLength: 3 })))
  .map((grants) => ROLES.map((name, i): RoleDefinition => ({ name, permissions: grants[i] })));

const requestArbitrary = fc.record({
  subject: fc.record({
    type: fc.constantFrom('user' as const, 'service' as const),
    id: fc.constantFrom('u1', 'u2', 'c1'),
    roles: fc.uniqueArray(fc.constantFrom(...ROLES), { maxLength: 2 }),
    attributes: fc.constantFrom({}, { level: 1 }, { level: 3 }),
  }),
  action: fc.constantFrom('doc:read', 'doc:write', 'acct:read', 'acct:write', 'docs:read', 'doc'),
  resource: fc.record(
    {
      type: fc.constantFrom('doc', 'acct', 'docs'),
      id: fc.constantFrom('1', '2'),
      attributes: fc.constantFrom({}, { owner: 'u1' }, { owner: 'u2' }),
    },
    { requiredKeys: ['type', 'attributes'] },
  ),
});

function subjectMatches(pattern: string, { subject }: AuthzRequest): boolean {
  if (pattern === '*') return true;
  const [kind, value] = pattern.split(':');
  if (kind === 'role') return subject.roles.includes(value);
  return subject.id === value && subject.type === (kind === 'user' ? 'user' : 'service');
}

function actionMatches(pattern: string, action: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith(':*')) return action.startsWith(pattern.slice(0, -1));
  return pattern === action;
}

function resourceMatches(pattern: string, { resource }: AuthzRequest): boolean {
  if (pattern === '*') return true;
  const [type, id] = pattern.split(':');
  return resource.type === type && (id === '*' || resource.id === id);
}

interface Applicable {
  priority: number;
  effect: 'allow' | 'deny';
  order: string[];
  reason: DecisionReason;
}

function modelDecision(
  policies: PolicyDefinition[],
  roles: RoleDefinition[],
  request: AuthzRequest,
): Pick<Decision, 'decision' | 'reasons'> {
  const applicable: Applicable[] = [];
  for (const p of policies) {
    if (!p.enabled) continue;
    if (!p.subjects.some((s) => subjectMatches(s, request))) continue;
    if (!p.actions.some((a) => actionMatches(a, request.action))) continue;
    if (!p.resources.some((r) => resourceMatches(r, request))) continue;
    if (p.condition !== null && CONDITIONS[p.condition](request) !== true) continue;
    applicable.push({
      priority: p.priority,
      effect: p.effect,
      order: ['0', p.name, p.id],
      reason: {
        kind: 'policy',
        policy_id: p.id,
        policy_name: p.name,
        effect: p.effect,
        priority: p.priority,
      },
    });
  }
  for (const role of roles) {
    if (!request.subject.roles.includes(role.name)) continue;
    for (const permission of role.permissions) {
      if (!actionMatches(permission, request.action)) continue;
      applicable.push({
        priority: 0,
        effect: 'allow',
        order: ['1', role.name, permission],
        reason: {
          kind: 'role_permission',
          role: role.name,
          permission,
          effect: 'allow',
          priority: 0,
        },
      });
    }
  }
  if (applicable.length === 0) return { decision: 'deny', reasons: [{ kind: 'default_deny' }] };
  const top = Math.max(...applicable.map((a) => a.priority));
  const atTop = applicable.filter((a) => a.priority === top);
  const effect = atTop.some((a) => a.effect === 'deny') ? 'deny' : 'allow';
  const deciding = atTop
    .filter((a) => a.effect === effect)
    .sort((x, y) => {
      for (let i = 0; i < 3; i++) {
        if (x.order[i] !== y.order[i]) return x.order[i] < y.order[i] ? -1 : 1;
      }
      return 0;
    });
  return { decision: effect, reasons: deciding.map((a) => a.reason) };
}

describe('CompiledPolicySet against a plain model', () => {
  it('decides as the model does, with the same reasons in the same order', () => {
    fc.assert(
      fc.property(
        policiesArbitrary,
        rolesArbitrary,
        requestArbitrary,
        (policies, roles, request) => {
          const decision = CompiledPolicySet.compile(1, policies, roles).evaluate(request);
          expect({ decision: decision.decision, reasons: decision.reasons }).toEqual(
            modelDecision(policies, roles, request),
          );
          expect(decision.allowed).toBe(decision.decision === 'allow');
        },
      ),
      { numRuns: 400 },
    );
  });

  it('explains with the same decision, and marks exactly the reasons as decided', () => {
    fc.assert(
      fc.property(
        policiesArbitrary,
        rolesArbitrary,
        requestArbitrary,
        (policies, roles, request) => {
          const set = CompiledPolicySet.compile(1, policies, roles);
          const { trace, ...explained } = set.evaluate(request, { explain: true });
          expect(explained).toEqual(set.evaluate(request));
          const decided = (trace ?? [])
            .filter((entry) => entry.outcome === 'decided')
            .map((entry) =>
              entry.kind === 'policy' ? entry.policy_id : `${entry.role}/${entry.permission}`,
            );
          expect(decided).toEqual(
            explained.reasons.flatMap((reason) =>
              reason.kind === 'policy'
                ? [reason.policy_id]
                : reason.kind === 'role_permission'
                  ? [`${reason.role}/${reason.permission}`]
                  : [],
            ),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('denies whenever a matching deny has the highest priority of all, whatever else matches', () => {
    fc.assert(
      fc.property(
        policiesArbitrary,
        rolesArbitrary,
        requestArbitrary,
        fc.constantFrom('*', 'role:r1', 'user:u1'),
        (policies, roles, request, subject) => {
          const top = Math.max(0, ...policies.map((p) => p.priority));
          const deny: PolicyDefinition = {
            id: 'deny',
            name: 'deny',
            effect: 'deny',
            priority: top,
            subjects: [subject],
            actions: [request.action === 'doc' ? '*' : `${request.action.split(':')[0]}:*`],
            resources: ['*'],
            condition: null,
            enabled: true,
          };
          const decision = CompiledPolicySet.compile(1, [...policies, deny], roles).evaluate(
            request,
          );
          const denyMatches = subjectMatches(subject, request);
          if (denyMatches) {
            expect(decision.decision).toBe('deny');
            expect(decision.reasons).toContainEqual(expect.objectContaining({ policy_id: 'deny' }));
          } else {
            expect(decision).toEqual(
              CompiledPolicySet.compile(1, policies, roles).evaluate(request),
            );
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
