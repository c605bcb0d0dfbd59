/**
 * Shape templates (src/main/analysis/fingerprint/templates.ts) must never say anything the
 * lexer would not: every text a template matches is checked against a fresh lexer run on
 * the same text, field by field. The texts are the shared corpus with its literals changed
 * (plain values of the same kind, which must match, and values of every awkward kind, which
 * may match only where the lexer agrees) and with random chars inserted or removed.
 */
import { describe, expect, it } from 'vitest'
import { fingerprint, clearFingerprintCache } from '../../src/main/analysis/fingerprint'
import { rulesFor, type Dialect } from '../../src/main/analysis/fingerprint/dialect'
import {
  type FingerprintResult,
  lastLiteralSpans,
  normalise,
} from '../../src/main/analysis/fingerprint/normalise'
import { ShapeTemplates } from '../../src/main/analysis/fingerprint/templates'
import { seededRandom } from '../helpers/random'
import { SQL_CORPUS } from './sql-corpus'

interface Lexed {
  result: FingerprintResult
  spans: { start: number; end: number }[]
}

function lex(text: string, dialect: Dialect): Lexed {
  const result = normalise(text, rulesFor(dialect))
  const found = lastLiteralSpans()
  const spans: { start: number; end: number }[] = []
  for (let k = 0; found !== null && k < found.count; k++) {
    spans.push({ start: found.starts[k]!, end: found.ends[k]! })
  }
  return { result, spans }
}

/**
 * A template store that has learnt `text`. The second sight of a shape makes its first
 * template (lists keep their length); a third, with `lists`, one whose IN lists and VALUES
 * rows take any length, which is then tried first.
 */
function templatesFor(text: string, dialect: Dialect, lists = false): ShapeTemplates {
  const templates = new ShapeTemplates(rulesFor(dialect))
  for (let sight = 0; sight < (lists ? 3 : 2); sight++) {
    const result = normalise(text, rulesFor(dialect))
    const spans = lastLiteralSpans()
    if (spans !== null) templates.learn(text, result, spans)
  }
  return templates
}

/** `text` with each literal span replaced by `replace(spanText)`. */
function withLiterals(text: string, spans: Lexed['spans'], replace: (literal: string) => string) {
  let out = ''
  let from = 0
  for (const { start, end } of spans) {
    out += text.slice(from, start) + replace(text.slice(start, end))
    from = end
  }
  return out + text.slice(from)
}

const isPlainNumber = (literal: string) => /^[+-]?\d+(\.\d+)?$/.test(literal)
const isPlainString = (literal: string) => /^'[^'\\]*'$/.test(literal)

/** A value of the same kind, written plainly: a template must take it. */
function plainLike(literal: string, random: () => number): string {
  if (isPlainNumber(literal)) {
    const sign = /^[+-]/.test(literal) ? literal[0] : ''
    const digits = String(Math.floor(random() * 10 ** (1 + Math.floor(random() * 8))))
    return sign + (literal.includes('.') ? `${digits}.${Math.floor(random() * 100)}` : digits)
  }
  if (isPlainString(literal)) {
    const bodies = ['', 'x', 'Ünïcødé €', 'with space', 'a)b', 'semi;colon', '-- not a comment']
    return `'${bodies[Math.floor(random() * bodies.length)]}'`
  }
  return literal
}

/** Values a slot must turn away unless the lexer reads them the same way. */
const AWKWARD = [
  '1e5',
  '1E-3',
  '0x1F',
  '0b101',
  '1_000',
  '7abc',
  '.5',
  '5.',
  '5..5',
  '1.2.3',
  '-1',
  '+1',
  '--1',
  '- 1',
  "'it''s'",
  "'a\\'b'",
  "'a\\\\'",
  "''''",
  "'unterminated",
  "E'\\n'",
  "N'x'",
  '$$dollar$$',
  'TRUE',
  'NULL',
  '?',
  '$1',
  ':name',
  '%s',
  '%(name)s',
  "'x'||'y'",
  "'%('",
  '"dq"',
  "'a''",
  '5/*c*/',
  "'x'--c\n",
  '5 ',
  ' 5',
  '٣',
  '5٣',
  "'x')",
  '(5)',
]

/** What a fingerprint says, field by field (`literals` is a getter, read here). */
function fields(fp: FingerprintResult) {
  const { id, text, statement, collapsedRows, inListItems, literals, placeholders, paginated } = fp
  return { id, text, statement, collapsedRows, inListItems, literals, placeholders, paginated }
}

/** Every field equal; `sql` names the text in a failure. */
function sameFingerprint(matched: FingerprintResult, lexed: FingerprintResult, sql: string) {
  expect({ sql, ...fields(matched) }).toEqual({ sql, ...fields(lexed) })
}

describe.each([false, true])('shape templates (lists and rows of any length: %s)', (lists) => {
  it('give the lexer’s fingerprint for every corpus query with other plain values', () => {
    const random = seededRandom(20261126)
    let matched = 0
    let templated = 0
    for (const { sql, dialect } of SQL_CORPUS) {
      const base = lex(sql, dialect)
      const templates = templatesFor(sql, dialect, lists)
      if (templates.match(sql) === null) continue
      templated++
      for (let variant = 0; variant < 20; variant++) {
        const text = withLiterals(sql, base.spans, (literal) => plainLike(literal, random))
        const found = templates.match(text)
        const lexed = normalise(text, rulesFor(dialect))
        // The MySQL strings above have no backslash; a '-- ' body is inside quotes.
        expect(found, text).not.toBeNull()
        sameFingerprint(found!, lexed, text)
        matched++
      }
    }
    // Most of the corpus has values inlined somewhere (LIMIT, TRUE, string literals).
    expect(templated).toBeGreaterThan(SQL_CORPUS.length / 4)
    expect(matched).toBe(templated * 20)
  })

  it('match awkward values only where the lexer reads the same shape', () => {
    const random = seededRandom(42)
    let matched = 0
    let refused = 0
    for (const { sql, dialect } of SQL_CORPUS) {
      const base = lex(sql, dialect)
      const templates = templatesFor(sql, dialect, lists)
      if (templates.match(sql) === null) continue
      for (let variant = 0; variant < 40; variant++) {
        const text = withLiterals(sql, base.spans, (literal) =>
          random() < 0.5 ? AWKWARD[Math.floor(random() * AWKWARD.length)]! : literal,
        )
        const found = templates.match(text)
        if (found === null) {
          refused++
          continue
        }
        matched++
        sameFingerprint(found, normalise(text, rulesFor(dialect)), text)
      }
    }
    // Both outcomes happen, so both paths were exercised.
    expect(matched).toBeGreaterThan(100)
    expect(refused).toBeGreaterThan(100)
  })

  it('match texts with random edits only where the lexer reads the same shape', () => {
    const random = seededRandom(7)
    const chars = [
      ' ',
      "'",
      '"',
      '-',
      '+',
      '.',
      'e',
      '_',
      'x',
      '(',
      ')',
      '%',
      '\\',
      '#',
      '/',
      '*',
      '\n',
      '5',
      '`',
      '$',
      '?',
      ':',
    ]
    let matched = 0
    for (const { sql, dialect } of SQL_CORPUS) {
      const templates = templatesFor(sql, dialect, lists)
      if (templates.match(sql) === null) continue
      for (let variant = 0; variant < 40; variant++) {
        const at = Math.floor(random() * (sql.length + 1))
        const text =
          random() < 0.7
            ? sql.slice(0, at) + chars[Math.floor(random() * chars.length)] + sql.slice(at)
            : sql.slice(0, at) + sql.slice(at + 1)
        const found = templates.match(text)
        if (found === null) continue
        matched++
        sameFingerprint(found, normalise(text, rulesFor(dialect)), text)
      }
    }
    // An edit inside a value still matches (a digit more, a char more in a string).
    expect(matched).toBeGreaterThan(50)
  })

  it('keep a signed value’s own sign: `- -5` and `--5` differ', () => {
    const templates = templatesFor('SELECT a -+5 FROM t', 'postgresql')
    expect(templates.match('SELECT a -+7 FROM t')?.text).toBe('SELECT a - ? FROM t')
    // In PostgreSQL `--` starts a comment: the lexer sees `SELECT a`.
    expect(templates.match('SELECT a --7 FROM t')).toBeNull()
    expect(normalise('SELECT a --7 FROM t', rulesFor('postgresql')).text).toBe('SELECT a')
  })

  it('keep a number’s form: after `4.5` a `.` is the next token, after `1` part of `1.`', () => {
    // Found by the random-statement test (fingerprint-templates-fuzz.test.ts).
    const templates = templatesFor("X'ff' 4.5. 22", 'mysql', lists)
    for (const sql of ["X'ff' 1. 22", "X'ff' 7.25. 23"]) {
      const found = templates.match(sql)
      if (found !== null) sameFingerprint(found, normalise(sql, rulesFor('mysql')), sql)
    }
    expect(templates.match("X'ff' 1. 22")).toBeNull()
    expect(templates.match("X'ff' 7.25. 23")).not.toBeNull()
  })

  it('make none for texts with `%(`, whose placeholder looks past a value for its `)`', () => {
    const sql = "SELECT %(x) + 'a', 5 FROM t"
    expect(templatesFor(sql, 'postgresql').match("SELECT %(x) + 'b', 6 FROM t")).toBeNull()
  })

  it('turn away MySQL strings with backslashes, which escape there', () => {
    const templates = templatesFor("SELECT * FROM t WHERE a = 'x'", 'mysql')
    expect(templates.match("SELECT * FROM t WHERE a = 'y'")?.literals).toEqual(['y'])
    expect(templates.match("SELECT * FROM t WHERE a = 'y\\' OR 1=1 -- '")).toBeNull()
    // PostgreSQL's standard strings keep a backslash as a char.
    const postgres = templatesFor("SELECT * FROM t WHERE a = 'x'", 'postgresql')
    expect(postgres.match("SELECT * FROM t WHERE a = 'y\\'")?.literals).toEqual(['y\\'])
  })

  it('take every char of the fixed text literally, pattern syntax included', () => {
    const sql = (id: number) =>
      `SELECT "a.*+?^$|\\" , [x] FROM "t(1)" /* {2,3} [^a] */ WHERE "b" = ${id} AND c ~ '.*'`
    const templates = templatesFor(sql(1), 'postgresql')
    const text = sql(42)
    sameFingerprint(templates.match(text)!, normalise(text, rulesFor('postgresql')), text)
    expect(templates.match(text.replace('.*+', '.**+'))).toBeNull()
    // Another comment: the lexer skips it as it did the first.
    const commented = text.replace('{2,3}', '{2,4}')
    sameFingerprint(
      templates.match(commented)!,
      normalise(commented, rulesFor('postgresql')),
      commented,
    )
  })

  it('make a template only on the second text of a shape', () => {
    const templates = new ShapeTemplates(rulesFor('sqlite'))
    const learn = (text: string) => {
      const result = normalise(text, rulesFor('sqlite'))
      templates.learn(text, result, lastLiteralSpans()!)
    }
    learn('SELECT * FROM orders WHERE id = 1')
    expect(templates.match('SELECT * FROM orders WHERE id = 2')).toBeNull()
    learn('SELECT * FROM orders WHERE id = 2')
    expect(templates.match('SELECT * FROM orders WHERE id = 3')?.literals).toEqual(['3'])
  })
})

describe('shape templates: lists and rows of any length', () => {
  const item = (random: () => number): string => {
    const items = ['7', '-3', '12.5', "'x'", "''", "'a, b'", "'(c)'", "'Ünï'", '0']
    return items[Math.floor(random() * items.length)]!
  }
  const list = (random: () => number, length: number) =>
    Array.from({ length }, () => item(random)).join(random() < 0.5 ? ', ' : ',')

  it('match IN lists of every length with the lexer’s counts and values', () => {
    const random = seededRandom(3)
    const sql = (items: string) => `SELECT * FROM "post" WHERE "authorId" IN (${items}) AND "x" = 5`
    const templates = templatesFor(sql('1, 2, 3'), 'postgresql', true)
    for (let length = 1; length <= 70; length++) {
      const text = sql(list(random, length))
      const found = templates.match(text)
      expect(found, text).not.toBeNull()
      sameFingerprint(found!, normalise(text, rulesFor('postgresql')), text)
      expect(found!.inListItems).toBe(length)
    }
  })

  it('match VALUES clauses of every row count with the lexer’s counts and values', () => {
    const random = seededRandom(4)
    const sql = (rows: string) => `INSERT INTO "t" ("a", "b", "c") VALUES ${rows} RETURNING "id"`
    const templates = templatesFor(sql("(1, 'x', 2.5), (2, 'y', 3)"), 'postgresql', true)
    for (let count = 1; count <= 30; count++) {
      const rows = Array.from({ length: count }, () => `(${list(random, 3)})`).join(', ')
      const text = sql(rows)
      const found = templates.match(text)
      expect(found, text).not.toBeNull()
      sameFingerprint(found!, normalise(text, rulesFor('postgresql')), text)
      expect(found!.collapsedRows).toBe(count)
    }
    // Rows of another width are another shape.
    expect(templates.match(sql('(1, 2)'))).toBeNull()
  })

  it('match lists and rows with awkward items only where the lexer agrees', () => {
    const random = seededRandom(5)
    const texts = [
      'SELECT * FROM t WHERE a IN (1, 2) AND b IN (3)',
      "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y')",
    ]
    let matched = 0
    for (const sql of texts) {
      const templates = templatesFor(sql, 'mysql', true)
      for (let variant = 0; variant < 300; variant++) {
        const text = sql.replace(/\d+|'[a-z]'/g, (value) =>
          random() < 0.3
            ? AWKWARD[Math.floor(random() * AWKWARD.length)]!
            : random() < 0.5
              ? `${value}, ${value}`
              : value,
        )
        const found = templates.match(text)
        if (found === null) continue
        matched++
        sameFingerprint(found, normalise(text, rulesFor('mysql')), text)
      }
    }
    expect(matched).toBeGreaterThan(50)
  })

  it('take no rows slot where VALUES is a function (`= VALUES(5)`)', () => {
    const sql = 'INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = VALUES(7)'
    const templates = templatesFor(sql, 'mysql', true)
    const same = 'INSERT INTO t (a) VALUES (2) ON DUPLICATE KEY UPDATE a = VALUES(8)'
    sameFingerprint(templates.match(same)!, normalise(same, rulesFor('mysql')), same)
    expect(
      templates.match('INSERT INTO t (a) VALUES (2) ON DUPLICATE KEY UPDATE a = VALUES(8), (9)'),
    ).toBeNull()
  })

  it('rest a bucket whose templates keep failing, and lex its texts at once', () => {
    const templates = templatesFor("SELECT * FROM t WHERE id = 1 AND s = 'a'", 'postgresql')
    expect(templates.match("SELECT * FROM t WHERE id = 2 AND s = 'b'")).not.toBeNull()
    // Every text with an escaped string (a template takes only plain ones): none fits.
    for (let i = 0; i < 300; i++) {
      expect(templates.match(`SELECT * FROM t WHERE id = 2 AND s = 'it''s ${i}'`)).toBeNull()
    }
    // Now resting: even a text the template fits goes to the lexer.
    expect(templates.match("SELECT * FROM t WHERE id = 3 AND s = 'c'")).toBeNull()
  })

  it('take any comment where the template had one, as SQL commenters add them', () => {
    const sql = (id: number, trace: string) =>
      `SELECT * FROM "user" WHERE "id" = ${id} /*traceparent='00-${trace}-01',route='%2Fusers'*/`
    const templates = templatesFor(sql(1, 'a1'), 'postgresql')
    for (let i = 0; i < 20; i++) {
      const text = sql(i, `${i}f${i * 7}`)
      sameFingerprint(templates.match(text)!, normalise(text, rulesFor('postgresql')), text)
    }
    // Not a comment the lexer would end at the same place, nor MySQL's executable one.
    expect(templates.match('SELECT * FROM "user" WHERE "id" = 2 /* a /* b */ c */')).toBeNull()
    const mysql = templatesFor('SELECT * FROM t WHERE id = 1 /* x */', 'mysql')
    expect(mysql.match('SELECT * FROM t WHERE id = 2 /* y */')).not.toBeNull()
    expect(mysql.match('SELECT * FROM t WHERE id = 2 /*!50100 y */')).toBeNull()
  })
})

describe('fingerprint with templates', () => {
  it('gives new texts of a known shape their own literals and the shared shape', () => {
    clearFingerprintCache()
    const texts = Array.from(
      { length: 10 },
      (_unused, i) => `SELECT * FROM "user" WHERE "id" = ${i}`,
    )
    const results = texts.map((text) => fingerprint(text, 'postgresql'))
    expect(new Set(results.map((r) => r.id)).size).toBe(1)
    expect(results.map((r) => r.literals[0])).toEqual(texts.map((_text, i) => String(i)))
  })

  it('caches a matched text that repeats', () => {
    clearFingerprintCache()
    fingerprint('SELECT * FROM t WHERE id = 1', 'sqlite')
    fingerprint('SELECT * FROM t WHERE id = 2', 'sqlite')
    const text = 'SELECT * FROM t WHERE id = 3'
    const seen = Array.from({ length: 20 }, () => fingerprint(text, 'sqlite'))
    // Before it is taken in, each call makes a new result; after, the cache returns one.
    expect(seen[18]).toBe(seen[19])
    expect(seen[0]).not.toBe(seen[1])
  })
})
