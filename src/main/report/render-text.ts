/**
 * The plain-text report: what `report` prints by default. One block per chosen section,
 * lines yielded one at a time so a session of a million queries is never one string.
 */
import type { StackFrame } from '../../shared/domain'
import { reportOptions, type ReportOptions } from './options'
import type { Report } from './report'
import { appName, reportView, type ReportView } from './view'
import {
  callSiteWords,
  cutWords,
  errorWords,
  flat,
  formatNumber,
  isoTime,
  KIND_TITLE,
  oneLine,
  paramsWords,
  redactionWords,
  scopeWords,
} from './wording'

export function* renderTextReport(report: Report, options: ReportOptions): Generator<string> {
  const view = reportView(report, options)
  const { session } = report
  yield `FastORM Profiler report — session ${flat(session.name ?? session.id)}`
  yield `Recorded ${isoTime(session.startedAt)} – ${isoTime(session.endedAt)}`
  const redaction = redactionWords(report)
  if (redaction) yield redaction
  if (view.has('summary')) yield* summary(view)
  if (view.has('apps')) yield* apps(view)
  if (view.has('findings')) yield* findings(view)
  if (view.has('fingerprints')) yield* fingerprints(view)
  if (view.has('slow')) yield* slow(view)
  if (view.has('failed')) yield* failed(view)
  if (view.has('queries')) yield* queries(view)
}

/** The detailed text report of every section, as one string. */
export function formatTextReport(report: Report, options: ReportOptions = reportOptions()): string {
  return [...renderTextReport(report, options)].join('\n') + '\n'
}

function* summary({ report }: ReportView): Generator<string> {
  const { summary } = report
  const { nPlusOne, duplicates, writeLoops } = summary.findings
  const { counters } = summary
  yield ''
  yield `Queries: ${summary.queries}   Failed: ${summary.failed}   Slow: ${summary.slow}   Apps: ${summary.apps}   Contexts: ${summary.contexts}`
  yield `Time in queries: ${summary.totalQueryMs} ms   Slowest: ${summary.maxQueryMs} ms   Shapes: ${summary.fingerprints}`
  yield `Findings: ${nPlusOne} N+1, ${duplicates} duplicate, ${writeLoops} write loop; ${summary.insights} recurring insight(s)`
  yield `Received ${counters.received}, evicted ${counters.evicted}, rejected ${counters.rejected}, dropped by agents ${counters.droppedByAgents}`
}

function* apps({ report }: ReportView): Generator<string> {
  if (report.apps.length === 0) return
  yield ''
  yield 'Apps:'
  for (const app of report.apps) {
    const parts = [
      app.runtime?.name,
      app.orm?.name,
      app.dbSystem,
      app.pid ? `pid ${app.pid}` : undefined,
    ]
    yield `  ${flat(app.name)} (${flat(parts.filter(Boolean).join(', '))})`
  }
}

function* findings(view: ReportView): Generator<string> {
  const { report, limits } = view
  if (view.findings.length > 0) {
    yield ''
    yield `Findings (most severe first)${cutWords(view.findings.length, report.findings.length)}:`
    for (const finding of view.findings) {
      yield (
        `  [${finding.severity.toUpperCase()}] ${KIND_TITLE[finding.kind]} ×${finding.count} ${scopeWords(finding.scope)}, ${finding.totalMs} ms` +
        `  (${flat(appName(view, finding.scope.appId))})`
      )
      yield `    ${oneLine(finding.fingerprint)}`
      if (finding.sourceSql !== undefined) {
        yield `    after #${finding.sourceQueryId}: ${oneLine(finding.sourceSql)}`
      }
      yield* callSiteLines(finding.callSites, limits.callSites)
      yield `    fix: ${finding.suggestion}`
    }
  }
  if (view.insights.length > 0) {
    yield ''
    yield `Recurring small N+1s (under the threshold, in many contexts)${cutWords(view.insights.length, report.insights.length)}:`
    for (const insight of view.insights) {
      yield `  ${insight.contexts} contexts, ~${insight.medianRepeats} queries each, ${insight.totalMs} ms in all`
      yield `    ${oneLine(insight.fingerprint)}`
      yield* callSiteLines(insight.callSites, limits.callSites)
      yield `    fix: ${insight.suggestion}`
    }
  }
}

function* fingerprints(view: ReportView): Generator<string> {
  const { report } = view
  if (view.fingerprints.length === 0) return
  const widths = [10, 7, 8, 8, 8, 8]
  yield ''
  yield `Query shapes by total time${cutWords(view.fingerprints.length, report.fingerprints.length)}:`
  yield `  ${['total ms', 'count', 'p50', 'p95', 'p99', 'max'].map((head, i) => head.padStart(widths[i]!)).join(' ')}  shape`
  for (const stats of view.fingerprints) {
    const cells = [stats.totalMs, stats.count, stats.p50Ms, stats.p95Ms, stats.p99Ms, stats.maxMs]
    const row = cells.map((cell, i) => formatNumber(cell).padStart(widths[i]!)).join(' ')
    yield (
      `  ${row}  ${oneLine(stats.fingerprint, 120)}` +
      (stats.errors > 0 ? `  (${stats.errors} failed)` : '')
    )
  }
}

function* slow(view: ReportView): Generator<string> {
  const { report } = view
  if (view.slowQueries.length === 0) return
  const order = view.options.kind === 'summary' ? ', slowest first' : ''
  yield ''
  yield `Slow queries (over ${report.settings.slowQueryMs} ms, or far above their shape's p95${order})${cutWords(view.slowQueries.length, report.summary.slow)}:`
  for (const query of view.slowQueries) {
    const why = query.reason === 'outlier' ? `  outlier: p95 of its shape ${query.p95Ms} ms` : ''
    yield (
      `  #${query.queryId} ${query.durationMs.toFixed(2)} ms${why}` +
      (query.contextName ? `  [${flat(query.contextName)}]` : '')
    )
    yield `    ${oneLine(query.sql)}`
    yield* callSiteLines(query.callSite ? [query.callSite] : [], 1)
  }
}

function* failed(view: ReportView): Generator<string> {
  const { report } = view
  if (view.failedQueries.length === 0) return
  yield ''
  yield `Failed queries${cutWords(view.failedQueries.length, report.summary.failed)}:`
  for (const query of view.failedQueries) {
    yield (
      `  #${query.queryId} ${errorWords(query.error)}` +
      (query.contextName ? `  [${flat(query.contextName)}]` : '')
    )
    yield `    ${oneLine(query.sql)}`
    yield* callSiteLines(query.callSite ? [query.callSite] : [], 1)
  }
}

function* queries(view: ReportView): Generator<string> {
  const withParams = view.options.kind === 'detailed'
  yield ''
  yield 'Queries:'
  for (const query of view.report.queries) {
    const status = query.error ? `FAILED ${errorWords(query.error)}` : `${query.rows ?? '-'} rows`
    yield (
      `  #${query.id} ${isoTime(query.startTime)} ${query.durationMs.toFixed(2)} ms  ${status}` +
      (query.context ? `  [${flat(query.context)}]` : '')
    )
    yield `    ${oneLine(query.sql)}`
    if (withParams && query.params !== undefined) yield `    params: ${paramsWords(query.params)}`
    if (query.callSite) yield `    at ${flat(query.callSite)}`
  }
}

function* callSiteLines(frames: StackFrame[], max: number): Generator<string> {
  for (const frame of frames.slice(0, max)) yield `    at ${callSiteWords(frame)}`
}
