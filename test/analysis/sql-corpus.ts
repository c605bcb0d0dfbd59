/**
 * The shared SQL corpus in test/fixtures/sql: hand-written Sequelize / Knex / Django style
 * SQL for MySQL and PostgreSQL, and the captured TypeORM (SQLite) and SQLAlchemy output.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Dialect } from '../../src/main/analysis/fingerprint'

const fixtures = join(__dirname, '..', 'fixtures', 'sql')

export interface CorpusQuery {
  source: string
  dialect: Dialect
  sql: string
}

function sqlFile(name: string, dialect: Dialect): CorpusQuery[] {
  return readFileSync(join(fixtures, name), 'utf8')
    .split(';\n')
    .filter((sql) => sql.trim() !== '')
    .map((sql) => ({ source: name, dialect, sql }))
}

const typeorm = (
  JSON.parse(readFileSync(join(fixtures, 'typeorm-sqlite.json'), 'utf8')) as { sql: string }[]
).map((q): CorpusQuery => ({ source: 'typeorm-sqlite.json', dialect: 'sqlite', sql: q.sql }))

const sqlalchemy = (
  JSON.parse(readFileSync(join(fixtures, 'sqlalchemy.json'), 'utf8')) as {
    queries: { dialect: Dialect; sql: string }[]
  }
).queries.map((q): CorpusQuery => ({ source: 'sqlalchemy.json', dialect: q.dialect, sql: q.sql }))

export const SQL_CORPUS: CorpusQuery[] = [
  ...sqlFile('corpus-mysql.sql', 'mysql'),
  ...sqlFile('corpus-postgresql.sql', 'postgresql'),
  ...typeorm,
  ...sqlalchemy,
]
