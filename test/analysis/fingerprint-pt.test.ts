/**
 * Our fingerprints against Percona's pt-fingerprint (Debian `percona-toolkit`), query by
 * query, on the shared corpus in test/fixtures/sql: hand-written Sequelize / Knex / Django
 * style SQL for MySQL and PostgreSQL, and the captured TypeORM and SQLAlchemy output.
 *
 * The two are equal once the differences we intend are normalised away. Each step of
 * `comparable` below is one such difference, with why we differ. A handful of queries
 * pt-fingerprint gets wrong are listed in PT_GETS_WRONG, each with the reason and a check that
 * pt's output still shows that fault (so the list cannot outlive the fault).
 *
 * pt-fingerprint reads a file of queries separated by `;` and a newline, and silently drops a
 * record that does not start with a word character (a leading comment or bracket): every
 * corpus record starts with one, and the test checks that pt printed one line per query.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { type Dialect, fingerprint } from '../../src/main/analysis/fingerprint'
import { type CorpusQuery, SQL_CORPUS as CORPUS } from './sql-corpus'

/**
 * Brings a fingerprint, ours or pt's, to a form where only real disagreements remain.
 * Each step is an intended difference.
 */
function comparable(text: string, side: 'ours' | 'pt', dialect: Dialect): string {
  // 1. Case: pt lower-cases everything, identifiers and quoted identifiers included. We fold
  //    only keywords (to upper case): `"User"` and `"user"` are different tables in
  //    PostgreSQL, and unquoted MySQL table names are case-sensitive on Linux.
  let s = text.toLowerCase()
  if (side === 'pt') {
    // 2. MySQL's `/*!40001 SQL_NO_CACHE */` holds SQL that MySQL runs: we read its content
    //    as SQL; pt keeps the comment as text (its version number as `?`).
    s = s.replace(/\/\*!\??\s*(.*?)\s*\*\//g, '$1')
    // 3. Placeholders: pt knows only `?` and literals, so `%s`, `%(name)s`, `$1` (as `$?`)
    //    and `:name` (as `:name_?`) survive it. We turn every placeholder style into `?`:
    //    otherwise the same statement from psycopg, SQLAlchemy and a JDBC driver would be
    //    three shapes.
    s = s
      .replace(/%\([^)]*\)s|%s/g, '?')
      .replace(/\$\?/g, '?')
      .replace(/(?<![:\w]):[a-z_][\w?]*/g, '?')
    // 4. Booleans: TRUE and FALSE are literals to us (SQLAlchemy inlines `true` where a
    //    driver binds it); pt keeps them.
    s = s.replace(/\b(?:true|false)\b/g, '?')
    // 5. Prefixed strings: pt replaces the quoted part of N'x', E'x', X'x', B'x', U&'x' and
    //    leaves the prefix (`n?`); they are one literal to us.
    s = s.replace(/\b(?:[nxbe]|u&)\?/g, '?')
    // 6. ARRAY[1, 2, 3]: we collapse a list of values in an array constructor as we do an
    //    IN list (`= ANY(ARRAY[...])` is PostgreSQL's IN); pt keeps every item.
    s = s.replace(/\barray\[[\s?,]*\]/g, 'array[?+]')
  } else {
    // 7. NULL: pt turns every NULL into `?`; we keep it (`IS NULL` is no value, and
    //    `= NULL` is a different query from `= ?`).
    s = s.replace(/\bnull\b/g, '?')
    // 8. Double quotes: pt treats every "..." as a string (MySQL's default). Everywhere
    //    but MySQL it is an identifier, and we keep it: TypeORM quotes every table and
    //    column, and pt would merge `"users"."id" = ?` with `"orders"."total" = ?`.
    if (dialect !== 'mysql') s = s.replace(/"(?:[^"]|"")*"/g, '?')
    // 9. Numbers: pt replaces any run that starts with a digit, `+` or `-` (digits inside
    //    identifiers too, so `t1` and `t2` merge, `param_1` becomes `param_?`, and `a - 1`
    //    becomes `a ? ?`), then eats an `x`, `b`, `.`, `+` or `-` before a `?`. We replace
    //    numbers only, by token; here pt's rule is applied to our text (leaving our `?+`).
    s = s.replace(/(?<!\?)[0-9+-][0-9a-f.xb+-]*/g, '?').replace(/[xb.+-]\?/g, '?')
  }
  // Steps 10 to 13 are pt's own rules, applied to our text, and to pt's again: pt applied
  // them before step 3 made its other placeholders `?`.
  // 10. VALUES: we keep one row of a multi-row VALUES (the row count is a field); pt turns
  //     any VALUES list of `?` into `values(?+)`, one row or many.
  s = s.replace(/\b(in|values?)(?:[\s,]*\([\s?,]*\))+/g, '$1(?+)')
  // 11. LIMIT: pt drops OFFSET and MySQL's `LIMIT n, m` (once per query); we keep them: a
  //     page query is a different shape, and the `paginated` field reads it.
  s = s.replace(/\blimit \?(?:, ?\?| offset \?)?/, 'limit ?')
  // 12. ORDER BY ... ASC: pt drops ASC after ORDER BY (the default order); we keep the text
  //     as the ORM wrote it.
  const orderBy = s.indexOf('order by ')
  if (orderBy >= 0) s = s.slice(0, orderBy) + s.slice(orderBy).replace(/\s+asc/g, '')
  // 13. UNION: pt folds `SELECT x UNION SELECT x` into `SELECT x /*repeat union*/`; we keep
  //     both branches.
  s = s.replace(/\b(select\s.*?)(?:(\sunion(?:\sall)?)\s\1)+/g, '$1 /*repeat$2*/')
  // 14. Spacing: pt keeps the source's spacing (runs collapsed); we print canonical spacing
  //     (`a = ?`, `f(x)`, `, `), so the same query spaced two ways merges. Compared without
  //     the spaces that are not between two word characters.
  s = s
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/ (?![a-z0-9_])|(?<![a-z0-9_]) /g, '')
  // 15. Adjacent `?`: pt reads 'it''s' as two strings (`??`), and steps 8 and 9 leave `??`
  //     where pt's own rules do (`"t"."c"`, `a-1`).
  return s.replace(/\?{2,}/g, '?')
}

/** Queries pt-fingerprint gets wrong; `still` checks its output still shows the fault. */
const PT_GETS_WRONG: { query: string; why: string; still: (pt: string) => boolean }[] = [
  {
    query: 'VALUES (1, 2), (3, 4) ON DUPLICATE KEY UPDATE',
    why: 'pt shortens a multi-row INSERT to its first row before anything else, dropping the ON DUPLICATE KEY UPDATE clause',
    still: (pt) => !pt.includes('duplicate'),
  },
  {
    query: 'values ($1, $2), ($3, $4) returning "id"',
    why: 'the same shortening drops RETURNING',
    still: (pt) => !pt.includes('returning'),
  },
  {
    query: "-- don't",
    why: "pt's one-line comment pattern stops at a quote, so the comment stays and its quote opens a string",
    still: (pt) => pt.includes("don't"),
  },
  {
    query: '$$a dollar-quoted',
    why: 'pt does not know dollar-quoted strings: their content is fingerprinted as SQL',
    still: (pt) => pt.includes('$$'),
  },
  {
    query: '/* outer /* nested */',
    why: "pt does not nest block comments; PostgreSQL does, so pt's output keeps the comment's tail",
    still: (pt) => pt.includes('*/'),
  },
  {
    query: 'SELECT a # b AS xor',
    why: 'pt reads # as a comment (MySQL); in PostgreSQL it is the XOR operator and the query goes on',
    still: (pt) => !pt.includes('from'),
  },
  {
    query: `name = 'a"b' AND "x" = 1`,
    why: 'pt replaces double-quoted strings before single-quoted ones, so a " inside \'a"b\' opens a string',
    still: (pt) => pt.includes("'"),
  },
]

const ptInstalled = spawnSync('pt-fingerprint', ['--version']).status === 0
const dir = mkdtempSync(join(tmpdir(), 'fop-pt-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** pt's fingerprint of every query, in order, from one run over a file of them. */
function ptFingerprints(queries: CorpusQuery[]): string[] {
  const file = join(dir, 'corpus.sql')
  writeFileSync(file, queries.map((q) => `${q.sql};\n`).join(''))
  const run = spawnSync('pt-fingerprint', [file], { encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`pt-fingerprint failed: ${run.stderr}`)
  return run.stdout.split('\n').slice(0, -1)
}

describe.skipIf(!ptInstalled)(
  `fingerprints compared with pt-fingerprint${ptInstalled ? '' : ' (skipped: pt-fingerprint is not installed; Debian: apt-get install percona-toolkit)'}`,
  () => {
    const pt = ptInstalled ? ptFingerprints(CORPUS) : []
    const knownFault = (sql: string) => PT_GETS_WRONG.find((fault) => sql.includes(fault.query))

    it('feeds pt-fingerprint a corpus it reads one query per record', () => {
      for (const q of CORPUS) {
        expect(q.sql, `${q.source}: pt drops records that start with a non-word character`).toMatch(
          /^\w/,
        )
        expect(q.sql).not.toContain(';\n')
      }
      expect(pt).toHaveLength(CORPUS.length)
    })

    it('agrees with pt-fingerprint on every query once the intended differences are normalised', () => {
      const disagreements = CORPUS.flatMap((q, i) => {
        if (knownFault(q.sql)) return []
        const ours = comparable(fingerprint(q.sql, q.dialect).text, 'ours', q.dialect)
        const theirs = comparable(pt[i]!, 'pt', q.dialect)
        return ours === theirs ? [] : [{ source: q.source, sql: q.sql, ours, theirs }]
      })
      expect(disagreements).toEqual([])
      // The comparison covers the whole corpus, not a sliver of it.
      expect(CORPUS.length - PT_GETS_WRONG.length).toBeGreaterThan(300)
    })

    it('still tells the shapes apart after normalising, so agreeing means something', () => {
      const shapes = new Set(CORPUS.map((q) => fingerprint(q.sql, q.dialect).text))
      const normalised = new Set(
        CORPUS.map((q) => comparable(fingerprint(q.sql, q.dialect).text, 'ours', q.dialect)),
      )
      // Steps 8 and 9 may merge a few (`"a"."b"` and `"c"."d"` both become `?`), no more.
      expect(normalised.size).toBeGreaterThan(shapes.size * 0.9)
    })

    it.each(PT_GETS_WRONG)('differs where pt-fingerprint is wrong: $why', (fault) => {
      const index = CORPUS.findIndex((q) => q.sql.includes(fault.query))
      expect(index, `no corpus query contains ${fault.query}`).toBeGreaterThanOrEqual(0)
      const q = CORPUS[index]!
      expect(fault.still(pt[index]!), `pt now reads ${fault.query} right: ${pt[index]}`).toBe(true)
      expect(comparable(fingerprint(q.sql, q.dialect).text, 'ours', q.dialect)).not.toBe(
        comparable(pt[index]!, 'pt', q.dialect),
      )
    })
  },
)
