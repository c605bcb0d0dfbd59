/**
 * SQL for reading: formatted by sql-formatter in the app's dialect, highlighted by
 * highlight.js with only its SQL grammar loaded (the full bundle is ~1 MB of languages we
 * would never use). highlight.js escapes its input, which is what makes its output safe
 * for `v-html`; nothing else may go there.
 */
import hljs from 'highlight.js/lib/core'
import sqlLanguage from 'highlight.js/lib/languages/sql'
import {
  formatDialect,
  mariadb,
  mysql,
  plsql,
  postgresql,
  sql,
  sqlite,
  transactsql,
  type DialectOptions,
} from 'sql-formatter'

hljs.registerLanguage('sql', sqlLanguage)

/** Beyond this, formatting and highlighting cost more than they help (bulk INSERTs). */
const MAX_FORMATTED_LENGTH = 50_000

/** OpenTelemetry `db.system.name` values -> sql-formatter dialects. */
const dialects: Record<string, DialectOptions> = {
  postgresql,
  cockroachdb: postgresql,
  mysql,
  mariadb,
  sqlite,
  mssql: transactsql,
  'microsoft.sql_server': transactsql,
  oracle: plsql,
  'oracle.db': plsql,
}

export function dialectFor(dbSystem: string | undefined): DialectOptions {
  return (dbSystem && dialects[dbSystem]) || sql
}

/** The query laid out one clause per line; the text unchanged if the dialect cannot parse it. */
export function formatSql(text: string, dbSystem?: string): string {
  if (text.length > MAX_FORMATTED_LENGTH) return text
  try {
    return formatDialect(text, {
      dialect: dialectFor(dbSystem),
      tabWidth: 2,
      keywordCase: 'preserve',
    })
  } catch {
    return text
  }
}

/**
 * HTML for `v-html`: highlight.js output, with every character of `text` escaped; `null`
 * when the text is too long to highlight (show it as plain text then).
 */
export function highlightSql(text: string): string | null {
  if (text.length > MAX_FORMATTED_LENGTH) return null
  return hljs.highlight(text, { language: 'sql' }).value
}

/** A select list longer than this is shown as `…` in one-line summaries. */
const LONG_SELECT_LIST = 32

/**
 * The SQL on one line for a list or a tooltip, with a long select list folded to `…` so
 * that what tells queries apart (the table and the WHERE) stays in view: ORMs list every
 * column (`SELECT "Product"."id" AS "Product_id", ... FROM "products" ...`). Only a
 * statement that starts with SELECT and whose first FROM closes the select list (no
 * subquery in it) is folded; anything else is only put on one line.
 */
export function summarizeSql(text: string, maxLength = 400): string {
  const line = text
    .slice(0, maxLength * 4)
    .replace(/\s+/g, ' ')
    .trim()
  const match = /^(select\s+(?:distinct\s+)?)(.*?)(\s+from\s.*)$/i.exec(line)
  if (match && match[2].length > LONG_SELECT_LIST && !/\(\s*select\s/i.test(match[2])) {
    return (match[1] + '…' + match[3]).slice(0, maxLength)
  }
  return line.slice(0, maxLength)
}
