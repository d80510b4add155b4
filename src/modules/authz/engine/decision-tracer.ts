import type { AuthzRequest } from '../../../common/policy-language/authz-request';
import { ConditionInput } from '../../../common/policy-language/condition-input';
import type { CompiledPolicy } from './compiled-policy';
import type { ConditionTrace, Decision, TraceEntry, TraceOutcome } from './decision';
import type { RolePermissions } from './role-permissions';

/**
 * Builds the `explain` trace of a decision already made. It walks every policy rather than the
 * index, so that a policy which almost applied (the right action on another resource type, a
 * subject pattern with a typo, a disabled policy) shows up with what did and did not match.
 * Conditions are evaluated for every policy that matches, including those the decision never
 * needed to reach.
 */
export class DecisionTracer {
  /** @param policies every policy of the set, disabled ones included, in rank order */
  constructor(
    private readonly policies: readonly CompiledPolicy[],
    private readonly roles: RolePermissions,
  ) {}

  trace(request: AuthzRequest, decision: Decision): TraceEntry[] {
    const entries: TraceEntry[] = [];
    let conditionInput: ConditionInput | undefined;
    const decided = (reason: object) => (decision.reasons as object[]).includes(reason);
    let rolesTraced = false;
    for (const policy of this.policies) {
      // Role permissions rank as allows at priority 0, after the policies of that priority.
      if (!rolesTraced && policy.priority < 0) {
        entries.push(...this.rolePermissionEntries(request, decided));
        rolesTraced = true;
      }
      const action = policy.actionMatch(request.action);
      if (action === null && !policy.namesResourceType(request.resource.type)) continue;
      const match = {
        subject: policy.subjectMatch(request.subject),
        action,
        resource: policy.resourceMatch(request.resource),
      };
      const matched = match.subject !== null && match.action !== null && match.resource !== null;
      let condition: ConditionTrace | null = null;
      let outcome: TraceOutcome;
      if (!policy.enabled) outcome = 'disabled';
      else if (!matched) outcome = 'not_matched';
      else outcome = decided(policy.reason) ? 'decided' : 'overridden';
      if (policy.condition !== null) {
        const source = policy.condition.source;
        condition = { source, result: 'skipped' };
        if (policy.enabled && matched) {
          const result = policy.condition.evaluate(
            (conditionInput ??= new ConditionInput(request)),
          );
          if (typeof result === 'object') {
            condition = { source, result: 'error', error: result.error };
            outcome = 'condition_error';
          } else {
            condition = { source, result: result ? 'true' : 'false' };
            if (!result) outcome = 'condition_false';
          }
        }
      }
      entries.push({
        kind: 'policy',
        policy_id: policy.id,
        policy_name: policy.name,
        effect: policy.effect,
        priority: policy.priority,
        enabled: policy.enabled,
        match,
        condition,
        outcome,
      });
    }
    if (!rolesTraced) entries.push(...this.rolePermissionEntries(request, decided));
    return entries;
  }

  /** Permissions of any role that cover the action: a role the subject lacks did not match. */
  private rolePermissionEntries(
    request: AuthzRequest,
    decided: (reason: object) => boolean,
  ): TraceEntry[] {
    return this.roles.covering(request.action).map(({ role, permission, reason }) => {
      const held = request.subject.roles.includes(role);
      return {
        kind: 'role_permission',
        role,
        permission,
        effect: 'allow',
        priority: 0,
        match: { subject: held ? `role:${role}` : null, action: permission, resource: '*' },
        outcome: !held ? 'not_matched' : decided(reason) ? 'decided' : 'overridden',
      };
    });
  }
}
