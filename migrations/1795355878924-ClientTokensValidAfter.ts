import { MigrationInterface, QueryRunner } from 'typeorm';

export class ClientTokensValidAfter1795355878924 implements MigrationInterface {
  name = 'ClientTokensValidAfter1795355878924';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "oauth_clients" ADD "tokens_valid_after" TIMESTAMP WITH TIME ZONE',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "oauth_clients" DROP COLUMN "tokens_valid_after"');
  }
}
