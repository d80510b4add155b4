import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes the retention job's purges walk, one per kind, in the order rows stopped being of use:
 * sessions by when they ended (revoked, idle or absolute expiry: LEAST skips a null revoked_at),
 * email tokens and MFA challenges by when they were spent (used or expired), webhook delivery
 * attempts by when they were made. The outbox already has its index on occurred_at.
 */
export class IndexRowsPastRetention1796588870470 implements MigrationInterface {
  name = 'IndexRowsPastRetention1796588870470';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE INDEX "IDX_sessions_ended_at" ON "sessions" ((LEAST("revoked_at", "idle_expires_at", "absolute_expires_at")))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_email_tokens_spent_at" ON "email_tokens" ((LEAST("consumed_at", "expires_at")))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_mfa_challenges_spent_at" ON "mfa_challenges" ((LEAST("consumed_at", "expires_at")))',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_webhook_deliveries_attempted_at" ON "webhook_deliveries" ("attempted_at") ',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."IDX_webhook_deliveries_attempted_at"');
    await queryRunner.query('DROP INDEX "public"."IDX_mfa_challenges_spent_at"');
    await queryRunner.query('DROP INDEX "public"."IDX_email_tokens_spent_at"');
    await queryRunner.query('DROP INDEX "public"."IDX_sessions_ended_at"');
  }
}
