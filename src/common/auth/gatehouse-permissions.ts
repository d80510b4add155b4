/**
 * The permissions Gatehouse's own endpoints require (`@RequirePermission`), which the
 * built-in `admin` role always holds and service clients may carry as scopes. Adding one
 * here needs a migration that appends it to the `admin` role of existing databases.
 */
export const GATEHOUSE_PERMISSIONS = [
  'users:read',
  'users:write',
  'users:reset_mfa',
  'roles:read',
  'roles:write',
  'policies:read',
  'policies:write',
  'clients:read',
  'clients:write',
  'audit:read',
  'authz:check',
] as const;

export type GatehousePermission = (typeof GATEHOUSE_PERMISSIONS)[number];
