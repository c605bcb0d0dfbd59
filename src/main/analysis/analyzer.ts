/**
 * The Analyzer: fingerprints each query once (in the dialect of the app that sent it), finds
 * its scope, and feeds every analysis:
 *
 *   query ──▶ fingerprint (cached by text) ──▶ scope (context / connection burst)
 *               ├─▶ Statistics      per shape: count, time, percentiles, ...
 *               ├─▶ SlowAndFailed   slow (threshold, outliers) and failed lists ─┐ mark queries
 *               └─▶ FindingsDetector N+1, duplicates, write loops, insights ──────┘ for the Timeline
 *
 * The Timeline indexes no query at ingest: when a window is asked for it reads the queries
 * added since from `source` (the live session's columns), see timeline.ts.
 *
 * It runs live (the Profiler feeds each query as it is stored) and on loaded sessions (the
 * report builds one over a session file's queries, then calls `finalize`). The handlers keep
 * ids and numbers, not the queries; `lookup` reads a query back when one must be shown.
 */
import {
  DEFAULT_ANALYSIS_SETTINGS,
  type AnalysisSettings,
  type AnalysisSummary,
  type FailedQuery,
  type Finding,
  type FindingsResult,
  type FingerprintPageRequest,
  type FingerprintStats,
  type ListPageRequest,
  type Page,
  type SlowQuery,
  type TimelineRequest,
  type TimelineWindow,
} from '../../shared/analysis'
import type { AppInfo, QueryRecord } from '../../shared/domain'
import { dialectFor, fingerprint, type Dialect, type Fingerprint } from './fingerprint'
import { FindingsDetector } from './findings'
import type { QueryLookup } from './handler'
import { ScopeTracker } from './scopes'
import { SlowAndFailed } from './slow-failed'
import { Statistics } from './statistics'
import { Timeline, type TimelineSource } from './timeline'

/** Texts whose fingerprints are remembered by reference (see `fingerprintOf`). */
const RECENT_TEXTS = 16

export interface AnalyzerOptions {
  settings?: Partial<AnalysisSettings>
  /** How many of the latest queries the timeline indexes: the live session's capacity. */
  capacity: number
  lookup: QueryLookup
  /** Where the timeline reads the held queries from; without one its windows are empty. */
  source?: TimelineSource
}

export class Analyzer {
  /** The settings in force; the handlers read this same object. */
  readonly settings: AnalysisSettings
  readonly statistics: Statistics
  readonly findings: FindingsDetector
  readonly slowAndFailed: SlowAndFailed
  readonly timeline: Timeline
  private readonly scopes: ScopeTracker
  private dialects = new Map<string, Dialect>()
  private readonly recentTexts: (string | undefined)[] = new Array(RECENT_TEXTS).fill(undefined)
  private readonly recentApps: (AppInfo | undefined)[] = new Array(RECENT_TEXTS).fill(undefined)
  private readonly recentShapes: (Fingerprint | undefined)[] = new Array(RECENT_TEXTS).fill(
    undefined,
  )
  private recentNext = 0
  private analyzed = 0

  constructor(options: AnalyzerOptions) {
    this.settings = { ...DEFAULT_ANALYSIS_SETTINGS, ...options.settings }
    this.timeline = new Timeline(options.capacity, options.lookup, options.source, this.settings)
    this.statistics = new Statistics()
    this.slowAndFailed = new SlowAndFailed(this.settings, this.statistics, this.timeline)
    this.findings = new FindingsDetector(this.settings, options.lookup, this.timeline)
    this.scopes = new ScopeTracker(this.settings, {
      scopeClosed: (scope) => this.findings.scopeClosed(scope),
    })
  }

  /** Analyzes one query (ids must grow from one call to the next). */
  handleQuery(query: QueryRecord, app: AppInfo): void {
    const fp = this.fingerprintOf(query.sql, app)
    const scope = this.scopes.scopeOf(query, app)
    this.analyzed++
    this.statistics.handleQuery(query, app, fp)
    this.slowAndFailed.handleQuery(query, app, fp)
    this.findings.handleQuery(query, app, fp, scope)
  }

  /** Scopes open now (contexts not yet ended or idle, and the current bursts). */
  get openScopes(): number {
    return this.scopes.open
  }

  /**
   * The agent says a context has ended: its scope closes now (its findings are final) rather
   * than once idle. A context not open (never seen, or already closed) is ignored.
   */
  endContext(app: AppInfo, contextId: string): void {
    this.scopes.endContext(app, contextId)
  }

  /**
   * The query's fingerprint. The live session hands every query of one statement the same
   * text object, so the texts fingerprinted last are looked for by reference first (a few
   * pointer comparisons instead of the fingerprint cache's map lookups); their app is
   * compared too, as the dialect is the app's.
   */
  private fingerprintOf(sql: string, app: AppInfo): Fingerprint {
    const texts = this.recentTexts
    for (let i = 0; i < RECENT_TEXTS; i++) {
      if (texts[i] === sql && this.recentApps[i] === app) return this.recentShapes[i]!
    }
    let dialect = this.dialects.get(app.id)
    if (dialect === undefined) this.dialects.set(app.id, (dialect = dialectFor(app.dbSystem)))
    const fp = fingerprint(sql, dialect)
    const at = this.recentNext
    texts[at] = sql
    this.recentApps[at] = app
    this.recentShapes[at] = fp
    this.recentNext = (at + 1) % RECENT_TEXTS
    return fp
  }

  /** No more queries will come (a loaded session): every scope is complete. */
  finalize(): void {
    this.scopes.closeAll()
    this.statistics.finalize()
    this.slowAndFailed.finalize()
    this.findings.finalize()
  }

  /** Forgets everything analyzed (the settings stay). */
  reset(): void {
    this.scopes.reset()
    this.timeline.reset()
    this.statistics.reset()
    this.slowAndFailed.reset()
    this.findings.reset()
    this.dialects = new Map()
    this.recentTexts.fill(undefined)
    this.recentApps.fill(undefined)
    this.recentShapes.fill(undefined)
    this.analyzed = 0
  }

  /**
   * Changes settings in place; true when one changed. The caller re-runs the analysis over
   * the queries it holds (`reset`, then each query again).
   */
  updateSettings(changes: Partial<AnalysisSettings>): boolean {
    let changed = false
    for (const key of Object.keys(changes) as (keyof AnalysisSettings)[]) {
      const value = changes[key]
      if (value !== undefined && value !== this.settings[key]) {
        this.settings[key] = value
        changed = true
      }
    }
    return changed
  }

  summary(): AnalysisSummary {
    const { slow, failed } = this.slowAndFailed.data()
    const findings = this.findings.summary()
    return {
      queries: this.analyzed,
      failed,
      slow,
      fingerprints: this.statistics.size,
      findings: findings.counts,
      insights: findings.insights,
    }
  }

  fingerprintPage(request: FingerprintPageRequest): Page<FingerprintStats> {
    return this.statistics.page(request)
  }

  findingsResult(): FindingsResult {
    return this.findings.data()
  }

  finding(id: string): Finding | undefined {
    return this.findings.finding(id)
  }

  slowPage(request: ListPageRequest): Page<SlowQuery> {
    return this.slowAndFailed.slowPage(request)
  }

  failedPage(request: ListPageRequest): Page<FailedQuery> {
    return this.slowAndFailed.failedPage(request)
  }

  timelineWindow(request: TimelineRequest): TimelineWindow {
    return this.timeline.window(request)
  }
}

/** A lookup over a loaded session's queries (ids ascending, usually without gaps). */
export function lookupOver(queries: readonly QueryRecord[]): QueryLookup {
  const firstId = queries[0]?.id ?? 1
  let byId: Map<number, QueryRecord> | undefined
  return (id) => {
    const direct = queries[id - firstId]
    if (direct?.id === id) return direct
    byId ??= new Map(queries.map((query) => [query.id, query]))
    return byId.get(id)
  }
}

/** The timeline's source over a loaded session's queries (ids ascending, maybe with gaps). */
export function sourceOver(queries: readonly QueryRecord[]): TimelineSource {
  const firstId = queries[0]?.id ?? 1
  const lastId = queries[queries.length - 1]?.id ?? 0
  /** Index in `queries` of an id: found from the id when there are no gaps, else searched. */
  const indexOf = (id: number): number => {
    const direct = id - firstId
    if (queries[direct]?.id === id) return direct
    let low = 0
    let high = queries.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (queries[middle]!.id < id) low = middle + 1
      else high = middle
    }
    return low
  }
  return {
    firstId,
    lastId,
    idAfter: (id) => {
      const at = indexOf(id)
      const query = queries[queries[at]?.id === id ? at + 1 : at]
      return query?.id ?? lastId + 1
    },
    readTimeline: (id, into) => {
      const query = queries[indexOf(id)]
      if (query?.id !== id) return false
      into.startTime = query.startTime
      into.durationMs = query.durationMs
      into.appId = query.appId
      into.context = query.context
      into.connectionId = query.connectionId
      return true
    },
  }
}

/** Analyzes a complete, loaded session. */
export function analyzeSession(
  queries: readonly QueryRecord[],
  apps: readonly AppInfo[],
  settings?: Partial<AnalysisSettings>,
): Analyzer {
  const firstId = queries[0]?.id ?? 1
  const lastId = queries[queries.length - 1]?.id ?? 1
  // The timeline's ring is indexed by id: size it to the ids' span, unless they are sparse.
  const span = lastId - firstId + 1
  const capacity = span >= queries.length && span <= 2 * queries.length ? span : queries.length
  const analyzer = new Analyzer({
    settings,
    capacity: Math.max(1, capacity),
    lookup: lookupOver(queries),
    source: sourceOver(queries),
  })
  const appsById = new Map(apps.map((app) => [app.id, app]))
  for (const query of queries) {
    let app = appsById.get(query.appId)
    if (app === undefined) appsById.set(query.appId, (app = unknownApp(query.appId)))
    analyzer.handleQuery(query, app)
  }
  analyzer.finalize()
  return analyzer
}

/** An app a query names but the session does not list. */
export function unknownApp(id: string): AppInfo {
  return { id, name: id, connectedAt: 0, received: 0, droppedByAgent: 0 }
}
