import type {
  AuthzRequest,
  AuthzResource,
  AuthzSubject,
} from '../../../common/policy-language/authz-request';
import { CompiledCondition } from '../../../common/policy-language/compiled-condition';
import { ConditionBindingsBuilder } from '../../../common/policy-language/condition-bindings';
import { CompiledPolicySet } from './compiled-policy-set';
import { ConditionSyntaxError } from '../../../common/policy-language/condition-syntax-error';
import type { Decision, TraceEntry } from './decision';
import { InvalidDefinitionError } from './invalid-definition-error';
import type {
  PolicyDefinition,
  RoleDefinition,
} from '../../../common/policy-language/policy-definition';

function policy(name: string, fields: Partial<PolicyDefinition> = {}): PolicyDefinition {
  return {
    id: `id-${name}`,
    name,
    effect: 'allow',
    priority: 0,
    subjects: ['*'],
    actions: ['*'],
    resources: ['*'],
    condition: null,
    enabled: true,
    ...fields,
  };
}

function user(id: string, roles: string[] = [], attributes: Record<string, unknown> = {}) {
  return { type: 'user', id, roles, attributes } satisfies AuthzSubject;
}

function service(id: string, roles: string[] = []) {
  return { type: 'service', id, roles, attributes: {} } satisfies AuthzSubject;
}

/** `document:7` for a resource with an id, `document` for one without. */
function resource(text: string, attributes?: Record<string, unknown>): AuthzResource {
  const colon = text.indexOf(':');
  return colon === -1
    ? { type: text, attributes }
    : { type: text.slice(0, colon), id: text.slice(colon + 1), attributes };
}

function ask(
  subject: AuthzSubject,
  action: string,
  target: string | AuthzResource,
  context?: Record<string, unknown>,
): AuthzRequest {
  return {
    subject,
    action,
    resource: typeof target === 'string' ? resource(target) : target,
    context,
  };
}

/** What a row of the table expects: the decision and the names of what decided it. */
function summary(decision: Decision): string {
  const names = decision.reasons.map((reason) => {
    switch (reason.kind) {
      case 'policy':
        return reason.policy_name;
      case 'role_permission':
        return `${reason.role}/${reason.permission}`;
      case 'default_deny':
        return 'default';
    }
  });
  return `${decision.decision} by ${names.join(', ')}`;
}

function evaluate(
  policies: PolicyDefinition[],
  roles: RoleDefinition[],
  request: AuthzRequest,
): Decision {
  return CompiledPolicySet.compile(1, policies, roles).evaluate(request);
}

const ann = user('ann', ['trader']);

describe('CompiledPolicySet decisions', () => {
  // [case, policies, roles, request, expected "<decision> by <reasons>"]
  const table: [string, PolicyDefinition[], RoleDefinition[], AuthzRequest, string][] = [
    // Default deny
    ['nothing at all', [], [], ask(ann, 'document:read', 'document:1'), 'deny by default'],
    [
      'policies for other actions only',
      [policy('write', { actions: ['document:write'] })],
      [],
      ask(ann, 'document:read', 'document:1'),
      'deny by default',
    ],
    // Priority and deny-override
    [
      'a higher allow beats a lower deny',
      [policy('deny', { effect: 'deny', priority: 5 }), policy('allow', { priority: 10 })],
      [],
      ask(ann, 'document:read', 'document:1'),
      'allow by allow',
    ],
    [
      'a higher deny beats a lower allow',
      [policy('deny', { effect: 'deny', priority: 10 }), policy('allow', { priority: 5 })],
      [],
      ask(ann, 'document:read', 'document:1'),
      'deny by deny',
    ],
    [
      'deny wins at equal priority',
      [policy('allow', { priority: 5 }), policy('deny', { effect: 'deny', priority: 5 })],
      [],
      ask(ann, 'document:read', 'document:1'),
      'deny by deny',
    ],
    [
      'every deny at the deciding priority is a reason, by name; lower ones are not',
      [
        policy('z-deny', { effect: 'deny', priority: 5 }),
        policy('a-deny', { effect: 'deny', priority: 5 }),
        policy('allow', { priority: 5 }),
        policy('low-deny', { effect: 'deny', priority: 4 }),
      ],
      [],
      ask(ann, 'document:read', 'document:1'),
      'deny by a-deny, z-deny',
    ],
    [
      'every allow at the deciding priority is a reason',
      [policy('b', { priority: 3 }), policy('a', { priority: 3 }), policy('c', { priority: 2 })],
      [],
      ask(ann, 'document:read', 'document:1'),
      'allow by a, b',
    ],
    [
      'negative priorities rank below zero',
      [policy('deny', { effect: 'deny', priority: -5 }), policy('allow', { priority: -1 })],
      [],
      ask(ann, 'document:read', 'document:1'),
      'allow by allow',
    ],
    // Role permissions
    [
      'an exact role permission allows',
      [],
      [{ name: 'trader', permissions: ['document:read'] }],
      ask(ann, 'document:read', 'document:1'),
      'allow by trader/document:read',
    ],
    [
      'a role permission allows on any resource type',
      [],
      [{ name: 'trader', permissions: ['document:read'] }],
      ask(ann, 'document:read', 'invoice:9'),
      'allow by trader/document:read',
    ],
    [
      'a role permission covers only its own action',
      [],
      [{ name: 'trader', permissions: ['document:read'] }],
      ask(ann, 'document:write', 'document:1'),
      'deny by default',
    ],
    [
      'a type-wide role permission covers every verb of the type',
      [],
      [{ name: 'trader', permissions: ['users:*'] }],
      ask(ann, 'users:delete', 'user:2'),
      'allow by trader/users:*',
    ],
    [
      'a type-wide role permission does not cover a type it prefixes',
      [],
      [{ name: 'trader', permissions: ['users:*'] }],
      ask(ann, 'users_admin:delete', 'user:2'),
      'deny by default',
    ],
    [
      'a * role permission covers everything',
      [],
      [{ name: 'trader', permissions: ['*'] }],
      ask(ann, 'anything:at-all', 'thing'),
      'allow by trader/*',
    ],
    [
      'every covering permission of every role held is a reason, by role and permission',
      [],
      [
        { name: 'trader', permissions: ['users:read', 'users:*'] },
        { name: 'auditor', permissions: ['*', 'documents:read'] },
      ],
      ask(user('ann', ['trader', 'auditor', 'trader']), 'users:read', 'user:2'),
      'allow by auditor/*, trader/users:*, trader/users:read',
    ],
    [
      'permissions of roles the subject does not hold do not count',
      [],
      [{ name: 'admin', permissions: ['*'] }],
      ask(ann, 'document:read', 'document:1'),
      'deny by default',
    ],
    [
      'a deny at priority 0 beats role permissions',
      [policy('deny', { effect: 'deny', priority: 0 })],
      [{ name: 'trader', permissions: ['*'] }],
      ask(ann, 'document:read', 'document:1'),
      'deny by deny',
    ],
    [
      'a deny below priority 0 loses to role permissions',
      [policy('deny', { effect: 'deny', priority: -1 })],
      [{ name: 'trader', permissions: ['*'] }],
      ask(ann, 'document:read', 'document:1'),
      'allow by trader/*',
    ],
    [
      'an allow at priority 0 and a role permission both decide, the policy first',
      [policy('allow', { priority: 0 })],
      [{ name: 'trader', permissions: ['*'] }],
      ask(ann, 'document:read', 'document:1'),
      'allow by allow, trader/*',
    ],
    [
      'a positive allow decides before role permissions are needed',
      [policy('allow', { priority: 1 })],
      [{ name: 'trader', permissions: ['*'] }],
      ask(ann, 'document:read', 'document:1'),
      'allow by allow',
    ],
    // Subjects
    [
      'user:<id> matches that user',
      [policy('p', { subjects: ['user:ann'] })],
      [],
      ask(user('ann'), 'document:read', 'document:1'),
      'allow by p',
    ],
    [
      'user:<id> does not match another user',
      [policy('p', { subjects: ['user:ann'] })],
      [],
      ask(user('bob'), 'document:read', 'document:1'),
      'deny by default',
    ],
    [
      'user:<id> does not match a service client with that id',
      [policy('p', { subjects: ['user:ann'] })],
      [],
      ask(service('ann'), 'document:read', 'document:1'),
      'deny by default',
    ],
    [
      'client:<id> matches that service client',
      [policy('p', { subjects: ['client:billing'] })],
      [],
      ask(service('billing'), 'document:read', 'document:1'),
      'allow by p',
    ],
    [
      'client:<id> does not match a user with that id',
      [policy('p', { subjects: ['client:billing'] })],
      [],
      ask(user('billing'), 'document:read', 'document:1'),
      'deny by default',
    ],
    [
      'role:<name> matches a holder of the role',
      [policy('p', { subjects: ['role:auditor', 'role:trader'] })],
      [],
      ask(ann, 'document:read', 'document:1'),
      'allow by p',
    ],
    [
      'role:<name> does not match others',
      [policy('p', { subjects: ['role:auditor'] })],
      [],
      ask(ann, 'document:read', 'document:1'),
      'deny by default',
    ],
    [
      'role:<name> matches a service client holding the role',
      [policy('p', { subjects: ['role:sync'] })],
      [],
      ask(service('billing', ['sync']), 'document:read', 'document:1'),
      'allow by p',
    ],
    [
      '* matches a service client',
      [policy('p', { subjects: ['*'] })],
      [],
      ask(service('billing'), 'document:read', 'document:1'),
      'allow by p',
    ],
    // Actions
    [
      'an exact action',
      [policy('p', { actions: ['trading_account:trade'] })],
      [],
      ask(ann, 'trading_account:trade', 'trading_account:1'),
      'allow by p',
    ],
    [
      'an exact action does not match another verb',
      [policy('p', { actions: ['trading_account:trade'] })],
      [],
      ask(ann, 'trading_account:close', 'trading_account:1'),
      'deny by default',
    ],
    [
      'type:* matches any verb of the type',
      [policy('p', { actions: ['trading_account:*'] })],
      [],
      ask(ann, 'trading_account:close', 'trading_account:1'),
      'allow by p',
    ],
    [
      'type:* does not match a type it prefixes',
      [policy('p', { actions: ['trading_account:*'] })],
      [],
      ask(ann, 'trading_accounts:close', 'trading_account:1'),
      'deny by default',
    ],
    [
      'type:* does not match the bare type name',
      [policy('p', { actions: ['trading_account:*'] })],
      [],
      ask(ann, 'trading_account', 'trading_account:1'),
      'deny by default',
    ],
    [
      '* matches any action',
      [policy('p', { actions: ['*'] })],
      [],
      ask(ann, 'whatever', 'trading_account:1'),
      'allow by p',
    ],
    // Resources
    [
      'an exact resource',
      [policy('p', { resources: ['document:7'] })],
      [],
      ask(ann, 'document:read', 'document:7'),
      'allow by p',
    ],
    [
      'an exact resource does not match another id',
      [policy('p', { resources: ['document:7'] })],
      [],
      ask(ann, 'document:read', 'document:8'),
      'deny by default',
    ],
    [
      'an exact resource does not match a resource given without id',
      [policy('p', { resources: ['document:7'] })],
      [],
      ask(ann, 'document:read', 'document'),
      'deny by default',
    ],
    [
      'an exact resource does not match another type with that id',
      [policy('p', { resources: ['document:7'] })],
      [],
      ask(ann, 'document:read', 'invoice:7'),
      'deny by default',
    ],
    [
      'an id may contain colons',
      [policy('p', { resources: ['document:urn:x:7'] })],
      [],
      ask(ann, 'document:read', 'document:urn:x:7'),
      'allow by p',
    ],
    [
      'type:* matches any id of the type',
      [policy('p', { resources: ['document:*'] })],
      [],
      ask(ann, 'document:read', 'document:8'),
      'allow by p',
    ],
    [
      'type:* matches a resource given without id',
      [policy('p', { resources: ['document:*'] })],
      [],
      ask(ann, 'document:list', 'document'),
      'allow by p',
    ],
    [
      'type:* does not match another type',
      [policy('p', { resources: ['document:*'] })],
      [],
      ask(ann, 'document:read', 'documents:8'),
      'deny by default',
    ],
    [
      'exact, type-wide and * resource policies are all candidates, in priority order',
      [
        policy('exact', { resources: ['document:7'], priority: 1 }),
        policy('typed', { resources: ['document:*'], effect: 'deny', priority: 2 }),
        policy('any', { resources: ['*'], priority: 3 }),
      ],
      [],
      ask(ann, 'document:read', 'document:7'),
      'allow by any',
    ],
    // Disabled policies
    [
      'a disabled allow never matches',
      [policy('p', { enabled: false })],
      [],
      ask(ann, 'document:read', 'document:1'),
      'deny by default',
    ],
    [
      'a disabled deny never blocks',
      [policy('deny', { effect: 'deny', priority: 9, enabled: false }), policy('allow')],
      [],
      ask(ann, 'document:read', 'document:1'),
      'allow by allow',
    ],
  ];

  it.each(table)('%s', (_case, policies, roles, request, expected) => {
    expect(summary(evaluate(policies, roles, request))).toBe(expected);
  });

  it('answers allowed in step with the decision and carries the reason fields', () => {
    const decision = evaluate(
      [policy('trade', { priority: 10, effect: 'allow' })],
      [],
      ask(ann, 'trading_account:trade', 'trading_account:1'),
    );
    expect(decision).toEqual({
      allowed: true,
      decision: 'allow',
      reasons: [
        {
          kind: 'policy',
          policy_id: 'id-trade',
          policy_name: 'trade',
          effect: 'allow',
          priority: 10,
        },
      ],
      diagnostics: [],
    });
    expect(evaluate([], [], ask(ann, 'x:y', 'z'))).toEqual({
      allowed: false,
      decision: 'deny',
      reasons: [{ kind: 'default_deny' }],
      diagnostics: [],
    });
  });

  it('gives the same answer whatever order the policies and roles come in', () => {
    const policies = [
      policy('b', { priority: 2 }),
      policy('a', { priority: 2 }),
      policy('c', { priority: 2, id: 'id-a' }),
      policy('d', { effect: 'deny', priority: 1 }),
    ];
    const roles = [
      { name: 'trader', permissions: ['x:*', 'x:y'] },
      { name: 'auditor', permissions: ['*'] },
    ];
    const request = ask(user('ann', ['trader', 'auditor']), 'x:y', 'z:1');
    const forward = CompiledPolicySet.compile(1, policies, roles).evaluate(request, {
      explain: true,
    });
    const backward = CompiledPolicySet.compile(
      1,
      [...policies].reverse(),
      [
        ...roles.map((role) => ({ ...role, permissions: [...role.permissions].reverse() })),
      ].reverse(),
    ).evaluate(ask(user('ann', ['auditor', 'trader']), 'x:y', 'z:1'), { explain: true });
    expect(JSON.stringify(backward)).toBe(JSON.stringify(forward));
    expect(summary(forward)).toBe('allow by a, b, c');
  });
});

describe('CompiledPolicySet conditions', () => {
  const owner = 'resource.owner_id == subject.id';
  const tradeOwn = policy('trade-own', {
    priority: 10,
    subjects: ['role:trader'],
    actions: ['trading_account:trade'],
    resources: ['trading_account:*'],
    condition: owner,
  });
  const account = (attributes: Record<string, unknown>) =>
    resource('trading_account:acc-1', attributes);

  const table: [string, PolicyDefinition[], AuthzRequest, string, string[]][] = [
    // [case, policies, request, expected, diagnostics]
    [
      'true: the policy applies',
      [tradeOwn],
      ask(ann, 'trading_account:trade', account({ owner_id: 'ann' })),
      'allow by trade-own',
      [],
    ],
    [
      'false: the policy does not apply',
      [tradeOwn],
      ask(ann, 'trading_account:trade', account({ owner_id: 'bob' })),
      'deny by default',
      [],
    ],
    [
      'false: a lower priority decides instead',
      [tradeOwn, policy('fallback', { priority: 1 })],
      ask(ann, 'trading_account:trade', account({ owner_id: 'bob' })),
      'allow by fallback',
      [],
    ],
    [
      'missing attribute: an error, never an allow',
      [tradeOwn],
      ask(ann, 'trading_account:trade', account({})),
      'deny by default',
      ['trade-own: field not found: owner_id'],
    ],
    [
      'missing attributes object: the same error',
      [tradeOwn],
      ask(ann, 'trading_account:trade', resource('trading_account:acc-1')),
      'deny by default',
      ['trade-own: field not found: owner_id'],
    ],
    [
      'wrong type: an error',
      [policy('big', { condition: 'resource.amount > 100' })],
      ask(ann, 'payment:make', resource('payment:1', { amount: '500' })),
      'deny by default',
      ["big: found no matching overload for '_>_' applied to '(string, int)'"],
    ],
    [
      'a JSON number compares with an int literal',
      [policy('big', { condition: 'resource.amount > 100' })],
      ask(ann, 'payment:make', resource('payment:1', { amount: 500 })),
      'allow by big',
      [],
    ],
    [
      'a result that is not a bool: an error',
      [policy('flag', { condition: 'subject.flag' })],
      ask(user('ann', [], { flag: 'yes' }), 'x:y', 'z'),
      'deny by default',
      ['flag: the condition produced string, not a bool'],
    ],
    [
      'an erroring deny does not apply, so a lower allow decides, and it is reported',
      [
        policy('frozen', { effect: 'deny', priority: 9, condition: 'resource.frozen' }),
        policy('allow', { priority: 1 }),
      ],
      ask(ann, 'x:y', resource('z:1', {})),
      'allow by allow',
      ['frozen: field not found: frozen'],
    ],
    [
      'conditions below the decision are not evaluated, so not reported',
      [policy('allow', { priority: 9 }), policy('broken', { condition: 'resource.nothing' })],
      ask(ann, 'x:y', resource('z:1', {})),
      'allow by allow',
      [],
    ],
    [
      'context is an empty map when absent',
      [policy('office', { condition: '!has(context.ip)' })],
      ask(ann, 'x:y', 'z'),
      'allow by office',
      [],
    ],
    [
      'context values are visible',
      [policy('office', { condition: 'context.ip.startsWith("10.")' })],
      ask(ann, 'x:y', 'z', { ip: '10.1.2.3' }),
      'allow by office',
      [],
    ],
    [
      'action, subject roles and type are visible',
      [
        policy('vars', {
          condition:
            'action == "x:y" && "trader" in subject.roles && subject.type == "user" && ' +
            'resource.type == "z" && resource.id == "1"',
        }),
      ],
      ask(ann, 'x:y', 'z:1'),
      'allow by vars',
      [],
    ],
    [
      'resource.id is missing when the request names no id',
      [policy('id', { condition: 'resource.id == "1"' })],
      ask(ann, 'x:y', 'z'),
      'deny by default',
      ['id: field not found: id'],
    ],
    [
      'caller attributes cannot override subject id, type and roles',
      [policy('admin', { condition: 'subject.id == "root" || "admin" in subject.roles' })],
      ask(user('ann', [], { id: 'root', type: 'service', roles: ['admin'] }), 'x:y', 'z'),
      'deny by default',
      [],
    ],
    [
      'caller attributes cannot override resource type and id',
      [policy('mine', { condition: 'resource.type == "vault" || resource.id == "7"' })],
      ask(ann, 'x:y', resource('z:1', { type: 'vault', id: '7' })),
      'deny by default',
      [],
    ],
    [
      'nested attributes and lists',
      [policy('team', { condition: 'subject.org.teams.exists(t, t.name == resource.team)' })],
      ask(
        user('ann', [], { org: { teams: [{ name: 'red' }, { name: 'blue' }] } }),
        'x:y',
        resource('z:1', { team: 'blue' }),
      ),
      'allow by team',
      [],
    ],
    [
      'attributes beyond the size limit: an error, not a slow request',
      [policy('any', { condition: 'size(subject.groups) > 0' })],
      ask(
        user('ann', [], { groups: Array.from({ length: 100_000 }, (_, i) => `g${i}`) }),
        'x:y',
        'z',
      ),
      'deny by default',
      ['any: subject attributes hold more than 1000 values'],
    ],
    [
      'attributes beyond the depth limit: an error',
      [policy('any', { condition: 'true' })],
      ask(
        ann,
        'x:y',
        resource('z:1', { a: [{ b: { c: { d: { e: { f: { g: { h: { i: 1 } } } } } } } }] }),
      ),
      'deny by default',
      ['any: resource attributes nest deeper than 8 levels'],
    ],
    [
      'values JSON cannot carry: an error',
      [policy('any', { condition: 'true' })],
      ask(ann, 'x:y', 'z', { when: new Date(0) }),
      'deny by default',
      ['any: context attributes hold an unsupported value (an object other than a plain one)'],
    ],
    [
      'conditions not touching the failed input still fail: the request is malformed',
      [policy('any', { condition: 'resource.type == "z"' })],
      ask(ann, 'x:y', 'z', { run: () => true }),
      'deny by default',
      ['any: context attributes hold an unsupported value (function)'],
    ],
  ];

  it.each(table)('%s', (_case, policies, request, expected, diagnostics) => {
    const decision = evaluate(policies, [], request);
    expect(summary(decision)).toBe(expected);
    expect(decision.diagnostics.map((d) => `${d.policy_name}: ${d.error}`)).toEqual(diagnostics);
  });

  it('names the policy in each diagnostic', () => {
    const decision = evaluate([tradeOwn], [], ask(ann, 'trading_account:trade', account({})));
    expect(decision.diagnostics).toEqual([
      { policy_id: 'id-trade-own', policy_name: 'trade-own', error: 'field not found: owner_id' },
    ]);
  });

  it('treats a __proto__ attribute as an ordinary key and pollutes no prototype', () => {
    const attributes = JSON.parse('{"__proto__": {"admin": true}, "team": "red"}') as Record<
      string,
      unknown
    >;
    const set = CompiledPolicySet.compile(
      1,
      [
        policy('admin', { priority: 2, condition: 'subject.admin == true' }),
        policy('proto', { priority: 1, condition: 'subject["__proto__"].admin == true' }),
      ],
      [],
    );
    const decision = set.evaluate(ask(user('ann', [], attributes), 'x:y', 'z'));
    expect(summary(decision)).toBe('allow by proto');
    expect(decision.diagnostics).toEqual([
      { policy_id: 'id-admin', policy_name: 'admin', error: 'field not found: admin' },
    ]);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('accepts objects without a prototype and refuses instances of classes', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { admin: true });
    const set = CompiledPolicySet.compile(
      1,
      [policy('admin', { condition: 'subject.admin == true' })],
      [],
    );
    expect(summary(set.evaluate(ask(user('ann', [], bare), 'x:y', 'z')))).toBe('allow by admin');
    const inherited = Object.create({ admin: true }) as Record<string, unknown>;
    expect(set.evaluate(ask(user('ann', [], inherited), 'x:y', 'z')).diagnostics).toEqual([
      {
        policy_id: 'id-admin',
        policy_name: 'admin',
        error: 'subject attributes hold an unsupported value (an object other than a plain one)',
      },
    ]);
  });

  it('decides for a prepared subject as for the subject it was prepared from', () => {
    const set = CompiledPolicySet.compile(
      1,
      [
        policy('team', { priority: 2, condition: 'subject.team == "red" && "x" in subject.roles' }),
        policy('many', { priority: 1, condition: 'subject.tags.exists(t, t == "b")' }),
        policy('role', { subjects: ['role:x'], condition: 'subject.id == "ann"' }),
      ],
      [],
    );
    const subjects = [
      user('ann', ['x'], { team: 'red', tags: ['a'] }),
      user('ann', ['y'], { team: 'red', tags: ['b'] }),
      user('bob', ['x'], { team: 'blue' }),
      user('ann', ['x'], { tags: Array.from({ length: 1001 }, String) }),
      user('ann', ['x'], { team: new Date() }),
    ];
    for (const subject of subjects) {
      const prepared = ConditionBindingsBuilder.prepare(subject);
      const decide = (s: AuthzSubject) => set.evaluate(ask(s, 'x:y', 'z'), { explain: true });
      const expected = decide(subject);
      expect(decide(prepared)).toEqual(expected);
      // Prepared means copied: what becomes of the objects it came from changes nothing.
      subject.roles.push('x');
      subject.attributes.team = 'red';
      subject.attributes.tags = ['b'];
      expect(decide(prepared)).toEqual(expected);
      expect(Object.isFrozen(prepared) && Object.isFrozen(prepared.roles)).toBe(true);
    }
  });

  it('refuses a huge input quickly', () => {
    const groups = Array.from({ length: 1_000_000 }, (_, i) => `g${i}`);
    const set = CompiledPolicySet.compile(1, [policy('any', { condition: 'true' })], []);
    const started = performance.now();
    set.evaluate(ask(user('ann', [], { groups }), 'x:y', 'z'));
    expect(performance.now() - started).toBeLessThan(50);
  });
});

describe('CompiledPolicySet explain', () => {
  const policies = [
    policy('trade-own', {
      priority: 10,
      subjects: ['role:trader'],
      actions: ['trading_account:trade'],
      resources: ['trading_account:*'],
      condition: 'resource.owner_id == subject.id',
    }),
    policy('frozen', {
      effect: 'deny',
      priority: 10,
      actions: ['trading_account:*'],
      resources: ['trading_account:*'],
      condition: 'resource.frozen',
    }),
    policy('auditors', {
      priority: 5,
      subjects: ['role:auditor'],
      actions: ['trading_account:*'],
      resources: ['trading_account:*'],
    }),
    policy('old-trade', {
      priority: 20,
      actions: ['trading_account:trade'],
      resources: ['trading_account:*'],
      enabled: false,
    }),
    policy('close-only', {
      priority: 3,
      actions: ['trading_account:close'],
      resources: ['trading_account:*'],
    }),
    policy('one-account', { priority: 2, resources: ['trading_account:acc-9'] }),
    policy('catch-all', { priority: -1 }),
    policy('documents', { actions: ['document:read'], resources: ['document:*'] }),
  ];
  const roles = [
    { name: 'trader', permissions: ['trading_account:*'] },
    { name: 'admin', permissions: ['*'] },
    { name: 'reader', permissions: ['document:read'] },
  ];
  const set = CompiledPolicySet.compile(7, policies, roles);
  const request = ask(
    user('ann', ['trader']),
    'trading_account:trade',
    resource('trading_account:acc-1', { owner_id: 'ann' }),
  );

  it('lists each candidate in evaluation order with what matched, its condition and outcome', () => {
    const decision = set.evaluate(request, { explain: true });
    expect(summary(decision)).toBe('allow by trade-own');
    const entries = (decision.trace ?? []).map((entry: TraceEntry) =>
      entry.kind === 'policy'
        ? {
            name: entry.policy_name,
            match: entry.match,
            condition: entry.condition,
            outcome: entry.outcome,
          }
        : { name: `${entry.role}/${entry.permission}`, match: entry.match, outcome: entry.outcome },
    );
    expect(entries).toEqual([
      {
        name: 'old-trade',
        match: { subject: '*', action: 'trading_account:trade', resource: 'trading_account:*' },
        condition: null,
        outcome: 'disabled',
      },
      {
        name: 'frozen',
        match: { subject: '*', action: 'trading_account:*', resource: 'trading_account:*' },
        condition: { source: 'resource.frozen', result: 'error', error: 'field not found: frozen' },
        outcome: 'condition_error',
      },
      {
        name: 'trade-own',
        match: {
          subject: 'role:trader',
          action: 'trading_account:trade',
          resource: 'trading_account:*',
        },
        condition: { source: 'resource.owner_id == subject.id', result: 'true' },
        outcome: 'decided',
      },
      {
        name: 'auditors',
        match: { subject: null, action: 'trading_account:*', resource: 'trading_account:*' },
        condition: null,
        outcome: 'not_matched',
      },
      {
        name: 'close-only',
        match: { subject: '*', action: null, resource: 'trading_account:*' },
        condition: null,
        outcome: 'not_matched',
      },
      {
        name: 'one-account',
        match: { subject: '*', action: '*', resource: null },
        condition: null,
        outcome: 'not_matched',
      },
      {
        name: 'admin/*',
        match: { subject: null, action: '*', resource: '*' },
        outcome: 'not_matched',
      },
      {
        name: 'trader/trading_account:*',
        match: { subject: 'role:trader', action: 'trading_account:*', resource: '*' },
        outcome: 'overridden',
      },
      {
        name: 'catch-all',
        match: { subject: '*', action: '*', resource: '*' },
        condition: null,
        outcome: 'overridden',
      },
    ]);
  });

  it('reports a false condition, and carries the same decision and diagnostics as without explain', () => {
    const other = ask(
      user('ann', ['trader']),
      'trading_account:trade',
      resource('trading_account:acc-1', { owner_id: 'bob', frozen: false }),
    );
    const explained = set.evaluate(other, { explain: true });
    const plain = set.evaluate(other);
    expect(plain.trace).toBeUndefined();
    expect({ ...explained, trace: undefined }).toEqual(plain);
    expect(summary(plain)).toBe('allow by trader/trading_account:*');
    const tradeOwn = explained.trace?.find(
      (entry) => entry.kind === 'policy' && entry.policy_name === 'trade-own',
    );
    expect(tradeOwn).toMatchObject({
      condition: { result: 'false' },
      outcome: 'condition_false',
    });
    expect(
      explained.trace?.find((e) => e.kind === 'policy' && e.policy_name === 'frozen'),
    ).toMatchObject({
      condition: { result: 'false' },
      outcome: 'condition_false',
    });
  });

  it('marks a condition skipped when its policy did not match', () => {
    const decision = set.evaluate(
      ask(user('bob'), 'trading_account:trade', resource('trading_account:acc-1', {})),
      { explain: true },
    );
    const tradeOwn = decision.trace?.find(
      (entry) => entry.kind === 'policy' && entry.policy_name === 'trade-own',
    );
    expect(tradeOwn).toMatchObject({
      match: { subject: null },
      condition: { source: 'resource.owner_id == subject.id', result: 'skipped' },
      outcome: 'not_matched',
    });
  });
});

describe('CompiledPolicySet.permissionsOf', () => {
  const set = CompiledPolicySet.compile(
    1,
    [],
    [
      { name: 'trader', permissions: ['trading_account:trade', 'document:read'] },
      { name: 'auditor', permissions: ['document:read', 'audit:*'] },
    ],
  );

  it('unites the permissions of the roles, sorted, each once', () => {
    expect(set.permissionsOf(['trader', 'auditor'])).toEqual([
      'audit:*',
      'document:read',
      'trading_account:trade',
    ]);
  });

  it('ignores unknown roles and gives nothing for none', () => {
    expect(set.permissionsOf(['nobody'])).toEqual([]);
    expect(set.permissionsOf([])).toEqual([]);
  });
});

describe('CompiledPolicySet.compile', () => {
  it('keeps the version', () => {
    expect(CompiledPolicySet.compile(42, [], []).version).toBe(42);
  });

  it('names the policy whose condition does not compile, with the position', () => {
    let thrown: unknown;
    try {
      CompiledPolicySet.compile(
        1,
        [policy('fine'), policy('broken', { condition: 'resource.owner_id ==\n  (subject.id' })],
        [],
      );
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConditionSyntaxError);
    const error = thrown as ConditionSyntaxError;
    expect(error.policy).toEqual({ id: 'id-broken', name: 'broken' });
    expect(error.position).toEqual({ offset: 34, line: 2, column: 14 });
    expect(error.message).toBe(
      'policy "broken" (id-broken): condition: line 2, column 14: expected ")" to close the "(" ' +
        'at line 2, column 3, found the end of the condition',
    );
  });

  it.each([
    ['subjects', { subjects: ['group:x'] }],
    ['subjects', { subjects: [] }],
    ['actions', { actions: ['Trade'] }],
    ['resources', { resources: ['document:a b'] }],
    ['priority', { priority: 1.5 }],
    ['effect', { effect: 'permit' as never }],
  ])('refuses a policy with a bad %s, naming it', (field, fields) => {
    expect(() => CompiledPolicySet.compile(1, [policy('bad', fields)], [])).toThrow(
      expect.objectContaining({
        constructor: InvalidDefinitionError,
        definition: { kind: 'policy', id: 'id-bad', name: 'bad' },
        field,
      }) as Error,
    );
  });

  it('refuses a role with a bad name or permission', () => {
    expect(() => CompiledPolicySet.compile(1, [], [{ name: 'Admin', permissions: [] }])).toThrow(
      'role "Admin": name: role name "Admin" must start with a lowercase letter',
    );
    expect(() =>
      CompiledPolicySet.compile(1, [], [{ name: 'admin', permissions: ['users'] }]),
    ).toThrow('role "admin": permissions: permission "users" must be "*"');
  });

  it('parses each distinct condition once, and not again for a set that reuses the previous', () => {
    const compile = jest.spyOn(CompiledCondition, 'compile');
    try {
      const shared = 'resource.owner_id == subject.id';
      const first = CompiledPolicySet.compile(
        1,
        [
          policy('a', { condition: shared }),
          policy('b', { condition: shared }),
          policy('c', { condition: 'true' }),
        ],
        [],
      );
      expect(compile).toHaveBeenCalledTimes(2);
      compile.mockClear();
      const second = CompiledPolicySet.compile(
        2,
        [policy('a', { condition: shared }), policy('d', { condition: 'false' })],
        [],
        first,
      );
      expect(compile.mock.calls).toEqual([['false']]);
      expect(second.version).toBe(2);
    } finally {
      compile.mockRestore();
    }
  });
});
