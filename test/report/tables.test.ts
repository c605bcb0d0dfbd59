import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { markdownText } from '../../src/main/report/escape'
import { reportOptions } from '../../src/main/report/options'
import { buildReport, type Report } from '../../src/main/report/report'
import { renderReportString } from '../../src/main/report/render'
import {
  failedTable,
  fingerprintsTable,
  queriesTable,
  slowTable,
  type Cell,
} from '../../src/main/report/tables'
import { reportView } from '../../src/main/report/view'
import { shopSession, tempDir } from './sessions'

const { dir, cleanup } = tempDir('fop-tables-')
afterAll(cleanup)

let report: Report
beforeAll(async () => {
  report = buildReport(await shopSession(dir, 'shop'))
})

const text = (cell: Cell) => (typeof cell === 'string' ? cell : cell.text)

describe('the report tables', () => {
  it('give every row as many cells as the table has headings', () => {
    const view = reportView(report, reportOptions('detailed'))
    for (const table of [
      fingerprintsTable(view),
      slowTable(view),
      failedTable(view),
      queriesTable(view),
    ]) {
      const rows = [...table.rows]
      expect(rows.length).toBeGreaterThan(0)
      for (const row of rows) expect(row).toHaveLength(table.head.length)
      for (const index of table.numeric) expect(index).toBeLessThan(table.head.length)
    }
  })

  it('add a parameters column to the queries only in the detailed kind', () => {
    const detailed = queriesTable(reportView(report, reportOptions('detailed')))
    const summary = queriesTable(reportView(report, reportOptions('summary')))
    expect(detailed.head).toContain('params')
    expect(summary.head).not.toContain('params')
  })

  it('mark SQL and errors so each renderer can dress them, and both show the same text', () => {
    const view = reportView(report, reportOptions('detailed'))
    const [failedRow] = [...failedTable(view).rows]
    expect(failedRow![1]).toMatchObject({ kind: 'failed' })
    expect(failedRow![3]).toMatchObject({ kind: 'sql' })
    const error = text(failedRow![1]!)
    const html = renderReportString(report, 'html', reportOptions('detailed'))
    const markdown = renderReportString(report, 'markdown', reportOptions('detailed'))
    expect(html).toContain(`<span class="failed">${error}</span>`)
    expect(markdown).toContain(`| ${markdownText(error)} |`)
  })
})
