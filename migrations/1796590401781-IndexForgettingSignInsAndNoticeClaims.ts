import { MigrationInterface, QueryRunner } from 'typeorm';

export class IndexForgettingSignInsAndNoticeClaims1796590401781 implements MigrationInterface {
  name = 'IndexForgettingSignInsAndNoticeClaims1796590401781';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE INDEX "IDX_known_sign_ins_last_seen_at" ON "known_sign_ins"  ("last_seen_at") ',
    );
    await queryRunner.query(
      'CREATE INDEX "IDX_mail_notified_events_notified_at" ON "mail_notified_events"  ("notified_at") ',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."IDX_mail_notified_events_notified_at"');
    await queryRunner.query('DROP INDEX "public"."IDX_known_sign_ins_last_seen_at"');
  }
}
