import { MigrationInterface, QueryRunner } from 'typeorm';

export class OfflineTokenLeases1796611595973 implements MigrationInterface {
  name = 'OfflineTokenLeases1796611595973';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "offline_tokens" ADD "lease_id" uuid');
    await queryRunner.query(
      'ALTER TABLE "offline_tokens" ADD "lease_until" TIMESTAMP WITH TIME ZONE',
    );
    await queryRunner.query(
      'ALTER TABLE "offline_tokens" ADD "lease_waited" boolean NOT NULL DEFAULT false',
    );
    await queryRunner.query('ALTER TABLE "offline_tokens" ADD "access_token_sealed" text');
    await queryRunner.query(
      'ALTER TABLE "offline_tokens" ADD "access_token_until" TIMESTAMP WITH TIME ZONE',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "offline_tokens" DROP COLUMN "access_token_until"');
    await queryRunner.query('ALTER TABLE "offline_tokens" DROP COLUMN "access_token_sealed"');
    await queryRunner.query('ALTER TABLE "offline_tokens" DROP COLUMN "lease_waited"');
    await queryRunner.query('ALTER TABLE "offline_tokens" DROP COLUMN "lease_until"');
    await queryRunner.query('ALTER TABLE "offline_tokens" DROP COLUMN "lease_id"');
  }
}
