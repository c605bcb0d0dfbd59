import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { run } from '../../src/main/cli/index'
import type { QueryRecord } from '../../src/shared/domain'
import { T, tempDir, writeShopSession } from '../report/sessions'

const { dir, cleanup } = tempDir('fop-cli-check-diff-')
afterAll(cleanup)

/** Before: an N+1 in each of two requests. After: fixed, and a new 300 ms audit query. */
let before: string
let after: string
beforeAll(async () => {
  before = await writeShopSession(dir, 'before')
  after = await writeShopSession(dir, 'after', { fixed: true, audit: true })
})

/** Runs a command; what it printed, one string per stream. */
async function cli(...argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const code = await run(argv, { out: (text) => out.push(text), err: (text) => err.push(text) })
  return { code, out: out.join('\n'), err }
}

describe('report', () => {
  it('writes Markdown and HTML, in the summary or the detailed kind', async () => {
    const markdown = await cli('report', before, '--format', 'markdown', '--kind', 'summary')
    expect(markdown.code).toBe(0)
    expect(markdown.out).toMatch(/^# FastORM Profiler report — session before$/m)
    expect(markdown.out).toMatch(/^## Findings$/m)
    expect(markdown.out).not.toMatch(/^## Queries$/m)

    const html = await cli('report', before, '--format', 'html')
    expect(html.code).toBe(0)
    expect(html.out).toMatch(/^<!doctype html>/)
    expect(html.out).toContain('<section id="queries">')
  })

  it('prints only the sections asked for', async () => {
    const json = await cli('report', before, '--format', 'json', '--sections', 'failed,summary')
    expect(json.code).toBe(0)
    const report = JSON.parse(json.out)
    expect(report.sections).toEqual(['summary', 'failed'])
    expect(report.summary).toMatchObject({ queries: 16, failed: 1 })
    expect(report.failedQueries).toHaveLength(1)
    expect(report).not.toHaveProperty('queries')
    expect(report).not.toHaveProperty('findings')
  })

  it('writes to --out and says where, leaving no temp file', async () => {
    const file = join(dir, 'report.html')
    const result = await cli(
      'report',
      before,
      '--format',
      'html',
      '--kind',
      'summary',
      '--out',
      file,
    )
    expect(result.code).toBe(0)
    expect(result.out).toBe(
      `Wrote the summary html report (summary, findings, fingerprints, slow, failed) to ${file}.`,
    )
    expect(readFileSync(file, 'utf8')).toMatch(/^<!doctype html>[\s\S]*<\/html>\n$/)
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([])
  })

  describe('with redaction', () => {
    let secrets: string
    beforeAll(async () => {
      const queries: QueryRecord[] = [
        {
          id: 1,
          appId: 'app-1',
          sql: 'UPDATE users SET password = ? WHERE id = ?',
          params: ['hunter2', 7],
          startTime: T,
          durationMs: 150,
        },
        {
          id: 2,
          appId: 'app-1',
          sql: "SELECT * FROM sessions WHERE token = 'tok-123'",
          startTime: T + 200,
          durationMs: 1,
        },
      ]
      secrets = await writeShopSession(dir, 'secrets', {}, queries)
    })

    it('--redact masks values bound to secret-looking names, in the queries and the slow list', async () => {
      const result = await cli('report', secrets, '--format', 'json', '--redact')
      expect(result.code).toBe(0)
      expect(result.out).not.toContain('hunter2')
      expect(result.out).not.toContain('tok-123')
      const report = JSON.parse(result.out)
      expect(report.redacted).toEqual({ secrets: true, droppedParams: false })
      expect(report.queries[0].params).toEqual(['[REDACTED]', 7])
      expect(report.queries[1].sql).toBe("SELECT * FROM sessions WHERE token = '[REDACTED]'")
      expect(report.slowQueries[0].sql).toBe('UPDATE users SET password = ? WHERE id = ?')

      const text = await cli('report', secrets, '--redact')
      expect(text.out).toContain('Redacted: values bound to secret-looking names masked.')
      expect(text.out).toContain('params: ["[REDACTED]",7]')
    })

    it('--drop-params removes every parameter and masks nothing else', async () => {
      const result = await cli('report', secrets, '--format', 'json', '--drop-params')
      expect(result.code).toBe(0)
      const report = JSON.parse(result.out)
      expect(report.redacted).toEqual({ secrets: false, droppedParams: true })
      expect(report.queries[0]).not.toHaveProperty('params')
      expect(report.queries[1].sql).toContain('tok-123')
    })

    it('without either shows the values as recorded', async () => {
      const result = await cli('report', secrets, '--format', 'json')
      expect(JSON.parse(result.out).queries[0].params).toEqual(['hunter2', 7])
      expect(JSON.parse(result.out)).not.toHaveProperty('redacted')
    })
  })
})

describe('check', () => {
  it('exits 0 when the session is within every limit given', async () => {
    const result = await cli('check', before, '--max-n-plus-one', '2', '--max-failed', '1')
    expect(result).toMatchObject({ code: 0, err: [] })
    expect(result.out).toContain('within all 2 limit(s).')
    expect(result.out).toContain('ok   n-plus-one: 2 N+1 findings, limit 2')
  })

  it('exits 1 over a limit, printing which, the count, and the offending code', async () => {
    const result = await cli('check', before, '--max-n-plus-one', '0', '--max-slow', '5')
    expect(result.code).toBe(1)
    expect(result.err).toEqual([])
    expect(result.out).toContain('1 of 2 limit(s) exceeded.')
    expect(result.out).toContain('OVER n-plus-one: 2 N+1 findings, limit 0 (--max-n-plus-one)')
    expect(result.out).toContain('  N+1 read: 2 findings, 12 queries, 6 ms')
    expect(result.out).toContain('    at /app/src/orders.ts:31:9 (totals)')
    expect(result.out).toContain('ok   slow: 1 slow query, limit 5')
  })

  it('passes the fixed session on the N+1 limit and fails it on the new slow query', async () => {
    expect((await cli('check', after, '--max-n-plus-one', '0')).code).toBe(0)
    const slow = await cli('check', after, '--max-n-plus-one', '0', '--max-slow', '1')
    expect(slow.code).toBe(1)
    expect(slow.out).toContain('OVER slow: 2 slow queries, limit 1 (--max-slow)')
    expect(slow.out).toContain(
      '    SELECT * FROM audit_log WHERE user_id = ? ORDER BY created_at DESC',
    )
    expect(slow.out).toContain('    at /app/src/audit.ts:12:5 (history)')
  })

  it('judges by the analysis options it is given', async () => {
    const result = await cli(
      'check',
      before,
      '--max-n-plus-one',
      '0',
      '--n-plus-one-threshold',
      '7',
    )
    expect(result.code).toBe(0)
  })

  it('without limits checks nothing, says what it measured and exits 0', async () => {
    const result = await cli('check', before)
    expect(result.code).toBe(0)
    expect(result.out).toContain('no limits given, nothing checked.')
    expect(result.out).toContain('not checked: 2 N+1 findings, 0 duplicate-query findings')
  })
})

describe('diff', () => {
  it('prints the finding that disappeared, the new slow query and the totals', async () => {
    const result = await cli('diff', before, after)
    expect(result).toMatchObject({ code: 0, err: [] })
    expect(result.out).toContain('Before: before (')
    expect(result.out).toContain('After:  after (')
    expect(result.out).toContain('N+1 2 → 0 (-2)')
    expect(result.out).toMatch(
      /Findings that disappeared:\n {2}N\+1 read \[\w{12}\]: 2 finding\(s\), 12 queries, 6 ms/,
    )
    expect(result.out).toMatch(/newly slow \[\w{12}\]: SELECT \* FROM audit_log/)
    expect(result.out).toMatch(/-12 +gone .*SELECT "Product"/)
  })

  it('prints the diff as JSON with --format json', async () => {
    const result = await cli('diff', before, after, '--format', 'json')
    expect(result.code).toBe(0)
    const diff = JSON.parse(result.out)
    expect(diff).toMatchObject({
      format: 'fastorm-profiler-diff',
      version: 1,
      before: { id: 'session-before' },
      after: { id: 'session-after' },
      summary: {
        nPlusOne: { before: 2, after: 0, delta: -2 },
        slow: { before: 1, after: 2, delta: 1 },
      },
      health: null,
    })
    expect(diff.findings[0]).toMatchObject({ kind: 'n-plus-one', change: 'disappeared' })
    expect(diff.fingerprints[0]).toMatchObject({ change: 'new', totalMsDelta: 300 })
  })
})

describe('bad input exits with 2 and one line on stderr', () => {
  let notJson: string
  beforeAll(() => {
    notJson = join(dir, 'not-json.json')
    writeFileSync(notJson, 'not json')
  })
  const missing = () => join(dir, 'missing.json')
  const cases: [string, () => string[], RegExp][] = [
    ['check without a file', () => ['check'], /check needs exactly one session FILE/],
    ['check of a missing file', () => ['check', missing()], /cannot read|no such file|ENOENT/i],
    ['check of a file that is not JSON', () => ['check', notJson], /not-json\.json/],
    ['a negative limit', () => ['check', before, '--max-slow', '-1'], /--max-slow/],
    [
      'a limit that is not a number',
      () => ['check', before, '--max-failed', 'few'],
      /--max-failed must be a whole number/,
    ],
    ['an unknown limit', () => ['check', before, '--max-everything', '1'], /max-everything/],
    ['diff of one file', () => ['diff', before], /diff needs two session files/],
    ['diff of a missing file', () => ['diff', before, missing()], /missing\.json/],
    ['diff of a file that is not JSON', () => ['diff', notJson, after], /not-json\.json/],
    [
      'diff in an unknown format',
      () => ['diff', before, after, '--format', 'html'],
      /--format must be text, json/,
    ],
    [
      'report of an unknown kind',
      () => ['report', before, '--kind', 'brief'],
      /--kind must be summary, detailed/,
    ],
    [
      'report of an unknown section',
      () => ['report', before, '--sections', 'summary,timeline'],
      /unknown section "timeline"/,
    ],
    [
      'report in an unknown format',
      () => ['report', before, '--format', 'pdf'],
      /--format must be text, markdown, json, html/,
    ],
    [
      'report to a folder that does not exist',
      () => ['report', before, '--out', join(dir, 'no', 'r.html')],
      /does not exist/,
    ],
    ['report onto a folder', () => ['report', before, '--out', dir], /it is a folder/],
  ]
  for (const [what, argv, message] of cases) {
    it(`for ${what}`, async () => {
      const result = await cli(...argv())
      expect(result.code).toBe(2)
      expect(result.err).toHaveLength(1)
      expect(result.err[0]).toMatch(message)
      expect(result.out).toBe('')
    })
  }

  it('and writes no report when the session file is bad', async () => {
    const file = join(dir, 'never.html')
    expect((await cli('report', notJson, '--format', 'html', '--out', file)).code).toBe(2)
    expect(existsSync(file)).toBe(false)
  })
})
