import type { Effect } from '../../../common/policy-language/policy-definition';

/** What decided: the policies or role permissions at the deciding priority, or the default. */
export type DecisionReason =
  | { kind: 'policy'; policy_id: string; policy_name: string; effect: Effect; priority: number }
  | { kind: 'role_permission'; role: string; permission: string; effect: 'allow'; priority: 0 }
  | { kind: 'default_deny' };

/** A condition that failed to evaluate, so its policy did not apply. */
export interface ConditionDiagnostic {
  policy_id: string;
  policy_name: string;
  error: string;
}

/**
 * The pattern that matched the request, per part of it, or null when none did. A role
 * permission matches the subject through its role and any resource.
 */
export interface TraceMatch {
  subject: string | null;
  action: string | null;
  resource: string | null;
}

/** A condition's result; `skipped` when the policy did not match or is disabled. */
export type ConditionTrace =
  | { source: string; result: 'true' | 'false' | 'skipped' }
  | { source: string; result: 'error'; error: string };

/**
 * - `decided`: applied, and is among the reasons
 * - `overridden`: applied, but a higher priority, or a deny at the same priority, decided
 * - `not_matched`: the subject, action or resource did not match (see `match`)
 * - `condition_false`, `condition_error`: matched, but the condition did not hold
 * - `disabled`: the policy is disabled and never applies
 */
export type TraceOutcome =
  'decided' | 'overridden' | 'not_matched' | 'condition_false' | 'condition_error' | 'disabled';

/**
 * One candidate of an explained decision. The trace lists, in evaluation order (priority, deny
 * before allow, name), every policy and role permission whose action patterns cover the
 * request's action, and every policy naming the request's resource type in its resources.
 */
export type TraceEntry =
  | {
      kind: 'policy';
      policy_id: string;
      policy_name: string;
      effect: Effect;
      priority: number;
      enabled: boolean;
      match: TraceMatch;
      condition: ConditionTrace | null;
      outcome: TraceOutcome;
    }
  | {
      kind: 'role_permission';
      role: string;
      permission: string;
      effect: 'allow';
      priority: 0;
      match: TraceMatch;
      outcome: 'decided' | 'overridden' | 'not_matched';
    };

export interface Decision {
  allowed: boolean;
  decision: Effect;
  reasons: DecisionReason[];
  /** Conditions evaluated for this decision that failed; with `explain`, the trace has them all. */
  diagnostics: ConditionDiagnostic[];
  /** Only with `explain`. */
  trace?: TraceEntry[];
}
