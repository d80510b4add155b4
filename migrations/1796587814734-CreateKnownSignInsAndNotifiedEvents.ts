import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateKnownSignInsAndNotifiedEvents1796587814734 implements MigrationInterface {
  name = 'CreateKnownSignInsAndNotifiedEvents1796587814734';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "known_sign_ins" ("id" uuid NOT NULL DEFAULT uuidv7(), "user_id" uuid NOT NULL, "key_id" text NOT NULL, "device_hash" bytea NOT NULL, "network_hash" bytea NOT NULL, "first_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_3d7e515504a59e283f5ca5ec6c7" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_known_sign_ins_context" ON "known_sign_ins"  ("user_id", "device_hash", "network_hash") ',
    );
    await queryRunner.query(
      'CREATE TABLE "mail_notified_events" ("event_id" uuid NOT NULL, "notified_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_3735b6cc39135b35c8843c7da4d" PRIMARY KEY ("event_id"))',
    );
    await queryRunner.query(
      'ALTER TABLE "known_sign_ins" ADD CONSTRAINT "FK_75ef5f984f81739e9df16e475bc" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "known_sign_ins" DROP CONSTRAINT "FK_75ef5f984f81739e9df16e475bc"',
    );
    await queryRunner.query('DROP TABLE "mail_notified_events"');
    await queryRunner.query('DROP INDEX "public"."UQ_known_sign_ins_context"');
    await queryRunner.query('DROP TABLE "known_sign_ins"');
  }
}
