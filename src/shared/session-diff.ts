/**
 * Comparing two sessions: what each side is reduced to (`AnalyzedSession`, the analysis of
 * one session) and what the comparison gives (`SessionDiff`). Plain data, so the core can
 * hand a diff to the UI as it hands it to `fastorm-profiler diff --format json`; the logic is
 * `compareSessions` in `src/main/report/diff.ts`, the format in docs/report-format.md.
 */
import type {
  AnalysisSettings,
  FailedQuery,
  Finding,
  FindingKind,
  FingerprintStats,
  RecurringInsight,
  Severity,
  SlowQuery,
  StatementKind,
} from './analysis'
import type { DurationMs, EpochMs, SessionCounters, StackFrame } from './domain'

/** The totals of one session (the report's `summary`). */
export interface SessionTotals {
  queries: number
  failed: number
  /** Slow queries: over `settings.slowQueryMs`, or outliers of their shape. */
  slow: number
  apps: number
  totalQueryMs: DurationMs
  maxQueryMs: DurationMs
  contexts: number
  /** Distinct query shapes. */
  fingerprints: number
  findings: { nPlusOne: number; duplicates: number; writeLoops: number }
  insights: number
  counters: SessionCounters
}

/** Health as a session carries it; null until sessions record health. */
export type SessionHealthSnapshot = Record<string, unknown> | null

/** One session, analyzed: what a report is built from and what a diff compares. */
export interface AnalyzedSession {
  session: { id: string; name?: string; startedAt: EpochMs; endedAt: EpochMs }
  /** The thresholds the findings and slow queries were judged by. */
  settings: AnalysisSettings
  summary: SessionTotals
  /** Every query shape, most total time first. */
  fingerprints: FingerprintStats[]
  /** Most severe first, then in time order. */
  findings: Finding[]
  insights: RecurringInsight[]
  /** In time order; the newest 1,000 when there were more (`summary.slow` counts them all). */
  slowQueries: SlowQuery[]
  failedQueries: FailedQuery[]
  health: SessionHealthSnapshot
}

/** A number before and after. */
export interface Delta {
  before: number
  after: number
  /** `after - before`, rounded to the microsecond for times. */
  delta: number
}

/** One query shape's figures on one side. */
export interface ShapeFigures {
  count: number
  totalMs: DurationMs
  p50Ms: DurationMs
  p95Ms: DurationMs
  maxMs: DurationMs
  /** Failed queries of this shape. */
  errors: number
  /** Slow queries of this shape among those listed (the newest 1,000 of the session). */
  slow: number
}

/** One query shape, matched by fingerprint id. */
export interface FingerprintChange {
  id: string
  fingerprint: string
  statement: StatementKind
  /** `new`: only in the second session; `gone`: only in the first. */
  change: 'new' | 'gone' | 'changed' | 'unchanged'
  before: ShapeFigures | null
  after: ShapeFigures | null
  /** Absent counts as 0. */
  countDelta: number
  totalMsDelta: DurationMs
  /** Where it is issued (from the second session when it has one). */
  callSite?: StackFrame
}

/** The findings of one kind and shape on one side, all scopes together. */
export interface FindingFigures {
  /** Findings (scopes: requests, jobs, bursts) of this kind and shape. */
  findings: number
  /** Queries in them. */
  count: number
  totalMs: DurationMs
  /** The most severe of them. */
  severity: Severity
}

/**
 * Findings matched by kind and fingerprint id — not by scope, since the requests of two
 * recordings are never the same ones.
 */
export interface FindingChange {
  kind: FindingKind
  fingerprintId: string
  fingerprint: string
  change: 'appeared' | 'disappeared' | 'persisting'
  before: FindingFigures | null
  after: FindingFigures | null
  totalMsDelta: DurationMs
  callSites: StackFrame[]
  /** What to do about it (from the side that has it, the second when both). */
  suggestion: string
}

/** Slow or failed queries: the counts, and the shapes that have some on one side only. */
export interface ProblemChange extends Delta {
  /** Fingerprint ids with such queries in the second session and none in the first. */
  newShapes: string[]
  /** Fingerprint ids with such queries in the first session and none in the second. */
  goneShapes: string[]
}

export interface SessionDiff {
  format: 'fastorm-profiler-diff'
  version: 1
  before: AnalyzedSession['session']
  after: AnalyzedSession['session']
  /** True when the two sessions were judged by different thresholds. */
  settingsDiffer: boolean
  summary: {
    queries: Delta
    failed: Delta
    slow: Delta
    totalQueryMs: Delta
    maxQueryMs: Delta
    contexts: Delta
    fingerprints: Delta
    nPlusOne: Delta
    duplicates: Delta
    writeLoops: Delta
    insights: Delta
  }
  /** Every shape of either session, largest time change first. */
  fingerprints: FingerprintChange[]
  /** Every finding kind and shape of either session, largest time change first. */
  findings: FindingChange[]
  slow: ProblemChange
  failed: ProblemChange
  /** Null while neither session carries health (until the health checks exist). */
  health: { before: SessionHealthSnapshot; after: SessionHealthSnapshot } | null
}
