/**
 * The report's tables as data — headings, which columns are figures, and the cells — so the
 * Markdown and HTML reports always show the same columns and differ only in markup. Cells are
 * plain text from the session; a cell's `kind` tells a renderer how it may dress it. Each
 * renderer escapes every cell itself.
 */
import type { AppInfo } from '../../shared/domain'
import type { Report } from './report'
import type { ReportView } from './view'
import { callSiteWords, errorWords, formatNumber, isoTime, paramsWords } from './wording'

export type Cell = string | { kind: 'sql' | 'code' | 'failed'; text: string }

export interface ReportTable {
  head: string[]
  /** Indexes of the columns holding figures (right-aligned). */
  numeric: number[]
  /** Rows, made as they are read: the queries table of a million queries is never an array. */
  rows: Iterable<Cell[]>
}

/** The summary's name / value pairs. */
export function summaryTotals(report: Report): [string, string][] {
  const { summary, settings } = report
  const { counters, findings } = summary
  return [
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
      `${findings.nPlusOne} N+1, ${findings.duplicates} duplicate, ${findings.writeLoops} write loop`,
    ],
    ['Recurring insights', String(summary.insights)],
    [
      'Received',
      `${counters.received} (evicted ${counters.evicted}, rejected ${counters.rejected}, dropped by agents ${counters.droppedByAgents})`,
    ],
  ]
}

export function appsTable(
  apps: readonly Pick<AppInfo, 'name' | 'runtime' | 'orm' | 'dbSystem' | 'pid'>[],
): ReportTable {
  return {
    head: ['app', 'runtime', 'ORM', 'database', 'pid'],
    numeric: [4],
    rows: apps.map((app) => [
      app.name,
      [app.runtime?.name, app.runtime?.version].filter(Boolean).join(' '),
      [app.orm?.name, app.orm?.version].filter(Boolean).join(' '),
      app.dbSystem ?? '',
      app.pid === undefined ? '' : String(app.pid),
    ]),
  }
}

export function fingerprintsTable(view: ReportView): ReportTable {
  return {
    head: ['total ms', 'count', 'p50', 'p95', 'p99', 'max', 'failed', 'shape'],
    numeric: [0, 1, 2, 3, 4, 5, 6],
    rows: view.fingerprints.map((stats) => [
      ...[
        stats.totalMs,
        stats.count,
        stats.p50Ms,
        stats.p95Ms,
        stats.p99Ms,
        stats.maxMs,
        stats.errors,
      ].map(formatNumber),
      { kind: 'sql', text: stats.fingerprint },
    ]),
  }
}

export function slowTable(view: ReportView): ReportTable {
  return {
    head: ['#', 'ms', 'why', 'context', 'SQL', 'call site'],
    numeric: [0, 1],
    rows: view.slowQueries.map((query) => [
      String(query.queryId),
      query.durationMs.toFixed(2),
      query.reason === 'outlier' ? `outlier (p95 ${query.p95Ms} ms)` : 'threshold',
      query.contextName ?? '',
      { kind: 'sql', text: query.sql },
      query.callSite ? { kind: 'code', text: callSiteWords(query.callSite) } : '',
    ]),
  }
}

export function failedTable(view: ReportView): ReportTable {
  return {
    head: ['#', 'error', 'context', 'SQL', 'call site'],
    numeric: [0],
    rows: view.failedQueries.map((query) => [
      String(query.queryId),
      { kind: 'failed', text: errorWords(query.error) },
      query.contextName ?? '',
      { kind: 'sql', text: query.sql },
      query.callSite ? { kind: 'code', text: callSiteWords(query.callSite) } : '',
    ]),
  }
}

/** Every query; the detailed kind adds their parameters. */
export function queriesTable(view: ReportView): ReportTable {
  const withParams = view.options.kind === 'detailed'
  const head = ['#', 'start', 'ms', 'rows', 'context', 'SQL']
  if (withParams) head.push('params')
  head.push('call site')
  return { head, numeric: [0, 2], rows: queryRows(view.report, withParams) }
}

function* queryRows(report: Report, withParams: boolean): Generator<Cell[]> {
  for (const query of report.queries) {
    const row: Cell[] = [
      String(query.id),
      isoTime(query.startTime),
      query.durationMs.toFixed(2),
      query.error
        ? { kind: 'failed', text: `failed: ${errorWords(query.error)}` }
        : String(query.rows ?? ''),
      query.context ?? '',
      { kind: 'sql', text: query.sql },
    ]
    if (withParams) {
      row.push(
        query.params === undefined ? '' : { kind: 'code', text: paramsWords(query.params, 500) },
      )
    }
    row.push(query.callSite ? { kind: 'code', text: query.callSite } : '')
    yield row
  }
}
