import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every table keys its rows by UUIDv7 (time-ordered, so inserts stay at the right edge of the
 * primary-key index). PostgreSQL 18 has `uuidv7()` built in; on 15–17 this installs a
 * function with the same name and RFC 9562 layout: 48-bit Unix milliseconds, version 7,
 * 74 random bits, variant 10.
 */
export class UuidV7Function1763798400000 implements MigrationInterface {
  name = 'UuidV7Function1763798400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DO $$
      BEGIN
        IF to_regprocedure('pg_catalog.uuidv7()') IS NULL THEN
          CREATE FUNCTION public.uuidv7() RETURNS uuid
          LANGUAGE sql VOLATILE PARALLEL SAFE
          AS $fn$
            SELECT encode(
              set_bit(
                set_bit(
                  overlay(
                    uuid_send(gen_random_uuid())
                    PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                    FROM 1 FOR 6
                  ),
                  52, 1
                ),
                53, 1
              ),
              'hex'
            )::uuid
          $fn$;
        END IF;
      END
      $$;
    `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP FUNCTION IF EXISTS public.uuidv7()');
  }
}
