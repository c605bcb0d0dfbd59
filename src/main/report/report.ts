/**
 * Reports from a session: the JSON report (`report --format json`) and its text rendering.
 * For now the totals and the queries; analysis findings, statistics and health are added by
 * their own work (see docs/report-format.md).
 */
import type { AppInfo, QueryRecord, SessionCounters } from '../../shared/domain'
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
  summary: {
    queries: number
    failed: number
    apps: number
    totalQueryMs: number
    maxQueryMs: number
    contexts: number
    counters: SessionCounters
  }
  apps: Pick<AppInfo, 'id' | 'name' | 'runtime' | 'orm' | 'dbSystem' | 'pid'>[]
  queries: ReportQuery[]
}

export function buildReport(session: SessionFile): Report {
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
    summary: {
      queries: session.queries.length,
      failed,
      apps: session.apps.length,
      totalQueryMs: round(totalQueryMs),
      maxQueryMs: round(maxQueryMs),
      contexts: contexts.size,
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
    queries,
  }
}

export function formatTextReport(report: Report): string {
  const { summary, session } = report
  const lines = [
    `FastORM Profiler report — session ${session.name ?? session.id}`,
    `Recorded ${new Date(session.startedAt).toISOString()} – ${new Date(session.endedAt).toISOString()}`,
    '',
    `Queries: ${summary.queries}   Failed: ${summary.failed}   Apps: ${summary.apps}   Contexts: ${summary.contexts}`,
    `Time in queries: ${summary.totalQueryMs} ms   Slowest: ${summary.maxQueryMs} ms`,
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

function oneLine(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim()
  return flat.length > 200 ? flat.slice(0, 199) + '…' : flat
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}
