/**
 * The permissions Gatehouse's own endpoints require (`@RequirePermission`), which the
 * built-in `admin` role always holds and service clients may carry as scopes. Adding one
 * here needs a migration that appends it to the `admin` role of existing databases; the list
 * is in the order the migrations append them.
 */
export const GATEHOUSE_PERMISSIONS = [
  'users:read',
  'users:write',
  'roles:read',
  'roles:write',
  'policies:read',
  'policies:write',
  'clients:read',
  'clients:write',
  'audit:read',
  'authz:check',
  'users:reset_mfa',
  'webhooks:read',
  'webhooks:write',
  'events:read',
  'audit:verify',
  'audit:export',
  'users:invite',
  'users:update',
  'users:suspend',
  'users:reset_password',
  'users:revoke_sessions',
  'trading_accounts:credentials',
  'users:export',
  'users:delete',
  'identity_providers:read',
  'identity_providers:write',
  'scim:provision',
  'scim:provision_all',
  'token_vault:use',
  'hr_sources:read',
  'hr_sources:write',
  'hr_employees:read',
] as const;

export type GatehousePermission = (typeof GATEHOUSE_PERMISSIONS)[number];
