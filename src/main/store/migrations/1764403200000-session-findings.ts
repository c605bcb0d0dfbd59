/**
 * Findings stored per session: one row per session holding the analysis' findings, recurring
 * insights and the settings they were found with (JSON), written when a recorded session ends
 * or a session file is imported. A table of its own rather than columns of `sessions`, so the
 * library list (which reads every session row) never reads them.
 *
 * A library made by the first schema gains the empty table: its sessions keep their
 * `findings_count` (0) and have no stored findings, which `get` reports as absent.
 */
import type { MigrationInterface, QueryRunner } from 'typeorm'

export class SessionFindings1764403200000 implements MigrationInterface {
  name = 'SessionFindings1764403200000'

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "session_findings" (
        "session_key" integer PRIMARY KEY NOT NULL,
        "settings" text NOT NULL,
        "findings" text NOT NULL,
        "insights" text NOT NULL
      )`,
    )
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "session_findings"`)
  }
}
