/**
 * What the analysis makes of the query stream: per-fingerprint statistics, findings (N+1,
 * duplicate, write loop), slow and failed queries, and the timeline's windows. Plain data,
 * shared by the core, the renderer, the reports and session files.
 */
import type { DurationMs, EpochMs, QueryError, StackFrame } from './domain'

export type StatementKind = 'select' | 'insert' | 'update' | 'delete' | 'other'

export type FindingKind = 'n-plus-one' | 'duplicate' | 'write-loop'

/** Same levels as health: how much a finding costs, from its count and its time. */
export type Severity = 'warning' | 'error' | 'critical'

export interface AnalysisSettings {
  /** Repeats of one SELECT shape with different params, in one context, that make an N+1. */
  nPlusOneThreshold: number
  /** Identical queries (same shape and params) in one context that make a duplicate finding. */
  duplicateThreshold: number
  /** Single-row writes of one shape, in one context, that make a write loop. */
  writeLoopThreshold: number
  /** Queries slower than this are slow. */
  slowQueryMs: number
  /** A query this many times above its shape's p95 (and above `outlierMinMs`) is an outlier. */
  outlierFactor: number
  outlierMinMs: number
  /** Queries without a context: a pause longer than this on a connection ends its burst. */
  burstGapMs: number
  /**
   * Contexts a small N+1 (2 or more values, under `nPlusOneThreshold`) of one shape must
   * appear in to be reported as a recurring insight.
   */
  recurringMinContexts: number
}

export const DEFAULT_ANALYSIS_SETTINGS: AnalysisSettings = {
  nPlusOneThreshold: 5,
  duplicateThreshold: 2,
  writeLoopThreshold: 5,
  slowQueryMs: 100,
  outlierFactor: 10,
  outlierMinMs: 5,
  burstGapMs: 100,
  recurringMinContexts: 3,
}

/** Statistics of one query shape. */
export interface FingerprintStats {
  /** Stable short id of the shape. */
  id: string
  /** The normalised SQL: literals and placeholders as `?`, lists collapsed. */
  fingerprint: string
  statement: StatementKind
  count: number
  totalMs: DurationMs
  meanMs: DurationMs
  minMs: DurationMs
  maxMs: DurationMs
  p50Ms: DurationMs
  p95Ms: DurationMs
  p99Ms: DurationMs
  /** Rows returned or affected, summed. */
  rows: number
  errors: number
  firstSeen: EpochMs
  lastSeen: EpochMs
  /** App ids that issued it. */
  apps: string[]
  /** One query of this shape, to open. */
  sampleQueryId: number
  /** Where in the user's code it is issued (the most frequent call site seen). */
  callSite?: StackFrame
}

export type FingerprintSortKey =
  'totalMs' | 'count' | 'meanMs' | 'p95Ms' | 'maxMs' | 'errors' | 'lastSeen'

/** The scope a finding was found in: a request / job context, or a burst on one connection. */
export interface FindingScope {
  kind: 'context' | 'connection-burst'
  /** The context id, or `<appId>:<connectionId>:<burst n>` for a burst. */
  id: string
  name?: string
  appId: string
}

export interface Finding {
  /** Stable: kind, fingerprint and scope. */
  id: string
  kind: FindingKind
  severity: Severity
  fingerprintId: string
  fingerprint: string
  count: number
  /** Union of the queries' intervals: concurrent queries are not counted twice. */
  totalMs: DurationMs
  scope: FindingScope
  /** Distinct call sites in the user's code, most frequent first. */
  callSites: StackFrame[]
  /** N+1: the query that preceded the loop (the one whose rows it iterates). */
  sourceQueryId?: number
  sourceSql?: string
  /** The queries of the group, oldest first (at most 1,000 ids). */
  queryIds: number[]
  firstSeen: EpochMs
  lastSeen: EpochMs
  /** What to do about it, phrased for the ORM the app reported. */
  suggestion: string
}

/** A small N+1 (under the threshold) that recurs in many contexts: a shape worth a look. */
export interface RecurringInsight {
  kind: 'recurring-n-plus-one'
  fingerprintId: string
  fingerprint: string
  /** Contexts it appeared in, and the repeats per context (median). */
  contexts: number
  medianRepeats: number
  totalMs: DurationMs
  callSites: StackFrame[]
  suggestion: string
}

export interface SlowQuery {
  queryId: number
  appId: string
  sql: string
  fingerprintId: string
  startTime: EpochMs
  durationMs: DurationMs
  /** Over the slow threshold, or far above its own shape's p95. */
  reason: 'threshold' | 'outlier'
  /** The shape's p95 when it was marked an outlier. */
  p95Ms?: DurationMs
  contextName?: string
  callSite?: StackFrame
}

export interface FailedQuery {
  queryId: number
  appId: string
  sql: string
  fingerprintId: string
  startTime: EpochMs
  durationMs: DurationMs
  error: QueryError
  contextName?: string
  callSite?: StackFrame
}

export interface AnalysisSummary {
  queries: number
  failed: number
  slow: number
  fingerprints: number
  findings: { 'n-plus-one': number; duplicate: number; 'write-loop': number }
  insights: number
}

export interface Page<T> {
  total: number
  offset: number
  rows: T[]
}

export interface FingerprintPageRequest {
  offset: number
  limit: number
  sortBy?: FingerprintSortKey
  descending?: boolean
  filter?: string
}

/** A page of the slow or failed list: newest first; `total` is how many are listed (≤ 1,000). */
export interface ListPageRequest {
  offset: number
  limit: number
}

export interface FindingsResult {
  /** Most severe first, then by time. */
  findings: Finding[]
  insights: RecurringInsight[]
}

// --- Timeline --------------------------------------------------------------------------

export interface TimelineRequest {
  /** The visible time range, epoch ms; the core pads it by 10% of its width on each side. */
  from: EpochMs
  to: EpochMs
  /**
   * First lane wanted and how many, among the lanes with a query in the (padded) range;
   * lanes are in order of their first query.
   */
  laneOffset: number
  laneLimit: number
  /** Above this many bars in the window, the core aggregates into buckets instead. */
  maxBars: number
}

export interface TimelineLane {
  /** Context id, or the connection burst id. */
  id: string
  name: string
  kind: 'context' | 'connection-burst'
  appId: string
  start: EpochMs
  end: EpochMs
  queryCount: number
  /** The most severe finding in this lane, if any. */
  worstFinding?: FindingKind
}

export type BarStatus = 'ok' | 'slow' | 'error'

export interface TimelineBar {
  queryId: number
  /** Index into the window's `lanes`. */
  lane: number
  start: EpochMs
  durationMs: DurationMs
  status: BarStatus
  finding?: FindingKind
  /** The SQL, cut to 200 characters, for the tooltip. */
  sql: string
}

/** Several queries too close to draw apart, drawn as one. */
export interface TimelineBucket {
  lane: number
  start: EpochMs
  end: EpochMs
  count: number
  errors: number
  slow: number
  maxDurationMs: DurationMs
}

export interface TimelineWindow {
  from: EpochMs
  to: EpochMs
  /** The whole session's extent, for the zoom bar ({0, 0} when empty). */
  extent: { start: EpochMs; end: EpochMs }
  /** Lanes with a query in the (padded) range: what `laneOffset` counts in. */
  totalLanes: number
  laneOffset: number
  lanes: TimelineLane[]
  /** Individual queries, when the window is sparse enough. */
  bars: TimelineBar[]
  /** Aggregates, when it is not (then `bars` is empty). */
  buckets: TimelineBucket[]
}
