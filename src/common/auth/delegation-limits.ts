import { Caller } from './principal';

/** What a change would let its beneficiaries do, in the engine's terms. */
export type Grantable =
  /** Permission patterns of a role, or scopes of a service client. */
  | { kind: 'permissions'; patterns: readonly string[] }
  | {
      kind: 'policy';
      effect: 'allow' | 'deny';
      actions: readonly string[];
      resources: readonly string[];
    };

/**
 * No escalation: whoever gives Gatehouse's own permissions to someone (a role's permissions, a
 * grant of that role, an allow policy on Gatehouse, a service client's scopes or a working
 * secret for one) must hold each of them. Implemented by the authorization module with its
 * engine; a class so that feature modules can inject it without importing that module.
 */
export abstract class DelegationLimits {
  /** Refuses with 403, naming the permissions the caller lacks. */
  abstract assertMayHandOut(caller: Caller, grantable: Grantable): Promise<void>;
}
