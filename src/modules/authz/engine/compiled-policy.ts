import {
  type ActionPattern,
  actionPatternMatches,
  parseActionPattern,
  parseResourcePattern,
  parseSubjectPattern,
  type ResourcePattern,
  resourcePatternMatches,
  type SubjectPattern,
} from '../../../common/policy-language/authz-patterns';
import type { AuthzResource, AuthzSubject } from '../../../common/policy-language/authz-request';
import type { CompiledCondition } from '../../../common/policy-language/compiled-condition';
import type { DecisionReason } from './decision';
import { InvalidDefinitionError } from './invalid-definition-error';
import type { Effect, PolicyDefinition } from '../../../common/policy-language/policy-definition';

interface Parsed<P> {
  pattern: P;
  text: string;
}

/** A policy ready for evaluation: patterns parsed, subjects in sets, its reason built once. */
export class CompiledPolicy {
  readonly id: string;
  readonly name: string;
  readonly effect: Effect;
  readonly priority: number;
  readonly enabled: boolean;
  /** Shared by every decision this policy makes, so frozen. */
  readonly reason: DecisionReason;
  readonly subjects: readonly Parsed<SubjectPattern>[];
  readonly actions: readonly Parsed<ActionPattern>[];
  readonly resources: readonly Parsed<ResourcePattern>[];
  private readonly anyone: boolean;
  private readonly users = new Set<string>();
  private readonly clients = new Set<string>();
  private readonly roles = new Set<string>();

  /**
   * @param rank position in the set's evaluation order (priority descending, deny before allow,
   *   then name and id), which merging candidate lists relies on
   */
  constructor(
    definition: PolicyDefinition,
    readonly rank: number,
    readonly condition: CompiledCondition | null,
  ) {
    const invalid = (field: string, reason: string) =>
      new InvalidDefinitionError(
        { kind: 'policy', id: definition.id, name: definition.name },
        field,
        reason,
      );
    if (definition.effect !== 'allow' && definition.effect !== 'deny') {
      throw invalid('effect', 'must be "allow" or "deny"');
    }
    if (!Number.isSafeInteger(definition.priority)) {
      throw invalid('priority', 'must be a whole number');
    }
    this.id = definition.id;
    this.name = definition.name;
    this.effect = definition.effect;
    this.priority = definition.priority;
    this.enabled = definition.enabled;
    this.reason = Object.freeze({
      kind: 'policy',
      policy_id: this.id,
      policy_name: this.name,
      effect: this.effect,
      priority: this.priority,
    });
    const parseAll = <P>(field: string, texts: string[], parse: (text: string) => P | string) => {
      if (texts.length === 0) throw invalid(field, 'must list at least one pattern');
      return texts.map((text): Parsed<P> => {
        const pattern = parse(text);
        if (typeof pattern === 'string') throw invalid(field, pattern);
        return { pattern, text };
      });
    };
    this.subjects = parseAll('subjects', definition.subjects, parseSubjectPattern);
    this.actions = parseAll('actions', definition.actions, parseActionPattern);
    this.resources = parseAll('resources', definition.resources, parseResourcePattern);
    this.anyone = this.subjects.some(({ pattern }) => pattern.kind === 'anyone');
    for (const { pattern } of this.subjects) {
      if (pattern.kind === 'user') this.users.add(pattern.id);
      else if (pattern.kind === 'client') this.clients.add(pattern.id);
      else if (pattern.kind === 'role') this.roles.add(pattern.role);
    }
  }

  /** The hot path: no allocation, a set lookup per subject role at most. */
  matchesSubject(subject: AuthzSubject): boolean {
    if (this.anyone) return true;
    const ids =
      subject.type === 'user' ? this.users : subject.type === 'service' ? this.clients : null;
    if (ids !== null && ids.has(subject.id)) return true;
    if (this.roles.size === 0) return false;
    for (const role of subject.roles) {
      if (this.roles.has(role)) return true;
    }
    return false;
  }

  /** The first subject pattern matching `subject`, for a trace. */
  subjectMatch(subject: AuthzSubject): string | null {
    return (
      this.subjects.find(({ pattern }) => subjectPatternMatches(pattern, subject))?.text ?? null
    );
  }

  actionMatch(action: string): string | null {
    return this.actions.find(({ pattern }) => actionPatternMatches(pattern, action))?.text ?? null;
  }

  /** Whether a resource pattern other than `*` names this type, with `type:*` or `type:<id>`. */
  namesResourceType(type: string): boolean {
    return this.resources.some(({ pattern }) => pattern.kind !== 'any' && pattern.type === type);
  }

  resourceMatch(resource: AuthzResource): string | null {
    return (
      this.resources.find(({ pattern }) => resourcePatternMatches(pattern, resource))?.text ?? null
    );
  }
}

function subjectPatternMatches(pattern: SubjectPattern, subject: AuthzSubject): boolean {
  switch (pattern.kind) {
    case 'anyone':
      return true;
    case 'role':
      return subject.roles.includes(pattern.role);
    case 'user':
      return subject.type === 'user' && subject.id === pattern.id;
    case 'client':
      return subject.type === 'service' && subject.id === pattern.id;
  }
}
