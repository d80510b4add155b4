import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PolicyInput } from './authz-http-fixture';
import type { BenchServer } from './targets';
import { freePort, LOOPBACK, startPeerProcess } from './peer-process';

/** Cerbos's check API (CheckResources): one principal, resources with their actions. */
export const CERBOS_CHECK_PATH = '/api/check/resources';
/** The binary the npm registry's `@cerbos/cerbos-linux-x64` ships (the package's `main`). */
const CERBOS_BINARY = require.resolve('@cerbos/cerbos-linux-x64');
/** Derived roles naming one service client each, which a `client:<id>` subject pattern needs. */
const CLIENT_ROLES = 'gatehouse_clients';

/**
 * The base role every principal carries, after its subject type: Cerbos wants at least one role
 * per principal, and derived roles for service clients hang off it.
 */
export const SERVICE_ROLE = 'service';
export const USER_ROLE = 'user';

/** What Gatehouse is asked, in the terms both understand. */
export interface Question {
  subject: { type: 'user' | 'service'; id: string; attributes?: Record<string, unknown> };
  action: string;
  resource: { type: string; id: string; attributes?: Record<string, unknown> };
  context?: Record<string, unknown>;
}

export interface CerbosPrincipal {
  id: string;
  roles: string[];
  attr: Record<string, unknown>;
}

export interface CerbosResourceEntry {
  actions: string[];
  resource: { kind: string; id: string; attr: Record<string, unknown> };
}

export interface CerbosCheckBody {
  principal: CerbosPrincipal;
  resources: CerbosResourceEntry[];
}

export interface CerbosCheckAnswer {
  results: { resource: { id: string; kind: string }; actions: Record<string, string> }[];
}

/** A Gatehouse pattern `type:rest`, split at the first colon. */
function splitPattern(pattern: string): [string, string] {
  const colon = pattern.indexOf(':');
  if (colon < 0) throw new Error(`pattern without a type: ${pattern}`);
  return [pattern.slice(0, colon), pattern.slice(colon + 1)];
}

/** An action `type:verb` as Cerbos asks it: the verb, on a resource of the type's kind. */
const cerbosAction = (action: string) => splitPattern(action)[1];

/**
 * A Gatehouse condition in Cerbos's CEL: the same expression over Cerbos's names. Cerbos has no
 * request context beside the principal and the resource, so a check's `context` travels as the
 * resource attribute `context` (see cerbosQuestion).
 */
export function cerbosCondition(condition: string): string {
  return condition
    .replace(/\bresource\.id\b/g, 'request.resource.id')
    .replace(/\bresource\.(\w+)/g, 'request.resource.attr.$1')
    .replace(/\bsubject\.id\b/g, 'request.principal.id')
    .replace(/\bsubject\.(\w+)/g, 'request.principal.attr.$1')
    .replace(/\bcontext\.(\w+)/g, 'request.resource.attr.context.$1');
}

const ruleName = (name: string) => name.replace(/[^A-Za-z0-9_-]/g, '_');

interface CerbosRule {
  name: string;
  actions: string[];
  effect: 'EFFECT_ALLOW' | 'EFFECT_DENY';
  roles?: string[];
  derivedRoles?: string[];
  condition?: { match: { all: { of: { expr: string }[] } } | { expr: string } };
}

/**
 * Gatehouse's roles and policies as Cerbos policies: one resource policy per resource type, with
 * a rule per role permission and per policy, and one derived role per service client a policy
 * names. Both engines let any matching deny win over any matching allow, and deny what nothing
 * allows; with every deny at a priority no allow exceeds (as in the fixture; checked here), that
 * is Gatehouse's priority order too. Anything this translation does not know fails loudly.
 */
export function cerbosPolicies(
  policies: PolicyInput[],
  roles: Record<string, string[]>,
): Record<string, unknown> {
  const topAllow = Math.max(
    0,
    ...policies.filter((p) => p.effect === 'allow').map((p) => p.priority),
  );
  const lowestDeny = Math.min(
    Infinity,
    ...policies.filter((p) => p.effect === 'deny').map((p) => p.priority),
  );
  if (topAllow > lowestDeny) {
    throw new Error('an allow above a deny has no equivalent in Cerbos, where any deny wins');
  }
  const rulesByKind = new Map<string, CerbosRule[]>();
  const rulesOf = (kind: string) => {
    const rules = rulesByKind.get(kind) ?? [];
    rulesByKind.set(kind, rules);
    return rules;
  };
  for (const [role, permissions] of Object.entries(roles)) {
    for (const permission of permissions) {
      const [kind, verb] = splitPattern(permission);
      rulesOf(kind).push({
        name: ruleName(`role-${role}-${verb}`),
        actions: [verb],
        effect: 'EFFECT_ALLOW',
        roles: [role],
      });
    }
  }
  const clientRoles = new Map<string, string>();
  for (const policy of policies) {
    if (policy.subjects.length !== 1 || policy.resources.length !== 1) {
      throw new Error(`${policy.name}: one subject and one resource pattern expected`);
    }
    const [kind, id] = splitPattern(policy.resources[0]);
    const conditions = policy.condition ? [cerbosCondition(policy.condition)] : [];
    if (id !== '*') conditions.push(`request.resource.id == ${JSON.stringify(id)}`);
    const subject = policy.subjects[0];
    let who: Pick<CerbosRule, 'roles' | 'derivedRoles'>;
    if (subject === '*') {
      who = { roles: ['*'] };
    } else {
      const [subjectKind, value] = splitPattern(subject);
      if (subjectKind === 'role') {
        who = { roles: [value] };
      } else if (subjectKind === 'client') {
        const derived = clientRoles.get(value) ?? `client_${clientRoles.size}`;
        clientRoles.set(value, derived);
        who = { derivedRoles: [derived] };
      } else {
        throw new Error(`${policy.name}: no Cerbos equivalent for the subject ${subject}`);
      }
    }
    for (const action of policy.actions) {
      const [actionKind] = splitPattern(action);
      if (actionKind !== kind) {
        throw new Error(`${policy.name}: the action ${action} is not on a ${kind}`);
      }
    }
    rulesOf(kind).push({
      name: ruleName(policy.name),
      actions: policy.actions.map(cerbosAction),
      effect: policy.effect === 'allow' ? 'EFFECT_ALLOW' : 'EFFECT_DENY',
      ...who,
      ...(conditions.length === 0
        ? {}
        : {
            condition: {
              match:
                conditions.length === 1
                  ? { expr: conditions[0] }
                  : { all: { of: conditions.map((expr) => ({ expr })) } },
            },
          }),
    });
  }
  const files: Record<string, unknown> = {};
  if (clientRoles.size > 0) {
    files[`${CLIENT_ROLES}.json`] = {
      apiVersion: 'api.cerbos.dev/v1',
      derivedRoles: {
        name: CLIENT_ROLES,
        definitions: [...clientRoles].map(([clientId, derived]) => ({
          name: derived,
          parentRoles: [SERVICE_ROLE],
          condition: { match: { expr: `request.principal.id == ${JSON.stringify(clientId)}` } },
        })),
      },
    };
  }
  for (const [kind, rules] of rulesByKind) {
    files[`resource-${ruleName(kind)}.json`] = {
      apiVersion: 'api.cerbos.dev/v1',
      resourcePolicy: {
        version: 'default',
        resource: kind,
        ...(rules.some((rule) => rule.derivedRoles) ? { importDerivedRoles: [CLIENT_ROLES] } : {}),
        rules,
      },
    };
  }
  return files;
}

/**
 * The principal Cerbos needs for a subject: Gatehouse looks a subject's roles and known
 * attributes up itself, while Cerbos is told them with every request. `known` holds what
 * Gatehouse knows of the subject (its granted roles, a client's status).
 */
export function cerbosPrincipal(
  subject: Question['subject'],
  known: { roles: string[]; attributes: Record<string, unknown> },
): CerbosPrincipal {
  return {
    id: subject.id,
    roles: [subject.type === 'service' ? SERVICE_ROLE : USER_ROLE, ...known.roles],
    attr: { ...known.attributes, ...subject.attributes },
  };
}

/** One resource entry of a CheckResources request; the check's context rides along (see above). */
export function cerbosResourceEntry(question: Question): CerbosResourceEntry {
  const [kind, verb] = splitPattern(question.action);
  if (kind !== question.resource.type) {
    throw new Error(`the action ${question.action} is not on a ${question.resource.type}`);
  }
  return {
    actions: [verb],
    resource: {
      kind,
      id: question.resource.id,
      attr: {
        ...question.resource.attributes,
        ...(question.context ? { context: question.context } : {}),
      },
    },
  };
}

/** The single effect of a one-action entry in a CheckResources answer. */
export function cerbosEffect(result: CerbosCheckAnswer['results'][number]): 'allow' | 'deny' {
  const effects = Object.values(result.actions);
  if (effects.length !== 1) throw new Error(`expected one action, got ${JSON.stringify(result)}`);
  if (effects[0] === 'EFFECT_ALLOW') return 'allow';
  if (effects[0] === 'EFFECT_DENY') return 'deny';
  throw new Error(`unexpected effect ${effects[0]}`);
}

export interface CerbosServer extends BenchServer {
  pid: number;
  /** `cerbos --version`'s first line. */
  version: string;
  check(body: CerbosCheckBody): Promise<CerbosCheckAnswer>;
}

/** The binary's version, as it reports it. */
export function cerbosVersion(): string {
  return execFileSync(CERBOS_BINARY, ['--version'], { encoding: 'utf8' }).split('\n')[0].trim();
}

/**
 * A Cerbos server on loopback, as its documentation deploys it for a policy directory: the disk
 * store over a temporary directory holding `policyFiles`, audit and telemetry off, logging
 * errors only, Go's defaults otherwise (GOMAXPROCS: every core). `close` stops the process and
 * removes the directory; a failed start does both before throwing.
 */
export async function startCerbos(policyFiles: Record<string, unknown>): Promise<CerbosServer> {
  const directory = await mkdtemp(join(tmpdir(), 'gatehouse-bench-cerbos-'));
  try {
    const policies = join(directory, 'policies');
    await mkdir(policies);
    for (const [file, contents] of Object.entries(policyFiles)) {
      await writeFile(join(policies, file), JSON.stringify(contents, null, 2));
    }
    const [httpPort, grpcPort] = [await freePort(), await freePort()];
    const baseUrl = `http://${LOOPBACK}:${httpPort}`;
    const config = join(directory, 'config.yaml');
    // JSON is YAML.
    await writeFile(
      config,
      JSON.stringify({
        server: {
          httpListenAddr: `${LOOPBACK}:${httpPort}`,
          grpcListenAddr: `${LOOPBACK}:${grpcPort}`,
        },
        storage: { driver: 'disk', disk: { directory: policies, watchForChanges: false } },
        audit: { enabled: false },
        telemetry: { disabled: true },
      }),
    );
    const version = cerbosVersion();
    const peer = await startPeerProcess({
      name: 'cerbos',
      command: CERBOS_BINARY,
      args: ['server', `--config=${config}`, '--log-level=error'],
      env: { CERBOS_NO_TELEMETRY: '1' },
      directory,
      ready: async () => (await fetch(`${baseUrl}/_cerbos/health`)).ok,
    });
    const check = async (body: CerbosCheckBody) => {
      const response = await fetch(`${baseUrl}${CERBOS_CHECK_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (response.status !== 200) {
        throw new Error(`cerbos: ${response.status} ${await response.text()}`);
      }
      return (await response.json()) as CerbosCheckAnswer;
    };
    return {
      name: `Cerbos ${version}`,
      baseUrl,
      pid: peer.pid,
      version,
      check,
      close: () => peer.stop(),
    };
  } catch (error) {
    // A peer that failed to start has stopped already; the directory may predate it.
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}
