/**
 * The Markdown report: headings per section, tables for the lists, each finding with its
 * SQL in a code block. Every value from the session goes through `markdownText` or
 * `markdownCode` (escape.ts), so it shows as written and never as markup.
 */
import type { StackFrame } from '../../shared/domain'
import { markdownCode, markdownText } from './escape'
import type { ReportOptions } from './options'
import type { Report } from './report'
import {
  appsTable,
  failedTable,
  fingerprintsTable,
  queriesTable,
  slowTable,
  summaryTotals,
  type Cell,
  type ReportTable,
} from './tables'
import { appName, reportView, type ReportView } from './view'
import {
  callSiteWords,
  cutWords,
  isoTime,
  KIND_TITLE,
  oneLine,
  redactionWords,
  scopeWords,
} from './wording'

export function* renderMarkdownReport(report: Report, options: ReportOptions): Generator<string> {
  const view = reportView(report, options)
  const { session } = report
  yield `# FastORM Profiler report — session ${markdownText(session.name ?? session.id)}`
  yield ''
  yield `Recorded ${isoTime(session.startedAt)} – ${isoTime(session.endedAt)}.`
  const redaction = redactionWords(report)
  if (redaction) yield* ['', redaction]
  if (view.has('summary')) yield* summary(view)
  if (view.has('apps')) yield* apps(view)
  if (view.has('findings')) yield* findings(view)
  if (view.has('fingerprints')) yield* fingerprints(view)
  if (view.has('slow')) yield* slow(view)
  if (view.has('failed')) yield* failed(view)
  if (view.has('queries')) yield* queries(view)
}

function* heading(title: string): Generator<string> {
  yield ''
  yield `## ${title}`
  yield ''
}

function* table({ head, numeric, rows }: ReportTable): Generator<string> {
  yield `| ${head.join(' | ')} |`
  yield `| ${head.map((_, i) => (numeric.includes(i) ? '---:' : '---')).join(' | ')} |`
  for (const row of rows) yield `| ${row.map(cellText).join(' | ')} |`
}

/** Every cell is escaped; SQL is cut to one line, as a table cell must be. */
function cellText(cell: Cell): string {
  if (typeof cell === 'string') return markdownText(cell)
  return markdownText(cell.kind === 'sql' ? oneLine(cell.text, 300) : cell.text)
}

function* summary({ report }: ReportView): Generator<string> {
  yield* heading('Summary')
  yield* table({ head: ['', ''], numeric: [], rows: summaryTotals(report) })
}

function* apps({ report }: ReportView): Generator<string> {
  yield* heading('Apps')
  if (report.apps.length === 0) {
    yield 'No app sent queries.'
    return
  }
  yield* table(appsTable(report.apps))
}

function* findings(view: ReportView): Generator<string> {
  const { report, limits } = view
  yield* heading(`Findings${cutWords(view.findings.length, report.findings.length)}`)
  if (view.findings.length === 0) yield 'No N+1 reads, duplicate queries or write loops.'
  for (const [index, finding] of view.findings.entries()) {
    if (index > 0) yield ''
    yield `### ${index + 1}. ${finding.severity.toUpperCase()}: ${KIND_TITLE[finding.kind]} ×${finding.count} ${markdownText(scopeWords(finding.scope))}`
    yield ''
    yield `${finding.totalMs} ms in ${markdownText(appName(view, finding.scope.appId))}, shape \`${finding.fingerprintId}\`.`
    yield ''
    yield markdownCode(finding.fingerprint, 'sql')
    if (finding.sourceSql !== undefined) {
      yield ''
      yield `After query #${finding.sourceQueryId}:`
      yield ''
      yield markdownCode(finding.sourceSql, 'sql')
    }
    yield* callSites(finding.callSites, limits.callSites)
    yield ''
    yield `**Fix:** ${markdownText(finding.suggestion)}`
  }
  if (view.insights.length > 0) {
    if (view.findings.length > 0) yield ''
    yield `### Recurring small N+1s${cutWords(view.insights.length, report.insights.length)}`
    yield ''
    yield 'Under the threshold, but in many contexts.'
    for (const insight of view.insights) {
      yield ''
      yield `- ${insight.contexts} contexts, ~${insight.medianRepeats} queries each, ${insight.totalMs} ms in all: \`${insight.fingerprintId}\``
      yield ''
      yield markdownCode(insight.fingerprint, 'sql')
      yield* callSites(insight.callSites, limits.callSites)
      yield ''
      yield `**Fix:** ${markdownText(insight.suggestion)}`
    }
  }
}

function* callSites(frames: StackFrame[], max: number): Generator<string> {
  if (frames.length === 0) return
  yield ''
  for (const frame of frames.slice(0, max)) yield `- at ${markdownText(callSiteWords(frame))}`
}

function* fingerprints(view: ReportView): Generator<string> {
  const { report } = view
  yield* heading(
    `Query shapes by total time${cutWords(view.fingerprints.length, report.fingerprints.length)}`,
  )
  if (view.fingerprints.length === 0) {
    yield 'No queries.'
    return
  }
  yield* table(fingerprintsTable(view))
}

function* slow(view: ReportView): Generator<string> {
  const { report } = view
  const order = view.options.kind === 'summary' ? ', slowest first' : ''
  yield* heading(`Slow queries${cutWords(view.slowQueries.length, report.summary.slow)}`)
  yield `Over ${report.settings.slowQueryMs} ms, or far above their shape's p95${order}.`
  if (view.slowQueries.length === 0) return
  yield ''
  yield* table(slowTable(view))
}

function* failed(view: ReportView): Generator<string> {
  const { report } = view
  yield* heading(`Failed queries${cutWords(view.failedQueries.length, report.summary.failed)}`)
  if (view.failedQueries.length === 0) {
    yield 'No query failed.'
    return
  }
  yield* table(failedTable(view))
}

function* queries(view: ReportView): Generator<string> {
  yield* heading('Queries')
  if (view.report.queries.length === 0) {
    yield 'No queries.'
    return
  }
  yield* table(queriesTable(view))
}
