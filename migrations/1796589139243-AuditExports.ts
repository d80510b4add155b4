import { MigrationInterface, QueryRunner } from 'typeorm';

export class AuditExports1796589139243 implements MigrationInterface {
  name = 'AuditExports1796589139243';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "audit_exports" ("id" uuid NOT NULL DEFAULT uuidv7(), "requester_type" text NOT NULL, "requester_id" text NOT NULL, "format" text NOT NULL, "filter" jsonb NOT NULL, "fingerprint" text NOT NULL, "status" text NOT NULL DEFAULT \'pending\', "sealed_key" text NOT NULL, "rows" bigint, "chunks" integer, "error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "completed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "CHK_audit_exports_status" CHECK ("status" IN (\'pending\', \'ready\', \'failed\')), CONSTRAINT "CHK_audit_exports_format" CHECK ("format" IN (\'ndjson\', \'csv\')), CONSTRAINT "PK_d8a811d45efd5c3bfa6916b1275" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE UNIQUE INDEX "UQ_audit_exports_pending" ON "audit_exports"  ("requester_type", "requester_id", "fingerprint", "format") WHERE "status" = \'pending\'',
    );
    await queryRunner.query(
      'CREATE TABLE "audit_export_chunks" ("export_id" uuid NOT NULL, "index" integer NOT NULL, "data" bytea NOT NULL, CONSTRAINT "PK_d7966609eb9ad6c1d2aa0223288" PRIMARY KEY ("export_id", "index"))',
    );
    await queryRunner.query(
      'ALTER TABLE "audit_export_chunks" ADD CONSTRAINT "FK_808b61e9275503833210e28c537" FOREIGN KEY ("export_id") REFERENCES "audit_exports"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "audit_export_chunks" DROP CONSTRAINT "FK_808b61e9275503833210e28c537"',
    );
    await queryRunner.query('DROP TABLE "audit_export_chunks"');
    await queryRunner.query('DROP INDEX "public"."UQ_audit_exports_pending"');
    await queryRunner.query('DROP TABLE "audit_exports"');
  }
}
