/**
 * Reports from a session: the JSON report (`report --format json`, documented in
 * docs/report-format.md) and its text rendering. The analysis runs over the session's
 * queries (an Analyzer, finalized: every context is complete) and its results go in beside
 * the totals and the queries: per-shape statistics, findings, recurring insights, slow and
 * failed queries.
 */
import type {
  AnalysisSettings,
  FailedQuery,
  Finding,
  FingerprintStats,
  RecurringInsight,
  SlowQuery,
} from '../../shared/analysis'
import type { AppInfo, QueryRecord, SessionCounters, StackFrame } from '../../shared/domain'
import { analyzeSession } from '../analysis/analyzer'
import { formatFrame } from '../analysis/call-sites'
import type { SessionFile } from '../session/session-file'

export interface ReportQuery {
  id: number
  app: string
  sql: string
  params?: QueryRecord['params']
  startTime: number
  durationMs: number
  rows?: number
  error?: QueryRecord['error']
  context?: string
  callSite?: string
}

export interface Report {
  format: 'fastorm-profiler-report'
  version: 1
  session: SessionFile['session']
  /** The analysis thresholds the findings and slow queries were judged by. */
  settings: AnalysisSettings
  summary: {
    queries: number
    failed: number
    /** Slow queries: over `settings.slowQueryMs`, or outliers of their shape. */
    slow: number
    apps: number
    totalQueryMs: number
    maxQueryMs: number
    contexts: number
    /** Distinct query shapes. */
    fingerprints: number
    findings: { nPlusOne: number; duplicates: number; writeLoops: number }
    insights: number
    counters: SessionCounters
  }
  apps: Pick<AppInfo, 'id' | 'name' | 'runtime' | 'orm' | 'dbSystem' | 'pid'>[]
  /** Every query shape, most total time first. */
  fingerprints: FingerprintStats[]
  /** Most severe first, then in time order. */
  findings: Finding[]
  insights: RecurringInsight[]
  /** In time order; the newest 1,000 when there were more (`summary.slow` counts them all). */
  slowQueries: SlowQuery[]
  failedQueries: FailedQuery[]
  queries: ReportQuery[]
}

export function buildReport(
  session: SessionFile,
  settings: Partial<AnalysisSettings> = {},
): Report {
  const analyzer = analyzeSession(session.queries, session.apps, settings)
  const analysis = analyzer.summary()
  const { findings, insights } = analyzer.findingsResult()
  const all = { offset: 0, limit: Number.MAX_SAFE_INTEGER }

  const appNames = new Map(session.apps.map((app) => [app.id, app.name]))
  const contexts = new Set<string>()
  let failed = 0
  let totalQueryMs = 0
  let maxQueryMs = 0
  const queries: ReportQuery[] = session.queries.map((query) => {
    if (query.error) failed++
    totalQueryMs += query.durationMs
    maxQueryMs = Math.max(maxQueryMs, query.durationMs)
    if (query.context) contexts.add(query.context.id)
    const frame = query.stack?.[0]
    return {
      id: query.id,
      app: appNames.get(query.appId) ?? query.appId,
      sql: query.sql,
      params: query.params,
      startTime: query.startTime,
      durationMs: query.durationMs,
      rows: query.rows,
      error: query.error,
      context: query.context?.name ?? query.context?.id,
      callSite: frame ? `${frame.file}:${frame.line ?? '?'}:${frame.column ?? '?'}` : undefined,
    }
  })
  return {
    format: 'fastorm-profiler-report',
    version: 1,
    session: session.session,
    settings: { ...analyzer.settings },
    summary: {
      queries: session.queries.length,
      failed,
      slow: analysis.slow,
      apps: session.apps.length,
      totalQueryMs: round(totalQueryMs),
      maxQueryMs: round(maxQueryMs),
      contexts: contexts.size,
      fingerprints: analysis.fingerprints,
      findings: {
        nPlusOne: analysis.findings['n-plus-one'],
        duplicates: analysis.findings.duplicate,
        writeLoops: analysis.findings['write-loop'],
      },
      insights: analysis.insights,
      counters: session.counters,
    },
    apps: session.apps.map(({ id, name, runtime, orm, dbSystem, pid }) => ({
      id,
      name,
      runtime,
      orm,
      dbSystem,
      pid,
    })),
    fingerprints: analyzer.fingerprintPage({ ...all, sortBy: 'totalMs' }).rows,
    findings,
    insights,
    slowQueries: analyzer.slowPage(all).rows.reverse(),
    failedQueries: analyzer.failedPage(all).rows.reverse(),
    queries,
  }
}

/** Shapes listed in the text report (the JSON has them all). */
const TEXT_TOP_FINGERPRINTS = 15

export function formatTextReport(report: Report): string {
  const { summary, session } = report
  const appNames = new Map(report.apps.map((app) => [app.id, app.name]))
  const { nPlusOne, duplicates, writeLoops } = summary.findings
  const lines = [
    `FastORM Profiler report — session ${session.name ?? session.id}`,
    `Recorded ${new Date(session.startedAt).toISOString()} – ${new Date(session.endedAt).toISOString()}`,
    '',
    `Queries: ${summary.queries}   Failed: ${summary.failed}   Slow: ${summary.slow}   Apps: ${summary.apps}   Contexts: ${summary.contexts}`,
    `Time in queries: ${summary.totalQueryMs} ms   Slowest: ${summary.maxQueryMs} ms   Shapes: ${summary.fingerprints}`,
    `Findings: ${nPlusOne} N+1, ${duplicates} duplicate, ${writeLoops} write loop; ${summary.insights} recurring insight(s)`,
    `Received ${summary.counters.received}, evicted ${summary.counters.evicted}, rejected ${summary.counters.rejected}, dropped by agents ${summary.counters.droppedByAgents}`,
  ]
  if (report.apps.length > 0) {
    lines.push('', 'Apps:')
    for (const app of report.apps) {
      const parts = [
        app.runtime?.name,
        app.orm?.name,
        app.dbSystem,
        app.pid ? `pid ${app.pid}` : undefined,
      ]
      lines.push(`  ${app.name} (${parts.filter(Boolean).join(', ')})`)
    }
  }

  if (report.findings.length > 0) {
    lines.push('', 'Findings (most severe first):')
    for (const finding of report.findings) {
      const scope = finding.scope.name
        ? `"${finding.scope.name}" (${finding.scope.id})`
        : finding.scope.id
      const where = finding.scope.kind === 'context' ? `in ${scope}` : `on ${scope}`
      lines.push(
        `  [${finding.severity.toUpperCase()}] ${KIND_TITLE[finding.kind]} ×${finding.count} ${where}, ${finding.totalMs} ms` +
          `  (${appNames.get(finding.scope.appId) ?? finding.scope.appId})`,
        `    ${oneLine(finding.fingerprint)}`,
      )
      if (finding.sourceSql !== undefined) {
        lines.push(`    after #${finding.sourceQueryId}: ${oneLine(finding.sourceSql)}`)
      }
      lines.push(...callSiteLines(finding.callSites))
      lines.push(`    fix: ${finding.suggestion}`)
    }
  }
  if (report.insights.length > 0) {
    lines.push('', 'Recurring small N+1s (under the threshold, in many contexts):')
    for (const insight of report.insights) {
      lines.push(
        `  ${insight.contexts} contexts, ~${insight.medianRepeats} queries each, ${insight.totalMs} ms in all`,
        `    ${oneLine(insight.fingerprint)}`,
        ...callSiteLines(insight.callSites),
        `    fix: ${insight.suggestion}`,
      )
    }
  }

  if (report.fingerprints.length > 0) {
    const shown = report.fingerprints.slice(0, TEXT_TOP_FINGERPRINTS)
    lines.push(
      '',
      `Query shapes by total time${report.fingerprints.length > shown.length ? ` (top ${shown.length} of ${report.fingerprints.length})` : ''}:`,
      `  ${'total ms'.padStart(10)} ${'count'.padStart(7)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(8)}  shape`,
    )
    for (const stats of shown) {
      const cells = [stats.totalMs, stats.count, stats.p50Ms, stats.p95Ms, stats.p99Ms, stats.maxMs]
      const widths = [10, 7, 8, 8, 8, 8]
      const row = cells.map((cell, i) => formatCell(cell).padStart(widths[i]!)).join(' ')
      lines.push(
        `  ${row}  ${oneLine(stats.fingerprint, 120)}` +
          (stats.errors > 0 ? `  (${stats.errors} failed)` : ''),
      )
    }
  }

  if (report.slowQueries.length > 0) {
    lines.push(
      '',
      `Slow queries (over ${report.settings.slowQueryMs} ms, or far above their shape's p95):`,
    )
    for (const slow of report.slowQueries) {
      const why = slow.reason === 'outlier' ? `  outlier: p95 of its shape ${slow.p95Ms} ms` : ''
      lines.push(
        `  #${slow.queryId} ${slow.durationMs.toFixed(2)} ms${why}` +
          (slow.contextName ? `  [${slow.contextName}]` : ''),
        `    ${oneLine(slow.sql)}`,
        ...callSiteLines(slow.callSite ? [slow.callSite] : []),
      )
    }
  }
  if (report.failedQueries.length > 0) {
    lines.push('', 'Failed queries:')
    for (const failed of report.failedQueries) {
      lines.push(
        `  #${failed.queryId} ${`${failed.error.type ?? ''} ${failed.error.message}`.trim()}` +
          (failed.contextName ? `  [${failed.contextName}]` : ''),
        `    ${oneLine(failed.sql)}`,
        ...callSiteLines(failed.callSite ? [failed.callSite] : []),
      )
    }
  }

  lines.push('', 'Queries:')
  for (const query of report.queries) {
    const status = query.error
      ? `FAILED ${query.error.type ?? ''} ${query.error.message}`.trim()
      : `${query.rows ?? '-'} rows`
    lines.push(
      `  #${query.id} ${new Date(query.startTime).toISOString()} ${query.durationMs.toFixed(2)} ms  ${status}` +
        (query.context ? `  [${query.context}]` : ''),
      `    ${oneLine(query.sql)}`,
    )
    if (query.callSite) lines.push(`    at ${query.callSite}`)
  }
  return lines.join('\n') + '\n'
}

const KIND_TITLE: Record<Finding['kind'], string> = {
  'n-plus-one': 'N+1 read',
  duplicate: 'Duplicate query',
  'write-loop': 'Write loop',
}

function callSiteLines(frames: StackFrame[]): string[] {
  return frames
    .slice(0, 3)
    .map((frame) => `    at ${formatFrame(frame)}${frame.function ? ` (${frame.function})` : ''}`)
}

function formatCell(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(value >= 100 ? 1 : 2)
}

function oneLine(sql: string, max = 200): string {
  const flat = sql.replace(/\s+/g, ' ').trim()
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}
