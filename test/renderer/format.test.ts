// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import {
  formatClock,
  formatCompact,
  formatDuration,
  formatFrameLocation,
  formatOffset,
} from '@renderer/lib/format'
import { dialectFor, formatSql, highlightSql, summarizeSql } from '@renderer/lib/sql'
import { mysql, postgresql, sql, sqlite } from 'sql-formatter'

describe('formatting for the UI', () => {
  it('shows times as local HH:MM:SS.mmm', () => {
    expect(formatClock(new Date(2025, 5, 1, 9, 4, 7, 45).getTime())).toBe('09:04:07.045')
  })

  it('gives durations the decimals that matter at their size', () => {
    expect(formatDuration(0.0421)).toBe('0.04')
    expect(formatDuration(42.25)).toBe('42.3')
    expect(formatDuration(1234.5)).toBe('1,235')
  })

  it('shortens large counts for the header only past ten thousand', () => {
    expect(formatCompact(9_999)).toBe('9,999')
    expect(formatCompact(123_456)).toBe('123.5K')
  })

  it('writes a frame as file:line:column, leaving out what is unknown', () => {
    expect(formatFrameLocation({ file: 'a.ts', line: 3, column: 9 })).toBe('a.ts:3:9')
    expect(formatFrameLocation({ file: 'a.py', line: 3 })).toBe('a.py:3')
    expect(formatFrameLocation({ file: '<native>' })).toBe('<native>')
  })
})

describe('SQL for reading', () => {
  it("picks the formatter's dialect from the app's database system", () => {
    expect(dialectFor('postgresql')).toBe(postgresql)
    expect(dialectFor('mysql')).toBe(mysql)
    expect(dialectFor('sqlite')).toBe(sqlite)
    expect(dialectFor('somethingelse')).toBe(sql)
    expect(dialectFor(undefined)).toBe(sql)
  })

  it("keeps each dialect's placeholders intact", () => {
    expect(formatSql('select * from t where a = $1 and b = $2', 'postgresql')).toContain(
      'a = $1\n  and b = $2',
    )
    expect(formatSql('select * from t where a = ? and b = :name', 'sqlite')).toContain(
      'a = ?\n  and b = :name',
    )
  })

  it('returns the text unchanged when the dialect cannot parse it', () => {
    const broken = 'select * from t where a = $1 ((('
    expect(formatSql(broken, 'mysql')).toBe(broken)
  })

  it('escapes markup in the highlighted HTML, and declines text too long to highlight', () => {
    const html = highlightSql("select '<script>x</script>'")
    expect(html).not.toContain('<script>')
    expect(html).toContain('&lt;script&gt;')
    expect(highlightSql('x'.repeat(60_000))).toBeNull()
  })
})

describe('one-line SQL summaries', () => {
  it('folds a long select list so the table and the WHERE stay in view', () => {
    const typeorm =
      'SELECT "Product"."id" AS "Product_id", "Product"."name" AS "Product_name",\n  "Product"."price_cents" AS "Product_price_cents" FROM "products" "Product" WHERE "Product"."id" = ?'
    expect(summarizeSql(typeorm)).toBe(
      'SELECT … FROM "products" "Product" WHERE "Product"."id" = ?',
    )
  })

  it('leaves short lists, subqueries in the list and other statements whole, on one line', () => {
    expect(summarizeSql('select id,\n  email from users')).toBe('select id, email from users')
    const sub = 'SELECT (SELECT count(*) FROM orders o WHERE o.user_id = u.id) AS n FROM users u'
    expect(summarizeSql(sub)).toBe(sub)
    expect(summarizeSql('INSERT INTO t (a, b) VALUES (?, ?)')).toBe(
      'INSERT INTO t (a, b) VALUES (?, ?)',
    )
  })
})

describe('offsets on the timeline', () => {
  it('reads in the unit that fits', () => {
    expect(formatOffset(0)).toBe('0')
    expect(formatOffset(0.25)).toBe('250 µs')
    expect(formatOffset(12.5)).toBe('12.5 ms')
    expect(formatOffset(1250)).toBe('1.25 s')
    expect(formatOffset(125_000)).toBe('2 min 5 s')
    expect(formatOffset(3_780_000)).toBe('1 h 3 min')
    expect(formatOffset(-500)).toBe('−500 ms')
    // Axis ticks come with float noise.
    expect(formatOffset(0.30000000000000004 * 1000)).toBe('300 ms')
  })
})
