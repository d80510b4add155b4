/*
 * The policy language: what policies and role permissions are written in (the pattern grammar,
 * CEL conditions, the request they are evaluated against) and what they mean for one request.
 * It imports nothing of Gatehouse, so that the access module validates what is saved with it and
 * the authz module's engine decides with it, neither through the other (lint keeps it so).
 */

export type Effect = 'allow' | 'deny';

/** A policy as stored and edited; the engine compiles a set of them into a CompiledPolicySet. */
export interface PolicyDefinition {
  id: string;
  name: string;
  effect: Effect;
  /** Any safe integer; role permissions count as priority 0. */
  priority: number;
  /** `role:<name>`, `user:<id>`, `client:<client_id>` or `*` (anyone). */
  subjects: string[];
  /** `<type>:<verb>`, `<type>:*` or `*`. */
  actions: string[];
  /** `<type>:<id>`, `<type>:*` or `*`. */
  resources: string[];
  /** A CEL expression over `subject`, `resource`, `action` and `context`, or null for none. */
  condition: string | null;
  enabled: boolean;
}

export interface RoleDefinition {
  name: string;
  /** Action patterns (`users:read`, `users:*`, `*`) the role allows on any resource. */
  permissions: string[];
}
