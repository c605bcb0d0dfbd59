/**
 * Reports from a session: the JSON report (`report --format json`, documented in
 * docs/report-format.md) that every other format is rendered from. The analysis runs over
 * the session's queries (an Analyzer, finalized: every context is complete) and its results
 * go in beside the totals and the queries: per-shape statistics, findings, recurring
 * insights, slow and failed queries.
 *
 * - `analyzeSessionFile`: the analysis and totals alone (what `check` and `diff` read),
 * - `buildReport`: those plus the apps and every query,
 * - `reportDocument`: the JSON of the chosen sections; `render.ts` writes every format.
 */
import type { AnalysisSettings } from '../../shared/analysis'
import type { AppInfo, QueryRecord, SessionCounters } from '../../shared/domain'
import type { AnalyzedSession, SessionHealthSnapshot } from '../../shared/session-diff'
import { analyzeSession, type Analyzer } from '../analysis/analyzer'
import type { SessionFile } from '../session/session-file'
import type { ReportKind, ReportOptions, ReportSection } from './options'

export { formatTextReport } from './render-text'

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

export interface Report extends Omit<AnalyzedSession, 'health'> {
  format: 'fastorm-profiler-report'
  version: 1
  /** Present when the SQL, parameters and error messages shown were redacted. */
  redacted?: { secrets: boolean; droppedParams: boolean }
  apps: Pick<AppInfo, 'id' | 'name' | 'runtime' | 'orm' | 'dbSystem' | 'pid'>[]
  /** Every query of the session in id order (empty when built without them). */
  queries: ReportQuery[]
}

/** The analysis of a session file and its totals, without the queries. */
export function analyzeSessionFile(
  session: SessionFile,
  settings: Partial<AnalysisSettings> = {},
): AnalyzedSession {
  const analyzer = analyzeSession(session.queries, session.apps, settings)
  const totals = { failed: 0, totalQueryMs: 0, maxQueryMs: 0, contexts: 0 }
  const contexts = new Set<string>()
  for (const query of session.queries) {
    if (query.error) totals.failed++
    totals.totalQueryMs += query.durationMs
    if (query.durationMs > totals.maxQueryMs) totals.maxQueryMs = query.durationMs
    if (query.context) contexts.add(query.context.id)
  }
  totals.contexts = contexts.size
  return analyzedSession(analyzer, {
    session: session.session,
    queries: session.queries.length,
    apps: session.apps.length,
    totals,
    counters: session.counters,
    health: 'health' in session ? session.health : null,
  })
}

/** Figures of a session's queries that do not depend on the analysis settings. */
export interface QueryTotals {
  failed: number
  totalQueryMs: number
  maxQueryMs: number
  contexts: number
}

/** What `analyzedSession` needs of a session besides its finished analysis. */
export interface AnalyzedSessionSource {
  session: AnalyzedSession['session']
  queries: number
  apps: number
  totals: QueryTotals
  counters: SessionCounters
  /** As the session carries it; anything but an object (files from before health) is none. */
  health: unknown
}

/**
 * A finished analysis with its session's totals: what a report, `diff` and the compare view
 * read, whether the session came from a file or was loaded into memory.
 */
export function analyzedSession(
  analyzer: Analyzer,
  source: AnalyzedSessionSource,
): AnalyzedSession {
  const analysis = analyzer.summary()
  const { findings, insights } = analyzer.findingsResult()
  const all = { offset: 0, limit: Number.MAX_SAFE_INTEGER }
  const { totals, health } = source
  return {
    session: source.session,
    settings: { ...analyzer.settings },
    summary: {
      queries: source.queries,
      failed: totals.failed,
      slow: analysis.slow,
      apps: source.apps,
      totalQueryMs: round(totals.totalQueryMs),
      maxQueryMs: round(totals.maxQueryMs),
      contexts: totals.contexts,
      fingerprints: analysis.fingerprints,
      findings: {
        nPlusOne: analysis.findings['n-plus-one'],
        duplicates: analysis.findings.duplicate,
        writeLoops: analysis.findings['write-loop'],
      },
      insights: analysis.insights,
      counters: source.counters,
    },
    fingerprints: analyzer.fingerprintPage({ ...all, sortBy: 'totalMs' }).rows,
    findings,
    insights,
    slowQueries: analyzer.slowPage(all).rows.reverse(),
    failedQueries: analyzer.failedPage(all).rows.reverse(),
    health:
      typeof health === 'object' && health !== null && !Array.isArray(health)
        ? (health as SessionHealthSnapshot)
        : null,
  }
}

/**
 * Takes secrets out of a query as it is shown (`createRedactor` in session/redaction.ts is
 * one): what the report prints of each query, and raw SQL quoted elsewhere.
 */
export interface ReportRedactor {
  (query: QueryRecord): QueryRecord
  sql(text: string, appId?: string): string
}

export interface BuildOptions {
  /** Whether to list every query (`queries`); false leaves the list empty. */
  queries?: boolean
  /**
   * Applied to what the report shows, after the analysis: redacting before it would make
   * an N+1 over secret values look like one value repeated (a duplicate).
   */
  redaction?: { redactor: ReportRedactor; secrets: boolean; droppedParams: boolean }
}

export function buildReport(
  session: SessionFile,
  settings: Partial<AnalysisSettings> = {},
  { queries: withQueries = true, redaction }: BuildOptions = {},
): Report {
  // Health stays out of the report until the health checks define what it shows.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { health, ...analyzed } = analyzeSessionFile(session, settings)
  const appNames = new Map(session.apps.map((app) => [app.id, app.name]))
  const redact = redaction?.redactor
  const queries: ReportQuery[] = withQueries
    ? session.queries.map((original) => {
        const query = redact ? redact(original) : original
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
    : []
  const shown = redact ? redactAnalysis(analyzed, redact) : analyzed
  return {
    format: 'fastorm-profiler-report',
    version: 1,
    ...(redaction
      ? { redacted: { secrets: redaction.secrets, droppedParams: redaction.droppedParams } }
      : {}),
    session: analyzed.session,
    settings: analyzed.settings,
    summary: analyzed.summary,
    apps: session.apps.map(({ id, name, runtime, orm, dbSystem, pid }) => ({
      id,
      name,
      runtime,
      orm,
      dbSystem,
      pid,
    })),
    fingerprints: analyzed.fingerprints,
    findings: shown.findings,
    insights: analyzed.insights,
    slowQueries: shown.slowQueries,
    failedQueries: shown.failedQueries,
    queries,
  }
}

/**
 * The raw SQL and error messages the analysis quotes, redacted: an N+1's source query, slow
 * and failed queries. Shapes need nothing: their values are already `?`.
 */
function redactAnalysis(
  analyzed: Omit<AnalyzedSession, 'health'>,
  redact: ReportRedactor,
): Pick<AnalyzedSession, 'findings' | 'slowQueries' | 'failedQueries'> {
  return {
    findings: analyzed.findings.map((finding) =>
      finding.sourceSql === undefined
        ? finding
        : { ...finding, sourceSql: redact.sql(finding.sourceSql, finding.scope.appId) },
    ),
    slowQueries: analyzed.slowQueries.map((slow) => ({
      ...slow,
      sql: redact.sql(slow.sql, slow.appId),
    })),
    failedQueries: analyzed.failedQueries.map((failed) => {
      const { sql, error } = redact({
        id: failed.queryId,
        appId: failed.appId,
        sql: failed.sql,
        startTime: failed.startTime,
        durationMs: failed.durationMs,
        error: failed.error,
      })
      return { ...failed, sql, error: error ?? failed.error }
    }),
  }
}

/** The JSON report's fields each section brings (the others are always there). */
const SECTION_FIELDS: Record<ReportSection, (keyof Report)[]> = {
  summary: ['summary'],
  apps: ['apps'],
  findings: ['findings', 'insights'],
  fingerprints: ['fingerprints'],
  slow: ['slowQueries'],
  failed: ['failedQueries'],
  queries: ['queries'],
}

/** The JSON report of the chosen sections: fields of the others are left out. */
export type ReportDocument = Pick<
  Report,
  'format' | 'version' | 'redacted' | 'session' | 'settings'
> & {
  kind: ReportKind
  sections: ReportSection[]
} & Partial<Omit<Report, 'format' | 'version' | 'redacted' | 'session' | 'settings'>>

export function reportDocument(report: Report, options: ReportOptions): ReportDocument {
  const document: ReportDocument = {
    format: report.format,
    version: report.version,
    kind: options.kind,
    sections: [...options.sections],
    ...(report.redacted ? { redacted: report.redacted } : {}),
    session: report.session,
    settings: report.settings,
  }
  const fields = new Set(options.sections.flatMap((section) => SECTION_FIELDS[section]))
  // In the report's own field order, so the JSON reads the same whatever sections are chosen.
  for (const key of Object.keys(report) as (keyof Report)[]) {
    if (fields.has(key)) Object.assign(document, { [key]: report[key] })
  }
  return document
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}
