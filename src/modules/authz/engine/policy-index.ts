import type { CompiledPolicy } from './compiled-policy';

/**
 * The policies that can apply to one action, by the resource they name. For a resource of type
 * T with id I the candidates are `exact[T][I]`, `byType[T]` and `any`: three lists in rank
 * order, which no policy is in twice (a policy naming both `T:I` and `T:*` is filed under `T:*`
 * only), so that evaluation merges them without checking for repeats.
 */
export interface ResourceCandidates {
  readonly exact: ReadonlyMap<string, ReadonlyMap<string, readonly CompiledPolicy[]>>;
  readonly byType: ReadonlyMap<string, readonly CompiledPolicy[]>;
  readonly any: readonly CompiledPolicy[];
}

/**
 * Enabled policies by action, then by resource, so that a decision looks only at the policies
 * whose action and resource patterns both cover the request. Each action a policy names exactly,
 * and each action type it covers with `type:*`, gets candidates merged from its own policies,
 * its type's and those covering every action (`*`); any other action falls back to its type's
 * or to the `*` ones. A policy appears once per action it covers, never per resource requested.
 */
export class PolicyIndex {
  private readonly byAction = new Map<string, ResourceCandidates>();
  private readonly byActionType = new Map<string, ResourceCandidates>();
  private readonly anyAction: ResourceCandidates;

  /** @param policies enabled policies, in rank order */
  constructor(policies: readonly CompiledPolicy[]) {
    const exactActions = new Map<string, CompiledPolicy[]>();
    const actionTypes = new Map<string, CompiledPolicy[]>();
    const everyAction: CompiledPolicy[] = [];
    for (const policy of policies) {
      const patterns = policy.actions.map(({ pattern }) => pattern);
      if (patterns.some((pattern) => pattern.kind === 'any')) {
        everyAction.push(policy);
        continue;
      }
      const types = new Set(patterns.flatMap((p) => (p.kind === 'type' ? [p.type] : [])));
      for (const type of types) pushTo(actionTypes, type, policy);
      for (const pattern of patterns) {
        if (pattern.kind === 'exact' && !types.has(typeOfAction(pattern.action) ?? '')) {
          pushTo(exactActions, pattern.action, policy);
        }
      }
    }
    this.anyAction = candidatesByResource(everyAction);
    for (const [type, typed] of actionTypes) {
      this.byActionType.set(type, candidatesByResource(inRankOrder(typed, everyAction)));
    }
    for (const [action, exact] of exactActions) {
      const typed = actionTypes.get(typeOfAction(action) ?? '') ?? [];
      this.byAction.set(action, candidatesByResource(inRankOrder(exact, typed, everyAction)));
    }
  }

  candidatesFor(action: string): ResourceCandidates {
    const exact = this.byAction.get(action);
    if (exact !== undefined) return exact;
    const type = typeOfAction(action);
    return (type === null ? undefined : this.byActionType.get(type)) ?? this.anyAction;
  }
}

function typeOfAction(action: string): string | null {
  const colon = action.indexOf(':');
  return colon === -1 ? null : action.slice(0, colon);
}

function inRankOrder(...lists: CompiledPolicy[][]): CompiledPolicy[] {
  return lists.flat().sort((a, b) => a.rank - b.rank);
}

function candidatesByResource(policies: readonly CompiledPolicy[]): ResourceCandidates {
  const exact = new Map<string, Map<string, CompiledPolicy[]>>();
  const byType = new Map<string, CompiledPolicy[]>();
  const any: CompiledPolicy[] = [];
  for (const policy of policies) {
    const patterns = policy.resources.map(({ pattern }) => pattern);
    if (patterns.some((pattern) => pattern.kind === 'any')) {
      any.push(policy);
      continue;
    }
    const types = new Set(patterns.flatMap((p) => (p.kind === 'type' ? [p.type] : [])));
    for (const type of types) pushTo(byType, type, policy);
    for (const pattern of patterns) {
      if (pattern.kind !== 'exact' || types.has(pattern.type)) continue;
      let ids = exact.get(pattern.type);
      if (ids === undefined) {
        ids = new Map<string, CompiledPolicy[]>();
        exact.set(pattern.type, ids);
      }
      pushTo(ids, pattern.id, policy);
    }
  }
  return { exact, byType, any };
}

/** Appends unless the list already ends with the policy (it names the same pattern twice). */
function pushTo(map: Map<string, CompiledPolicy[]>, key: string, policy: CompiledPolicy): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [policy]);
  else if (list[list.length - 1] !== policy) list.push(policy);
}
