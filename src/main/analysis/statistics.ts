/**
 * Statistics per query shape (fingerprint), live: count, total, mean, min, max, p50 / p95 /
 * p99 from a streaming histogram, rows, errors, first and last seen, apps, the most frequent
 * call site. Per query it costs a few pointer comparisons (or one map lookup) and a few
 * additions.
 *
 * Bounded: past MAX_FINGERPRINTS shapes (a text the fingerprinter cannot fold, one per
 * query), further new shapes are counted together in one "other shapes" entry.
 */
import type {
  FingerprintPageRequest,
  FingerprintSortKey,
  FingerprintStats,
  Page,
  StatementKind,
} from '../../shared/analysis'
import type { AppInfo, QueryRecord } from '../../shared/domain'
import { CallSites } from './call-sites'
import type { AnalysisHandler, Shape } from './handler'
import { LogHistogram } from './histogram'

export const MAX_FINGERPRINTS = 20_000
export const OVERFLOW_FINGERPRINT_ID = 'other-shapes'

/** Recompute a cached p95 once a shape has this much more (relative) data. */
const P95_REFRESH = 1.1

export class FingerprintEntry {
  count = 0
  totalMs = 0
  rows = 0
  errors = 0
  firstSeen = Infinity
  lastSeen = -Infinity
  readonly histogram = new LogHistogram()
  readonly apps: string[] = []
  sampleQueryId = 0
  readonly callSites = new CallSites()
  private p95Cached = 0
  private p95CachedAt = 0
  private lowerText: string | undefined

  constructor(
    readonly id: string,
    readonly text: string,
    readonly statement: StatementKind,
  ) {}

  /** p95 from the histogram, recomputed only when the count has grown by 10%. */
  get p95(): number {
    if (this.count >= this.p95CachedAt * P95_REFRESH + 1) {
      this.p95Cached = this.histogram.quantile(0.95)
      this.p95CachedAt = this.count
    }
    return this.p95Cached
  }

  matches(needle: string): boolean {
    this.lowerText ??= this.text.toLowerCase()
    return this.lowerText.includes(needle) || this.id.toLowerCase() === needle
  }

  toStats(): FingerprintStats {
    const h = this.histogram
    const stats: FingerprintStats = {
      id: this.id,
      fingerprint: this.text,
      statement: this.statement,
      count: this.count,
      totalMs: round(this.totalMs),
      meanMs: round(this.count === 0 ? 0 : this.totalMs / this.count),
      minMs: round(h.min),
      maxMs: round(h.max),
      p50Ms: round(h.quantile(0.5)),
      p95Ms: round(h.quantile(0.95)),
      p99Ms: round(h.quantile(0.99)),
      rows: this.rows,
      errors: this.errors,
      firstSeen: this.firstSeen,
      lastSeen: this.lastSeen,
      apps: [...this.apps],
      sampleQueryId: this.sampleQueryId,
    }
    const site = this.callSites.first()
    if (site !== undefined) stats.callSite = site
    return stats
  }
}

/** Shapes whose entries are remembered by reference (see `entryFor`). */
const RECENT_SHAPES = 16

export class Statistics implements AnalysisHandler<FingerprintStats[]> {
  private entries = new Map<string, FingerprintEntry>()
  private overflow: FingerprintEntry | undefined
  private readonly recentShapes: (Shape | undefined)[] = new Array(RECENT_SHAPES).fill(undefined)
  private readonly recentEntries: (FingerprintEntry | undefined)[] = new Array(RECENT_SHAPES).fill(
    undefined,
  )
  private recentNext = 0

  reset(): void {
    this.entries = new Map()
    this.overflow = undefined
    this.recentShapes.fill(undefined)
    this.recentEntries.fill(undefined)
  }

  handleQuery(query: QueryRecord, app: AppInfo, fp: Shape): void {
    const entry = this.entryFor(fp)
    const duration = query.durationMs
    entry.count++
    entry.totalMs += duration
    entry.histogram.add(duration)
    if (query.rows !== undefined) entry.rows += query.rows
    if (query.error !== undefined) entry.errors++
    const start = query.startTime
    if (start < entry.firstSeen) entry.firstSeen = start
    if (start > entry.lastSeen) entry.lastSeen = start
    // Nearly always the app of the last query: skip the search then.
    const apps = entry.apps
    if (apps[apps.length - 1] !== app.id && !apps.includes(app.id)) apps.push(app.id)
    if (entry.sampleQueryId === 0) entry.sampleQueryId = query.id
    if (query.stack !== undefined) entry.callSites.add(query.stack)
  }

  finalize(): void {}

  /** Every shape's statistics, in no particular order. */
  data(): FingerprintStats[] {
    return this.all().map((entry) => entry.toStats())
  }

  get size(): number {
    return this.entries.size + (this.overflow ? 1 : 0)
  }

  /** The live entry of a shape (for the outlier check), if it has one. */
  entry(fingerprintId: string): FingerprintEntry | undefined {
    return this.entries.get(fingerprintId) ?? this.overflow
  }

  /** A sorted, filtered page: `sortBy` defaults to total time, descending. */
  page(request: FingerprintPageRequest): Page<FingerprintStats> {
    const needle = request.filter?.trim().toLowerCase() ?? ''
    const matching = needle === '' ? this.all() : this.all().filter((e) => e.matches(needle))
    const key: FingerprintSortKey = request.sortBy ?? 'totalMs'
    const sign = (request.descending ?? true) ? -1 : 1
    const sortValue = SORT_VALUES[key]
    // Percentiles cost a histogram walk: compute each shape's value once, not per comparison.
    const keyed = matching.map((entry) => ({ entry, value: sortValue(entry) }))
    keyed.sort((a, b) => sign * (a.value - b.value) || a.entry.id.localeCompare(b.entry.id))
    const rows = keyed
      .slice(request.offset, request.offset + request.limit)
      .map(({ entry }) => entry.toStats())
    return { total: matching.length, offset: request.offset, rows }
  }

  private all(): FingerprintEntry[] {
    const all = [...this.entries.values()]
    if (this.overflow) all.push(this.overflow)
    return all
  }

  /**
   * The shape's entry. The analyzer hands every query of one text the same shape object, so
   * the shapes seen last are compared by reference before the map is asked.
   */
  private entryFor(fp: Shape): FingerprintEntry {
    const shapes = this.recentShapes
    for (let i = 0; i < RECENT_SHAPES; i++) if (shapes[i] === fp) return this.recentEntries[i]!
    const entry = this.entryById(fp)
    const at = this.recentNext
    shapes[at] = fp
    this.recentEntries[at] = entry
    this.recentNext = (at + 1) % RECENT_SHAPES
    return entry
  }

  private entryById(fp: Shape): FingerprintEntry {
    let entry = this.entries.get(fp.id)
    if (entry !== undefined) return entry
    if (this.entries.size >= MAX_FINGERPRINTS) {
      return (this.overflow ??= new FingerprintEntry(
        OVERFLOW_FINGERPRINT_ID,
        `(other shapes: more than ${MAX_FINGERPRINTS} distinct)`,
        'other',
      ))
    }
    entry = new FingerprintEntry(fp.id, fp.text, fp.statement)
    this.entries.set(fp.id, entry)
    return entry
  }
}

const SORT_VALUES: Record<FingerprintSortKey, (entry: FingerprintEntry) => number> = {
  totalMs: (e) => e.totalMs,
  count: (e) => e.count,
  meanMs: (e) => (e.count === 0 ? 0 : e.totalMs / e.count),
  p95Ms: (e) => e.histogram.quantile(0.95),
  maxMs: (e) => e.histogram.max,
  errors: (e) => e.errors,
  lastSeen: (e) => e.lastSeen,
}

/** Microsecond precision is all a duration needs in a report or a table. */
export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}
