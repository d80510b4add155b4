/**
 * Who is linked to a provider, as a condition other modules' queries may put in their WHERE
 * clause (the users module's search of accounts by identity provider), so that only this module
 * names its tables.
 */

/**
 * The SQL condition that the user whose id is the column `userId` has an identity at the
 * provider whose slug or id (as text) is the parameter `provider`. Served by
 * `IDX_linked_identities_user` and the providers' primary key and slug index.
 */
export function linkedToProvider(userId: string, provider: string): string {
  return (
    `EXISTS (SELECT 1 FROM linked_identities li JOIN identity_providers p ` +
    `ON p.id = li.provider_id WHERE li.user_id = ${userId} ` +
    `AND (p.slug = ${provider} OR p.id::text = ${provider}))`
  );
}
