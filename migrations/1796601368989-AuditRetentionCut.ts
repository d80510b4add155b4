import { MigrationInterface, QueryRunner } from 'typeorm';

/** Retention of the audit log: which signed checkpoint the kept chain starts after. */
export class AuditRetentionCut1796601368989 implements MigrationInterface {
  name = 'AuditRetentionCut1796601368989';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "audit_checkpoints" ADD "retention_cut_at" TIMESTAMP WITH TIME ZONE',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "audit_checkpoints" DROP COLUMN "retention_cut_at"');
  }
}
