import { MigrationInterface, QueryRunner } from 'typeorm';

const PERMISSIONS = ['audit:verify', 'audit:export'];

/** The built-in `admin` role holds every Gatehouse permission: the audit log's new ones too. */
export class AdminHoldsAuditPermissions1796587770888 implements MigrationInterface {
  name = 'AdminHoldsAuditPermissions1796587770888';

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
