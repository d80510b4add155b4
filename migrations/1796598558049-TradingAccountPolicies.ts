import { MigrationInterface, QueryRunner } from 'typeorm';

const OWNER_OR_MEMBER = 'resource.owner_id == subject.id || resource.member_role != null';

/**
 * The shipped policies on trading accounts (administrators change them like any other): owners
 * and members with `trader` or `manager` may trade on active accounts, every member may read,
 * and nobody trades on an account that is not active (a deny at a higher priority). The
 * built-in `admin` role holds the new permission for broker sessions. The policy-set version is
 * left alone: migrations run before the code that reads these policies starts, and loads them.
 */
const POLICIES = [
  {
    name: 'trading-account-trade',
    description: 'Owners, traders and managers may trade on an active trading account.',
    effect: 'allow',
    priority: 10,
    actions: ['trading_account:trade'],
    condition:
      'resource.status == "active" && (resource.owner_id == subject.id || ' +
      'resource.member_role == "trader" || resource.member_role == "manager")',
  },
  {
    name: 'trading-account-read',
    description: 'Owners and every member (viewers too) may read a trading account.',
    effect: 'allow',
    priority: 10,
    actions: ['trading_account:read'],
    condition: OWNER_OR_MEMBER,
  },
  {
    name: 'trading-account-inactive-no-trade',
    description: 'Nobody trades on a trading account whose broker session is not active.',
    effect: 'deny',
    priority: 20,
    actions: ['trading_account:trade'],
    condition: 'resource.status != "active"',
  },
];

export class TradingAccountPolicies1796598558049 implements MigrationInterface {
  name = 'TradingAccountPolicies1796598558049';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const policy of POLICIES) {
      await queryRunner.query(
        `INSERT INTO "policies" ("name", "description", "effect", "priority", "subjects", "actions",
                                 "resources", "condition", "enabled")
         VALUES ($1, $2, $3, $4, '{*}', $5, '{trading_account:*}', $6, true)
         ON CONFLICT ("name") DO NOTHING`,
        [
          policy.name,
          policy.description,
          policy.effect,
          policy.priority,
          policy.actions,
          policy.condition,
        ],
      );
    }
    await queryRunner.query(
      `UPDATE "roles" SET "permissions" = array_append("permissions", $1)
        WHERE "name" = 'admin' AND "built_in" AND NOT ($1 = ANY ("permissions"))`,
      ['trading_accounts:credentials'],
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DELETE FROM "policies" WHERE "name" = ANY ($1)', [
      POLICIES.map((policy) => policy.name),
    ]);
    await queryRunner.query('UPDATE "roles" SET "permissions" = array_remove("permissions", $1)', [
      'trading_accounts:credentials',
    ]);
  }
}
