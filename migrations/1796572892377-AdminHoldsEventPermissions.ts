import { MigrationInterface, QueryRunner } from 'typeorm';

const PERMISSIONS = ['webhooks:read', 'webhooks:write', 'events:read'];

/** The built-in `admin` role holds every Gatehouse permission: the events API's too. */
export class AdminHoldsEventPermissions1796572892377 implements MigrationInterface {
  name = 'AdminHoldsEventPermissions1796572892377';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const permission of PERMISSIONS) {
      await queryRunner.query(
        `UPDATE "roles" SET "permissions" = array_append("permissions", $1)
          WHERE "name" = 'admin' AND "built_in" AND NOT ($1 = ANY ("permissions"))`,
        [permission],
      );
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const permission of PERMISSIONS) {
      await queryRunner.query(
        `UPDATE "roles" SET "permissions" = array_remove("permissions", $1)`,
        [permission],
      );
    }
  }
}
