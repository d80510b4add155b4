import type { CelMap } from '@bufbuild/cel';
import type { AuthzSubject } from './authz-request';

/**
 * A subject that many decisions share (what Gatehouse knows of a user or a client, cached for a
 * while), with its attributes already converted for conditions: each decision that reaches a
 * condition would otherwise convert the same attributes again. Made by
 * ConditionBindingsBuilder.prepare, which copies what it is given, so that nothing done later
 * to those objects changes what the conditions see; frozen, like its roles and attributes.
 */
export class PreparedSubject implements AuthzSubject {
  constructor(
    readonly type: AuthzSubject['type'],
    readonly id: string,
    readonly roles: readonly string[],
    readonly attributes: Readonly<Record<string, unknown>>,
    /** `subject` as conditions see it, or why it cannot be built (every condition then fails). */
    readonly conditionMap: CelMap | { error: string },
  ) {
    Object.freeze(this);
  }
}
