import type { AuthzRequest } from './authz-request';
import { type ConditionBindings, ConditionBindingsBuilder } from './condition-bindings';

/**
 * What the conditions of one decision evaluate, prepared only as far as they need: the direct
 * path reads the request itself once its attributes are known to be acceptable; the
 * interpreter's bindings are built, once, only for a condition the direct path leaves to it.
 */
export class ConditionInput {
  private accepted: boolean | undefined;
  private built: ConditionBindings | { error: string } | undefined;

  constructor(readonly request: AuthzRequest) {}

  /** Whether the bindings can be built; when they cannot, every condition fails with why. */
  get acceptable(): boolean {
    return (this.accepted ??= ConditionBindingsBuilder.accepts(this.request));
  }

  get bindings(): ConditionBindings | { error: string } {
    return (this.built ??= ConditionBindingsBuilder.build(this.request));
  }
}
