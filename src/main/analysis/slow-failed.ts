/**
 * Slow and failed queries, each in a bounded list that keeps the newest (MAX_LISTED), with
 * exact totals.
 *
 * Slow: over `slowQueryMs`, or an outlier of its own shape: at least `outlierMinMs` and more
 * than `outlierFactor` × the shape's p95, once the shape has OUTLIER_MIN_SAMPLES queries (a
 * p95 of a handful of samples says nothing). Queries under `outlierMinMs` are never looked at
 * twice, which keeps this to one comparison for almost every query.
 */
import type {
  AnalysisSettings,
  BarStatus,
  FailedQuery,
  ListPageRequest,
  Page,
  SlowQuery,
} from '../../shared/analysis'
import type { AppInfo, QueryRecord } from '../../shared/domain'
import { copyFrame } from './call-sites'
import type { AnalysisHandler, Shape } from './handler'
import type { Statistics } from './statistics'
import { round } from './statistics'

export const MAX_LISTED = 1000
export const OUTLIER_MIN_SAMPLES = 50

/** What the timeline is told about a query that is not plainly fine. */
export interface StatusMarks {
  markStatus(queryId: number, status: BarStatus): void
}

/** A ring of the newest `capacity` items, read newest first. */
export class NewestList<T> {
  private readonly items: T[] = []
  private next = 0
  total = 0

  constructor(private readonly capacity: number) {}

  push(item: T): void {
    this.total++
    if (this.items.length < this.capacity) this.items.push(item)
    else {
      this.items[this.next] = item
      this.next = (this.next + 1) % this.capacity
    }
  }

  get size(): number {
    return this.items.length
  }

  /** Items newest first, from `offset`. */
  page(offset: number, limit: number): T[] {
    const rows: T[] = []
    const size = this.items.length
    for (let i = offset; i < Math.min(size, offset + limit); i++) {
      // Newest is just before `next` (or at the end while not yet wrapped).
      const newest = this.next === 0 ? size - 1 : this.next - 1
      rows.push(this.items[(newest - i + size) % size]!)
    }
    return rows
  }

  clear(): void {
    this.items.length = 0
    this.next = 0
    this.total = 0
  }
}

export interface SlowFailedData {
  slow: number
  failed: number
}

export class SlowAndFailed implements AnalysisHandler<SlowFailedData> {
  private readonly slow = new NewestList<SlowQuery>(MAX_LISTED)
  private readonly failed = new NewestList<FailedQuery>(MAX_LISTED)

  constructor(
    private readonly settings: AnalysisSettings,
    private readonly statistics: Statistics,
    private readonly marks: StatusMarks,
  ) {}

  reset(): void {
    this.slow.clear()
    this.failed.clear()
  }

  handleQuery(query: QueryRecord, _app: AppInfo, fp: Shape): void {
    const duration = query.durationMs
    if (query.error !== undefined) {
      this.failed.push({ ...this.describe(query, fp), error: query.error })
      this.marks.markStatus(query.id, 'error')
    }
    const settings = this.settings
    if (duration > settings.slowQueryMs) {
      this.slow.push({ ...this.describe(query, fp), reason: 'threshold' })
      if (query.error === undefined) this.marks.markStatus(query.id, 'slow')
      return
    }
    if (duration < settings.outlierMinMs || duration === 0) return
    const entry = this.statistics.entry(fp.id)
    if (entry === undefined || entry.count < OUTLIER_MIN_SAMPLES) return
    const p95 = entry.p95
    if (duration > settings.outlierFactor * p95) {
      this.slow.push({ ...this.describe(query, fp), reason: 'outlier', p95Ms: round(p95) })
      if (query.error === undefined) this.marks.markStatus(query.id, 'slow')
    }
  }

  finalize(): void {}

  data(): SlowFailedData {
    return { slow: this.slow.total, failed: this.failed.total }
  }

  slowPage(request: ListPageRequest): Page<SlowQuery> {
    return {
      total: this.slow.size,
      offset: request.offset,
      rows: this.slow.page(request.offset, request.limit),
    }
  }

  failedPage(request: ListPageRequest): Page<FailedQuery> {
    return {
      total: this.failed.size,
      offset: request.offset,
      rows: this.failed.page(request.offset, request.limit),
    }
  }

  private describe(query: QueryRecord, fp: Shape) {
    const described: Omit<SlowQuery, 'reason'> = {
      queryId: query.id,
      appId: query.appId,
      sql: query.sql,
      fingerprintId: fp.id,
      startTime: query.startTime,
      durationMs: query.durationMs,
    }
    const contextName = query.context?.name ?? query.context?.id
    if (contextName !== undefined) described.contextName = contextName
    const frame = query.stack?.[0]
    if (frame !== undefined) described.callSite = copyFrame(frame)
    return described
  }
}
