import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The shipped policy on stored offline tokens (administrators change it like any other): a
 * service acting for a user may use that user's own active offline token; narrower rules (by
 * provider, by scope) are policies of higher priority. The built-in `admin` role holds the new
 * permission. The policy-set version is left alone, as in TradingAccountPolicies.
 */
const POLICY = {
  name: 'offline-token-use',
  description: "A service acting for a user may use that user's own active offline token.",
  condition: 'resource.owner_id == subject.id && resource.status == "active"',
};

export class TokenVaultPolicies1796601400001 implements MigrationInterface {
  name = 'TokenVaultPolicies1796601400001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `INSERT INTO "policies" ("name", "description", "effect", "priority", "subjects", "actions",
                               "resources", "condition", "enabled")
       VALUES ($1, $2, 'allow', 10, '{*}', '{offline_token:use}', '{offline_token:*}', $3, true)
       ON CONFLICT ("name") DO NOTHING`,
      [POLICY.name, POLICY.description, POLICY.condition],
    );
    await queryRunner.query(
      `UPDATE "roles" SET "permissions" = array_append("permissions", $1)
        WHERE "name" = 'admin' AND "built_in" AND NOT ($1 = ANY ("permissions"))`,
      ['token_vault:use'],
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DELETE FROM "policies" WHERE "name" = $1', [POLICY.name]);
    await queryRunner.query('UPDATE "roles" SET "permissions" = array_remove("permissions", $1)', [
      'token_vault:use',
    ]);
  }
}
