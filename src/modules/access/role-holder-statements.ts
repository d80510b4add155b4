import { USER_ROLE } from './built-in-roles';

/**
 * Who holds a role, as a condition other modules' queries may put in their WHERE clause (the
 * users module's search of accounts by role), so that only this module names its tables.
 */

/**
 * The SQL condition that the user whose id is the column `userId` holds the role named by
 * parameter `roleName` at the timestamptz parameter `at`: an unexpired grant, or, for the
 * implicit `user` role, an active account (`status` is the column of its status). Served by the
 * primary key of `user_roles` (user_id, role_id) and `IDX_user_roles_role`.
 */
export function holdsRole(
  columns: { userId: string; status: string },
  roleName: string,
  at: string,
): string {
  return (
    `(CASE WHEN ${roleName} = '${USER_ROLE}' THEN ${columns.status} = 'active' ` +
    `ELSE EXISTS (SELECT 1 FROM user_roles g JOIN roles r ON r.id = g.role_id ` +
    `WHERE g.user_id = ${columns.userId} AND r.name = ${roleName} ` +
    `AND (g.expires_at IS NULL OR g.expires_at > ${at})) END)`
  );
}
