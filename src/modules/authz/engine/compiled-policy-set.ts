import type { AuthzRequest } from '../../../common/policy-language/authz-request';
import { ConditionInput } from '../../../common/policy-language/condition-input';
import { CompiledCondition } from '../../../common/policy-language/compiled-condition';
import { CompiledPolicy } from './compiled-policy';
import { ConditionSyntaxError } from '../../../common/policy-language/condition-syntax-error';
import type { ConditionDiagnostic, Decision, DecisionReason } from './decision';
import { DecisionTracer } from './decision-tracer';
import type {
  Effect,
  PolicyDefinition,
  RoleDefinition,
} from '../../../common/policy-language/policy-definition';
import { PolicyIndex } from './policy-index';
import { byCodeUnits, RolePermissions } from './role-permissions';

const DEFAULT_DENY: DecisionReason = Object.freeze({ kind: 'default_deny' });
const NONE: readonly CompiledPolicy[] = [];

/**
 * Evaluation order, which is also the order of reasons and traces: higher priority first, deny
 * before allow at the same priority, then by name and id so that ties come out alike everywhere.
 */
function evaluationOrder(a: PolicyDefinition, b: PolicyDefinition): number {
  if (a.priority !== b.priority) return b.priority > a.priority ? 1 : -1;
  if (a.effect !== b.effect) return a.effect === 'deny' ? -1 : 1;
  return byCodeUnits(a.name, b.name) || byCodeUnits(a.id, b.id);
}

/**
 * One version of the policies and roles, compiled for decisions that never touch the database.
 *
 * Semantics: default deny; among the policies and role permissions that match, the highest
 * priority decides, and at equal priority deny wins over allow. Role permissions are allows at
 * priority 0 on any resource. Disabled policies never match. A condition that fails to evaluate
 * makes its policy not apply and is reported in `diagnostics`; it can never produce an allow.
 * `reasons` lists everything that matched at the deciding priority with the deciding effect.
 *
 * Immutable once compiled: a reload compiles a new set and swaps it in.
 */
export class CompiledPolicySet {
  private constructor(
    readonly version: number,
    private readonly index: PolicyIndex,
    private readonly roles: RolePermissions,
    private readonly tracer: DecisionTracer,
    private readonly conditions: ReadonlyMap<string, CompiledCondition>,
  ) {}

  /**
   * Throws ConditionSyntaxError naming the policy whose condition does not compile, or
   * InvalidDefinitionError for a pattern, effect or priority that breaks the grammar.
   *
   * @param previous the set this one replaces: conditions whose source has not changed are
   *   reused rather than parsed again, which keeps a reload after one change cheap (parsing
   *   costs about half a millisecond per condition)
   */
  static compile(
    version: number,
    policies: readonly PolicyDefinition[],
    roles: readonly RoleDefinition[],
    previous?: CompiledPolicySet,
  ): CompiledPolicySet {
    const conditions = new Map<string, CompiledCondition>();
    const compiled = [...policies].sort(evaluationOrder).map((definition, rank) => {
      const source = definition.condition;
      if (source === null) return new CompiledPolicy(definition, rank, null);
      let condition = conditions.get(source) ?? previous?.conditions.get(source);
      if (condition === undefined) {
        try {
          condition = CompiledCondition.compile(source);
        } catch (error) {
          throw error instanceof ConditionSyntaxError ? error.inPolicy(definition) : error;
        }
      }
      conditions.set(source, condition);
      return new CompiledPolicy(definition, rank, condition);
    });
    const rolePermissions = new RolePermissions(roles);
    return new CompiledPolicySet(
      version,
      new PolicyIndex(compiled.filter((policy) => policy.enabled)),
      rolePermissions,
      new DecisionTracer(compiled, rolePermissions),
      conditions,
    );
  }

  evaluate(request: AuthzRequest, options?: { explain?: boolean }): Decision {
    const decision = this.decide(request);
    if (options?.explain) decision.trace = this.tracer.trace(request, decision);
    return decision;
  }

  /** Effective role permissions for a set of role names (for GET /users/me/permissions). */
  permissionsOf(roles: string[]): string[] {
    return this.roles.permissionsOf(roles);
  }

  /**
   * Walks the candidates in rank order, merged from the index's three lists for the resource,
   * and stops once nothing further can change the outcome: at a lower priority, or at an allow
   * after a deny decided at the same priority. Allocates only the decision, unless a condition
   * is reached (its input, and the interpreter's bindings when the direct path leaves it to the
   * interpreter) or fails.
   */
  private decide(request: AuthzRequest): Decision {
    const { subject, action, resource } = request;
    const candidates = this.index.candidatesFor(action);
    const exact =
      resource.id === undefined
        ? NONE
        : (candidates.exact.get(resource.type)?.get(resource.id) ?? NONE);
    const byType = candidates.byType.get(resource.type) ?? NONE;
    const any = candidates.any;
    let e = 0;
    let t = 0;
    let a = 0;
    let decided = false;
    let decidingPriority = 0;
    let decidingEffect: Effect = 'deny';
    let reasons: DecisionReason[] | null = null;
    let diagnostics: ConditionDiagnostic[] | null = null;
    let conditionInput: ConditionInput | undefined;
    let rolesConsidered = false;
    for (;;) {
      let policy = exact[e];
      let from = 0;
      const fromType = byType[t];
      if (fromType !== undefined && (policy === undefined || fromType.rank < policy.rank)) {
        policy = fromType;
        from = 1;
      }
      const fromAny = any[a];
      if (fromAny !== undefined && (policy === undefined || fromAny.rank < policy.rank)) {
        policy = fromAny;
        from = 2;
      }
      // Role permissions are allows at priority 0: they rank after the policies of priority 0.
      if (!rolesConsidered && (policy === undefined || policy.priority < 0)) {
        rolesConsidered = true;
        if (!decided || (decidingPriority === 0 && decidingEffect === 'allow')) {
          const granted = this.roles.granting(subject.roles, action);
          if (granted !== null) {
            if (reasons === null) reasons = granted;
            else reasons.push(...granted);
            decided = true;
            decidingPriority = 0;
            decidingEffect = 'allow';
          }
        }
      }
      if (policy === undefined) break;
      if (decided && (policy.priority < decidingPriority || policy.effect !== decidingEffect)) {
        break;
      }
      if (from === 0) e++;
      else if (from === 1) t++;
      else a++;
      if (!policy.matchesSubject(subject)) continue;
      if (policy.condition !== null) {
        const result = policy.condition.evaluate((conditionInput ??= new ConditionInput(request)));
        if (result !== true) {
          if (result !== false) {
            (diagnostics ??= []).push({
              policy_id: policy.id,
              policy_name: policy.name,
              error: result.error,
            });
          }
          continue;
        }
      }
      if (!decided) {
        decided = true;
        decidingPriority = policy.priority;
        decidingEffect = policy.effect;
      }
      (reasons ??= []).push(policy.reason);
    }
    if (!decided || reasons === null) {
      return {
        allowed: false,
        decision: 'deny',
        reasons: [DEFAULT_DENY],
        diagnostics: diagnostics ?? [],
      };
    }
    return {
      allowed: decidingEffect === 'allow',
      decision: decidingEffect,
      reasons,
      diagnostics: diagnostics ?? [],
    };
  }
}
