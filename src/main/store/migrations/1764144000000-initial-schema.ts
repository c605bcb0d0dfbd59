/**
 * The library's first schema. Kept in step with `entities.ts` by a test that asks TypeORM for
 * the difference between the two after migrating (it must be empty).
 */
import type { MigrationInterface, QueryRunner } from 'typeorm'

export class InitialSchema1764144000000 implements MigrationInterface {
  name = 'InitialSchema1764144000000'

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "sessions" (
        "key" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
        "id" text NOT NULL,
        "name" text NOT NULL,
        "note" text NOT NULL DEFAULT (''),
        "started_at" integer NOT NULL,
        "ended_at" integer,
        "updated_at" integer NOT NULL,
        "status" text NOT NULL,
        "app_names" text NOT NULL DEFAULT ('[]'),
        "query_count" integer NOT NULL DEFAULT (0),
        "failed_count" integer NOT NULL DEFAULT (0),
        "total_query_ms" real NOT NULL DEFAULT (0),
        "bytes" integer NOT NULL DEFAULT (0),
        "not_persisted" integer NOT NULL DEFAULT (0),
        "findings_count" integer NOT NULL DEFAULT (0),
        "health" text,
        "settings" text NOT NULL DEFAULT ('{}'),
        "recorder_pid" integer
      )`,
    )
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_sessions_id" ON "sessions" ("id")`)
    await queryRunner.query(`CREATE INDEX "IDX_sessions_started_at" ON "sessions" ("started_at")`)
    await queryRunner.query(
      `CREATE TABLE "session_apps" (
        "session_key" integer NOT NULL,
        "app_id" text NOT NULL,
        "name" text NOT NULL,
        "runtime" text,
        "orm" text,
        "agent" text,
        "db_system" text,
        "pid" integer,
        "host" text,
        "connected_at" integer NOT NULL,
        "disconnected_at" integer,
        "received" integer NOT NULL,
        "dropped_by_agent" integer NOT NULL,
        PRIMARY KEY ("session_key", "app_id")
      ) WITHOUT ROWID`,
    )
    await queryRunner.query(
      `CREATE TABLE "statements" (
        "session_key" integer NOT NULL,
        "id" integer NOT NULL,
        "sql" text NOT NULL,
        PRIMARY KEY ("session_key", "id")
      ) WITHOUT ROWID`,
    )
    await queryRunner.query(
      `CREATE TABLE "stacks" (
        "session_key" integer NOT NULL,
        "id" integer NOT NULL,
        "frames" text NOT NULL,
        PRIMARY KEY ("session_key", "id")
      ) WITHOUT ROWID`,
    )
    await queryRunner.query(
      `CREATE TABLE "queries" (
        "session_key" integer NOT NULL,
        "id" integer NOT NULL,
        "app_id" text NOT NULL,
        "statement_id" integer NOT NULL,
        "params" text,
        "start_time" real NOT NULL,
        "duration_ms" real NOT NULL,
        "rows" integer,
        "error_type" text,
        "error_message" text,
        "connection_id" text,
        "context_id" text,
        "context_name" text,
        "stack_id" integer,
        PRIMARY KEY ("session_key", "id")
      ) WITHOUT ROWID`,
    )
    await queryRunner.query(
      `CREATE TABLE "store_settings" ("key" text PRIMARY KEY NOT NULL, "value" text NOT NULL)`,
    )
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['store_settings', 'queries', 'stacks', 'statements', 'session_apps']) {
      await queryRunner.query(`DROP TABLE "${table}"`)
    }
    await queryRunner.query(`DROP INDEX "IDX_sessions_started_at"`)
    await queryRunner.query(`DROP INDEX "IDX_sessions_id"`)
    await queryRunner.query(`DROP TABLE "sessions"`)
  }
}
