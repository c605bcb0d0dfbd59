/**
 * The Markdown report: headings per section, tables for the lists, each finding with its
 * SQL in a code block. Every value from the session goes through `markdownText` or
 * `markdownCode` (escape.ts), so it shows as written and never as markup.
 */
import type { StackFrame } from '../../shared/domain'
import { markdownCode, markdownText } from './escape'
import type { ReportOptions } from './options'
import type { Report } from './report'
import { appName, reportView, type ReportView } from './view'
import {
  callSiteWords,
  cutWords,
  errorWords,
  formatNumber,
  isoTime,
  KIND_TITLE,
  oneLine,
  paramsWords,
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

function* table(
  head: string[],
  rows: Iterable<string[]>,
  alignRight: number[] = [],
): Generator<string> {
  yield `| ${head.join(' | ')} |`
  yield `| ${head.map((_, i) => (alignRight.includes(i) ? '---:' : '---')).join(' | ')} |`
  for (const row of rows) yield `| ${row.join(' | ')} |`
}

function* summary({ report }: ReportView): Generator<string> {
  const { summary, settings } = report
  const { counters } = summary
  yield* heading('Summary')
  yield* table(
    ['', ''],
    [
      ['Queries', String(summary.queries)],
      ['Failed', String(summary.failed)],
      ['Slow', `${summary.slow} (over ${settings.slowQueryMs} ms, or outliers of their shape)`],
      ['Time in queries', `${summary.totalQueryMs} ms`],
      ['Slowest query', `${summary.maxQueryMs} ms`],
      ['Query shapes', String(summary.fingerprints)],
      ['Apps', String(summary.apps)],
      ['Contexts', String(summary.contexts)],
      [
        'Findings',
        `${summary.findings.nPlusOne} N+1, ${summary.findings.duplicates} duplicate, ${summary.findings.writeLoops} write loop`,
      ],
      ['Recurring insights', String(summary.insights)],
      [
        'Received',
        `${counters.received} (evicted ${counters.evicted}, rejected ${counters.rejected}, dropped by agents ${counters.droppedByAgents})`,
      ],
    ],
  )
}

function* apps({ report }: ReportView): Generator<string> {
  yield* heading('Apps')
  if (report.apps.length === 0) {
    yield 'No app sent queries.'
    return
  }
  yield* table(
    ['app', 'runtime', 'ORM', 'database', 'pid'],
    report.apps.map((app) => [
      markdownText(app.name),
      markdownText([app.runtime?.name, app.runtime?.version].filter(Boolean).join(' ')),
      markdownText([app.orm?.name, app.orm?.version].filter(Boolean).join(' ')),
      markdownText(app.dbSystem ?? ''),
      app.pid === undefined ? '' : String(app.pid),
    ]),
  )
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
  yield* table(
    ['total ms', 'count', 'p50', 'p95', 'p99', 'max', 'failed', 'shape'],
    view.fingerprints.map((stats) => [
      ...[
        stats.totalMs,
        stats.count,
        stats.p50Ms,
        stats.p95Ms,
        stats.p99Ms,
        stats.maxMs,
        stats.errors,
      ].map(formatNumber),
      markdownText(oneLine(stats.fingerprint, 300)),
    ]),
    [0, 1, 2, 3, 4, 5, 6],
  )
}

function* slow(view: ReportView): Generator<string> {
  const { report } = view
  const order = view.options.kind === 'summary' ? ', slowest first' : ''
  yield* heading(`Slow queries${cutWords(view.slowQueries.length, report.summary.slow)}`)
  yield `Over ${report.settings.slowQueryMs} ms, or far above their shape's p95${order}.`
  if (view.slowQueries.length === 0) return
  yield ''
  yield* table(
    ['#', 'ms', 'why', 'context', 'SQL', 'call site'],
    view.slowQueries.map((query) => [
      String(query.queryId),
      query.durationMs.toFixed(2),
      query.reason === 'outlier' ? `outlier (p95 ${query.p95Ms} ms)` : 'threshold',
      markdownText(query.contextName ?? ''),
      markdownText(oneLine(query.sql, 300)),
      query.callSite ? markdownText(callSiteWords(query.callSite)) : '',
    ]),
    [0, 1],
  )
}

function* failed(view: ReportView): Generator<string> {
  const { report } = view
  yield* heading(`Failed queries${cutWords(view.failedQueries.length, report.summary.failed)}`)
  if (view.failedQueries.length === 0) {
    yield 'No query failed.'
    return
  }
  yield* table(
    ['#', 'error', 'context', 'SQL', 'call site'],
    view.failedQueries.map((query) => [
      String(query.queryId),
      markdownText(errorWords(query.error)),
      markdownText(query.contextName ?? ''),
      markdownText(oneLine(query.sql, 300)),
      query.callSite ? markdownText(callSiteWords(query.callSite)) : '',
    ]),
    [0],
  )
}

function* queries(view: ReportView): Generator<string> {
  const withParams = view.options.kind === 'detailed'
  yield* heading('Queries')
  if (view.report.queries.length === 0) {
    yield 'No queries.'
    return
  }
  const head = ['#', 'start', 'ms', 'rows', 'context', 'SQL']
  if (withParams) head.push('params')
  head.push('call site')
  yield* table(
    head,
    (function* () {
      for (const query of view.report.queries) {
        const row = [
          String(query.id),
          isoTime(query.startTime),
          query.durationMs.toFixed(2),
          query.error
            ? `failed: ${markdownText(errorWords(query.error))}`
            : String(query.rows ?? ''),
          markdownText(query.context ?? ''),
          markdownText(oneLine(query.sql, 300)),
        ]
        if (withParams)
          row.push(query.params === undefined ? '' : markdownText(paramsWords(query.params)))
        row.push(markdownText(query.callSite ?? ''))
        yield row
      }
    })(),
    [0, 2],
  )
}
