// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import {
  formatClock,
  formatCompact,
  formatDuration,
  formatFrameLocation,
} from '@renderer/lib/format'
import { dialectFor, formatSql, highlightSql } from '@renderer/lib/sql'
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
