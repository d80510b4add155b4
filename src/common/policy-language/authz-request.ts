/** Who asks. Gatehouse loads `roles` and known attributes itself; callers cannot supply roles. */
export interface AuthzSubject {
  /** `user` subjects match `user:<id>` patterns, `service` subjects (OAuth clients) `client:<id>`. */
  type: 'user' | 'service';
  id: string;
  roles: readonly string[];
  /** Visible to conditions as `subject.<name>`; `id`, `type` and `roles` cannot be overridden. */
  attributes: Record<string, unknown>;
}

export interface AuthzResource {
  type: string;
  /** Absent for a question about the type as a whole (only `<type>:*` and `*` patterns match). */
  id?: string;
  /** Visible to conditions as `resource.<name>`; `type` and `id` cannot be overridden. */
  attributes?: Record<string, unknown>;
}

export interface AuthzRequest {
  subject: AuthzSubject;
  /** `<type>:<verb>`, such as `trading_account:trade`. */
  action: string;
  resource: AuthzResource;
  /** Visible to conditions as `context`; an empty map when absent. */
  context?: Record<string, unknown>;
}
