import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  parseSections,
  REPORT_SECTIONS,
  reportOptions,
  type ReportSection,
} from '../../src/main/report/options'
import { renderJson, renderReportString } from '../../src/main/report/render'
import { buildReport, reportDocument, type Report } from '../../src/main/report/report'
import type { QueryRecord } from '../../src/shared/domain'
import { COUPONS, LOOKUP, shopQueries, shopSession, T, tempDir, writeShopSession } from './sessions'
import { readSessionFile } from '../../src/main/session/session-file'

const { dir, cleanup } = tempDir('fop-render-')
afterAll(cleanup)

let report: Report
beforeAll(async () => {
  report = buildReport(await shopSession(dir, 'shop'))
})

const detailed = () => reportOptions('detailed')
const summary = () => reportOptions('summary')

describe('the text report', () => {
  it('in the detailed kind shows every section and each query with its parameters', () => {
    const text = renderReportString(report, 'text', detailed())
    for (const heading of [
      'Queries: 16   Failed: 1   Slow: 1',
      'Apps:',
      'Findings (most severe first):',
      'Query shapes by total time:',
      'Slow queries (over 100 ms',
      'Failed queries:',
      'Queries:\n',
    ]) {
      expect(text).toContain(heading)
    }
    expect(text).toMatch(/#2 \S+ 0\.50 ms {2}1 rows {2}\[GET \/orders\]\n.*\n {4}params: \[1\]/)
  })

  it('in the summary kind shows the totals and the lists but no single queries', () => {
    const text = renderReportString(report, 'text', summary())
    expect(text).toContain('Queries: 16   Failed: 1   Slow: 1')
    expect(text).toContain('Findings (most severe first):')
    expect(text).toContain('#15 250.00 ms')
    expect(text).not.toMatch(/^Apps:$/m)
    expect(text).not.toMatch(/^Queries:$/m)
    expect(text).not.toContain('params:')
  })

  it('in the summary kind lists the slowest queries first and says how many it left out', async () => {
    // Twelve slow queries of different lengths: the summary shows the 10 slowest.
    const queries: QueryRecord[] = Array.from({ length: 12 }, (_, i) => ({
      id: i + 1,
      appId: 'app-1',
      sql: `SELECT * FROM table_${i}`,
      startTime: T + i * 1000,
      durationMs: 101 + i,
    }))
    const many = buildReport(
      await readSessionFile(await writeShopSession(dir, 'many-slow', {}, queries)),
    )
    const text = renderReportString(many, 'text', summary())
    expect(text).toContain("far above their shape's p95, slowest first) (top 10 of 12):")
    const listed = [...text.matchAll(/ {2}#(\d+) \d+\.\d+ ms/g)].map((match) => Number(match[1]))
    expect(listed).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3])
    expect(text).toContain('Query shapes by total time (top 10 of 12):')
  })
})

describe('the Markdown report', () => {
  const markdown = () => renderReportString(report, 'markdown', detailed())

  it('has a heading per section and a table per list', () => {
    const text = markdown()
    expect(text).toMatch(/^# FastORM Profiler report — session shop$/m)
    for (const heading of ['Summary', 'Apps', 'Findings', 'Query shapes by total time']) {
      expect(text).toMatch(new RegExp(`^## ${heading}$`, 'm'))
    }
    expect(text).toContain('| Queries | 16 |')
    expect(text).toMatch(
      /^\| total ms \| count \| p50 \| p95 \| p99 \| max \| failed \| shape \|$/m,
    )
    expect(text).toMatch(
      /^\| 250 \| 1 \| 250 \| 250 \| 250 \| 250 \| 0 \| SELECT SUM\(total\) FROM orders \|$/m,
    )
  })

  it('shows each finding with its SQL in a code block, its call site and its fix', () => {
    const text = markdown()
    expect(text).toMatch(/^### 1\. WARNING: N\+1 read ×6 in "GET \/orders" \(ctx-1\)$/m)
    expect(text).toContain('```sql\nSELECT "Product"."id" AS "Product_id"')
    expect(text).toContain('- at /app/src/orders.ts:31:9 (totals)')
    expect(text).toContain('**Fix:** One query per parent row loads the \\`products\\` rows')
  })

  it('lists failed queries and every query with its parameters', () => {
    const text = markdown()
    expect(text).toMatch(
      /^\| 16 \| SQLITE\\_ERROR no such table: coupons \| {2}\| SELECT \\\* FROM coupons/m,
    )
    expect(text).toMatch(
      /^\| 2 \| [^|]+ \| 0\.50 \| 1 \| GET \/orders \| SELECT .* \| \\\[1\\\] \| \/app\/src\/orders\.ts:31:9 \|$/m,
    )
  })
})

describe('the JSON report', () => {
  it('is the same text JSON.stringify would give, written one top-level element at a time', () => {
    const document = reportDocument(report, detailed())
    const lines = [...renderJson(document)]
    expect(lines.join('\n')).toBe(JSON.stringify(document, null, 2))
    // One line per query at least: the queries array is never one string.
    expect(lines.length).toBeGreaterThan(report.queries.length)
  })

  it('keeps the fields `report --format json` always had', () => {
    const json = JSON.parse(renderReportString(report, 'json', detailed()))
    expect(json).toMatchObject({
      format: 'fastorm-profiler-report',
      version: 1,
      kind: 'detailed',
      sections: [...REPORT_SECTIONS],
      summary: { queries: 16, failed: 1, slow: 1 },
    })
    expect(Object.keys(json.fingerprints[0])).toEqual(
      expect.arrayContaining([
        'fingerprint',
        'count',
        'totalMs',
        'p50Ms',
        'p95Ms',
        'p99Ms',
        'maxMs',
      ]),
    )
    expect(json.findings).toHaveLength(2)
    expect(json.slowQueries).toHaveLength(1)
    expect(json.failedQueries).toHaveLength(1)
    expect(json.queries).toHaveLength(16)
  })

  it('in the summary kind leaves out apps and queries but keeps whole lists', () => {
    const json = JSON.parse(renderReportString(report, 'json', summary()))
    expect(json.sections).toEqual(['summary', 'findings', 'fingerprints', 'slow', 'failed'])
    expect(json).not.toHaveProperty('queries')
    expect(json).not.toHaveProperty('apps')
    expect(json.fingerprints).toHaveLength(report.fingerprints.length)
  })
})

describe('the HTML report', () => {
  const html = () => renderReportString(report, 'html', detailed())

  it('is one self-contained page: inline CSS, no script, nothing fetched from elsewhere', () => {
    const page = html()
    expect(page.startsWith('<!doctype html>\n<html lang="en">')).toBe(true)
    expect(page.trimEnd().endsWith('</html>')).toBe(true)
    expect(page).toContain('<style>')
    expect(page).not.toMatch(/<script|<link|<img|<iframe|src=|https?:\/\//i)
    expect(page).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'`,
    )
  })

  it('shows the totals, findings, shapes, slow, failed and every query', () => {
    const page = html()
    expect(page).toContain('<dt>Queries</dt><dd>16</dd>')
    expect(page).toContain('<article class="finding sev-warning">')
    expect(page).toContain('N+1 read ×6 in &quot;GET /orders&quot; (ctx-1)')
    expect(page).toContain('at <code>/app/src/orders.ts:31:9 (totals)</code>')
    expect(page).toContain('no such table: coupons')
    expect(page).toContain(`<span class="sql">${COUPONS}</span>`)
    expect(page.match(/<tr><td class="num">\d+<\/td><td>2025-/g)).toHaveLength(16)
  })

  it('opens on a table of contents of the chosen sections', () => {
    const page = renderReportString(report, 'html', reportOptions('summary', ['slow', 'summary']))
    expect(page).toContain(
      '<nav><a href="#summary">Summary</a><a href="#slow">Slow queries</a></nav>',
    )
  })
})

describe('sections', () => {
  const chosen: ReportSection[] = ['failed', 'summary']

  it('show only the chosen ones, in report order whatever order they were given', () => {
    const text = renderReportString(report, 'text', reportOptions('detailed', chosen))
    expect(text.indexOf('Queries: 16')).toBeLessThan(text.indexOf('Failed queries:'))
    expect(text).not.toContain('Findings (most severe first)')
    expect(text).not.toContain('Query shapes')
    expect(text).not.toContain('Slow queries')
    expect(text).not.toMatch(/^Queries:$/m)

    const markdown = renderReportString(report, 'markdown', reportOptions('detailed', chosen))
    expect([...markdown.matchAll(/^## (.+)$/gm)].map((match) => match[1])).toEqual([
      'Summary',
      'Failed queries',
    ])

    const html = renderReportString(report, 'html', reportOptions('detailed', chosen))
    expect([...html.matchAll(/<section id="(\w+)">/g)].map((match) => match[1])).toEqual([
      'summary',
      'failed',
    ])
  })

  it('in JSON keep the fields of the chosen sections and the session and settings', () => {
    const json = JSON.parse(
      renderReportString(report, 'json', reportOptions('detailed', ['findings'])),
    )
    expect(Object.keys(json)).toEqual([
      'format',
      'version',
      'kind',
      'sections',
      'session',
      'settings',
      'findings',
      'insights',
    ])
  })

  it('are parsed from a comma list, and an unknown name is refused with the list of known ones', () => {
    expect(parseSections('slow, failed,slow')).toEqual(['slow', 'failed', 'slow'])
    expect(() => parseSections('slow,queries,timeline')).toThrow(
      'unknown section "timeline"; choose from summary, apps, findings, fingerprints, slow, failed, queries',
    )
    expect(() => parseSections(' , ')).toThrow(/no sections given/)
  })
})

describe('a report built without its queries', () => {
  it('has the same analysis and an empty query list', async () => {
    const session = await shopSession(dir, 'no-queries')
    const without = buildReport(session, {}, { queries: false })
    expect(without.queries).toEqual([])
    expect(without.summary).toEqual(report.summary)
    expect(without.findings.map((finding) => finding.id)).toEqual(
      report.findings.map((finding) => finding.id),
    )
  })
})

it('the fixture is what the tests above assume', () => {
  expect(shopQueries().filter((query) => query.sql === LOOKUP)).toHaveLength(12)
})
