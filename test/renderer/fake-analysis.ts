/**
 * Analysis data for renderer tests: findings, statistics, a summary, and a synthetic
 * session's timeline that answers `timeline.window` the way the core does (the lanes with
 * a query in the range asked, in order of their first query; a slice of those; bars in the
 * range, or buckets past `maxBars`), computed on demand so that a large session costs
 * nothing up front. Unlike the core it does not pad the range.
 */
import type {
  AnalysisSettings,
  AnalysisSummary,
  Finding,
  FingerprintStats,
  TimelineBar,
  TimelineBucket,
  TimelineLane,
  TimelineRequest,
  TimelineWindow,
} from '@shared/analysis'
import { DEFAULT_ANALYSIS_SETTINGS } from '@shared/analysis'
import type { QueryRow } from '@shared/domain'

export const T0 = Date.UTC(2025, 0, 1, 12, 0, 0)

export function analysisSummary(overrides: Partial<AnalysisSummary> = {}): AnalysisSummary {
  return {
    queries: 1234,
    failed: 3,
    slow: 7,
    fingerprints: 42,
    findings: { 'n-plus-one': 2, duplicate: 1, 'write-loop': 1 },
    insights: 1,
    ...overrides,
  }
}

export function analysisSettings(overrides: Partial<AnalysisSettings> = {}): AnalysisSettings {
  return { ...DEFAULT_ANALYSIS_SETTINGS, ...overrides }
}

export function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    id: 'f-1',
    kind: 'n-plus-one',
    severity: 'error',
    fingerprintId: 'fp-products',
    fingerprint: 'SELECT * FROM "products" WHERE "id" = ?',
    count: 8,
    totalMs: 12.5,
    scope: { kind: 'context', id: 'ctx-7', name: 'GET /users/7/orders', appId: 'app-1' },
    callSites: [
      {
        function: 'OrderService.listWithProducts',
        file: '/srv/shop/src/orders/order.service.ts',
        line: 57,
        column: 31,
      },
    ],
    sourceQueryId: 100,
    sourceSql: 'SELECT * FROM "orders" WHERE "user_id" = $1',
    queryIds: [101, 102, 103, 104, 105, 106, 107, 108],
    firstSeen: T0 + 1000,
    lastSeen: T0 + 1040,
    suggestion:
      'Load the products with the orders: `relations: { product: true }` or `leftJoinAndSelect("order.product", "product")`.',
    ...overrides,
  }
}

export function findingQueries(f: Finding): QueryRow[] {
  return f.queryIds.map((id, i) => ({
    id,
    appId: f.scope.appId,
    sql: `SELECT * FROM "products" WHERE "id" = ${i + 1}`,
    startTime: f.firstSeen + i * 5,
    durationMs: 1.5,
    rows: 1,
    failed: false,
    contextName: f.scope.name,
  }))
}

export function fingerprintStats(
  index: number,
  overrides: Partial<FingerprintStats> = {},
): FingerprintStats {
  return {
    id: `fp-${index}`,
    fingerprint: `SELECT * FROM "table_${index}" WHERE "id" = ?`,
    statement: 'select',
    count: 1000 - index,
    totalMs: 5000 - index * 10,
    meanMs: 5,
    minMs: 0.5,
    maxMs: 250,
    p50Ms: 3,
    p95Ms: 120,
    p99Ms: 200,
    rows: 900,
    errors: index % 5 === 0 ? 2 : 0,
    firstSeen: T0,
    lastSeen: T0 + 60_000,
    apps: ['app-1'],
    sampleQueryId: 10_000 + index,
    callSite: { function: 'Repo.find', file: '/srv/app/src/repo.ts', line: index + 1, column: 9 },
    ...overrides,
  }
}

export interface SyntheticTimelineOptions {
  lanes: number
  queriesPerLane: number
  /** Start of lane i: `T0 + i * laneGapMs`. */
  laneGapMs: number
  /** Between queries of one lane. */
  queryGapMs: number
  durationMs: number
}

/**
 * A session of `lanes` contexts with `queriesPerLane` queries each. Query q of lane l has
 * id `l * queriesPerLane + q + 1`; every 10th is slow, every 25th failed, lane 3's are an
 * N+1. Returns the `timeline.window` handler and what it was asked.
 */
export function syntheticTimeline(options: SyntheticTimelineOptions) {
  const requests: TimelineRequest[] = []
  let laneCount = options.lanes

  const laneStart = (l: number): number => T0 + l * options.laneGapMs
  const laneEnd = (l: number): number =>
    laneStart(l) + (options.queriesPerLane - 1) * options.queryGapMs + options.durationMs

  function lane(l: number): TimelineLane {
    return {
      id: `ctx-${l}`,
      name: `GET /orders/${l}`,
      kind: 'context',
      appId: 'app-1',
      start: laneStart(l),
      end: laneEnd(l),
      queryCount: options.queriesPerLane,
      worstFinding: l === 3 ? 'n-plus-one' : undefined,
    }
  }

  function extent(): { start: number; end: number } {
    return { start: laneStart(0), end: laneEnd(laneCount - 1) }
  }

  /** The lanes with a query in `[from, to]`, by index in the session. */
  function lanesIn(from: number, to: number): number[] {
    const found: number[] = []
    for (let l = 0; l < laneCount; l++) {
      if (laneStart(l) <= to && laneEnd(l) >= from) found.push(l)
    }
    return found
  }

  function handler(request: TimelineRequest): TimelineWindow {
    requests.push(request)
    const listed = lanesIn(request.from, request.to)
    const shown = listed.slice(request.laneOffset, request.laneOffset + request.laneLimit)
    const lanes: TimelineLane[] = []
    const bars: TimelineBar[] = []
    for (const [index, l] of shown.entries()) {
      lanes.push(lane(l))
      for (let q = 0; q < options.queriesPerLane; q++) {
        const start = laneStart(l) + q * options.queryGapMs
        if (start > request.to || start + options.durationMs < request.from) continue
        const id = l * options.queriesPerLane + q + 1
        bars.push({
          queryId: id,
          lane: index,
          start,
          durationMs: options.durationMs,
          status: id % 25 === 0 ? 'error' : id % 10 === 0 ? 'slow' : 'ok',
          finding: l === 3 ? 'n-plus-one' : undefined,
          sql: `SELECT * FROM "orders" WHERE "id" = ${id}`,
        })
      }
    }
    let buckets: TimelineBucket[] = []
    if (bars.length > request.maxBars) {
      const width = (request.to - request.from) / 100
      const byKey = new Map<string, TimelineBucket>()
      for (const bar of bars) {
        const slot = Math.floor((bar.start - request.from) / width)
        const key = `${bar.lane}:${slot}`
        const bucket = byKey.get(key) ?? {
          lane: bar.lane,
          start: request.from + slot * width,
          end: request.from + (slot + 1) * width,
          count: 0,
          errors: 0,
          slow: 0,
          maxDurationMs: 0,
        }
        bucket.count += 1
        if (bar.status === 'error') bucket.errors += 1
        if (bar.status === 'slow') bucket.slow += 1
        bucket.maxDurationMs = Math.max(bucket.maxDurationMs, bar.durationMs)
        byKey.set(key, bucket)
      }
      buckets = [...byKey.values()]
      bars.length = 0
    }
    return {
      from: request.from,
      to: request.to,
      extent: laneCount > 0 ? extent() : { start: 0, end: 0 },
      totalLanes: listed.length,
      laneOffset: request.laneOffset,
      lanes,
      bars,
      buckets,
    }
  }

  return {
    handler,
    requests,
    extent,
    lanesIn,
    /** Adds lanes at the end, as a live session grows. */
    grow(lanes: number): void {
      laneCount += lanes
    },
  }
}
