import { describe, expect, it } from 'vitest'
import type { QueryRecord } from '../../src/shared/domain'
import type { TimelineRequest, TimelineWindow } from '../../src/shared/analysis'
import { Timeline, WINDOW_PADDING } from '../../src/main/analysis/timeline'
import { SCOPE_IDLE_MS } from '../../src/main/analysis/scopes'
import { LiveSession } from '../../src/main/session/live-session'
import { app, Harness, settings, shape } from './fixtures'

const select = shape({ id: 's', text: 'SELECT 1' })

/**
 * A timeline over a live session, as the Profiler wires them: each query goes into the
 * session (which numbers it as the harness did), and the timeline reads the session's
 * columns when a window is asked for.
 */
function build(capacity = 1000) {
  const session = new LiveSession(capacity)
  const config = settings()
  const timeline = new Timeline(capacity, (id) => session.get(id), session, config)
  const harness = new Harness(config, (query) => {
    const { id, ...added } = query
    expect(session.add(added)).toBe(id)
  })
  return { timeline, harness, session }
}

const T = 1_800_000_000_000
const everything = (maxBars = 10_000): TimelineRequest => ({
  from: T - 10_000,
  to: T + 10_000_000,
  laneOffset: 0,
  laneLimit: 500,
  maxBars,
})

describe('Timeline', () => {
  it('gives one lane per context in order of first query, each query a bar at its real start and duration', () => {
    const { timeline, harness } = build()
    const a1 = harness.run(select, {
      context: { id: 'a', name: 'GET /a' },
      startTime: T,
      durationMs: 5,
    })
    const b1 = harness.run(select, { context: { id: 'b' }, startTime: T + 1, durationMs: 2 })
    const a2 = harness.run(select, { context: { id: 'a' }, startTime: T + 6, durationMs: 1 })
    timeline.markStatus(b1.id, 'slow')
    timeline.markFinding(a2.id, 'duplicate')
    const window = timeline.window(everything())
    expect(window.lanes.map((l) => [l.id, l.name, l.queryCount, l.start, l.end])).toEqual([
      ['a', 'GET /a', 2, T, T + 7],
      ['b', 'b', 1, T + 1, T + 3],
    ])
    expect(window.bars).toEqual([
      { queryId: a1.id, lane: 0, start: T, durationMs: 5, status: 'ok', sql: 'SELECT 1' },
      {
        queryId: a2.id,
        lane: 0,
        start: T + 6,
        durationMs: 1,
        status: 'ok',
        finding: 'duplicate',
        sql: 'SELECT 1',
      },
      { queryId: b1.id, lane: 1, start: T + 1, durationMs: 2, status: 'slow', sql: 'SELECT 1' },
    ])
    expect(window.buckets).toEqual([])
    expect(window.extent).toEqual({ start: T, end: T + 7 })
  })

  it('keeps the worst finding of a lane and the worst status of a query', () => {
    const { timeline, harness } = build()
    const scopeQuery = harness.run(select, { context: { id: 'a' }, startTime: T })
    timeline.markFinding(scopeQuery.id, 'n-plus-one')
    timeline.markFinding(scopeQuery.id, 'duplicate')
    timeline.markStatus(scopeQuery.id, 'error')
    timeline.markStatus(scopeQuery.id, 'slow')
    expect(timeline.statusOf(scopeQuery.id)).toEqual({ status: 'error', finding: 'n-plus-one' })
    expect(timeline.window(everything()).lanes[0]!.worstFinding).toBe('n-plus-one')
  })

  it('shows marks made after the index was built, on the query and on its lane', () => {
    const { timeline, harness } = build()
    const first = harness.run(select, { context: { id: 'a' }, startTime: T })
    const second = harness.run(select, { context: { id: 'a' }, startTime: T + 1 })
    const before = timeline.window(everything())
    expect(before.lanes[0]!.worstFinding).toBeUndefined()
    expect(before.bars.map((b) => b.finding ?? b.status)).toEqual(['ok', 'ok'])
    // A finding found later marks the queries it already held, and a later one.
    const third = harness.run(select, { context: { id: 'a' }, startTime: T + 2 })
    for (const query of [first, second, third]) timeline.markFinding(query.id, 'write-loop')
    timeline.markStatus(second.id, 'slow')
    const after = timeline.window(everything())
    expect(after.lanes[0]!.worstFinding).toBe('write-loop')
    expect(after.bars.map((b) => [b.queryId, b.status, b.finding])).toEqual([
      [first.id, 'ok', 'write-loop'],
      [second.id, 'slow', 'write-loop'],
      [third.id, 'ok', 'write-loop'],
    ])
  })

  it('gives queries without a context one lane per burst on their connection', () => {
    const { timeline, harness } = build()
    harness.run(select, { connectionId: 'c1', startTime: T, durationMs: 2 })
    harness.run(select, { connectionId: 'c1', startTime: T + 50, durationMs: 2 })
    harness.run(select, { startTime: T + 60, durationMs: 1 })
    // More than burstGapMs (100) after the end of the last one on c1: the next burst.
    harness.run(select, { connectionId: 'c1', startTime: T + 200, durationMs: 1 })
    const window = timeline.window(everything())
    expect(window.lanes.map((l) => [l.id, l.name, l.kind, l.appId, l.queryCount])).toEqual([
      ['app-1:c1:1', 'connection c1, burst 1', 'connection-burst', 'app-1', 2],
      ['app-1:-:1', 'no connection id, burst 1', 'connection-burst', 'app-1', 1],
      ['app-1:c1:2', 'connection c1, burst 2', 'connection-burst', 'app-1', 1],
    ])
    // The analysis's scopes are the same ones.
    expect(harness.scopes.open).toBe(2)
  })

  it('starts a new lane for a context id that comes back after its scope went idle', () => {
    const { timeline, harness } = build()
    harness.run(select, { context: { id: 'job', name: 'nightly' }, startTime: T })
    harness.run(select, { context: { id: 'job', name: 'nightly' }, startTime: T + 1000 })
    harness.run(select, {
      context: { id: 'job', name: 'nightly' },
      startTime: T + 2000 + SCOPE_IDLE_MS,
    })
    const window = timeline.window(everything())
    expect(window.lanes.map((l) => [l.id, l.name, l.queryCount])).toEqual([
      ['job', 'nightly', 2],
      ['job', 'nightly', 1],
    ])
  })

  it("keeps two apps' contexts of the same id apart", () => {
    const { timeline, harness } = build()
    harness.run(select, { context: { id: 'r1' }, startTime: T }, app('app-1'))
    harness.run(select, { context: { id: 'r1' }, startTime: T + 1 }, app('app-2'))
    harness.run(select, { context: { id: 'r1' }, startTime: T + 2 }, app('app-1'))
    const window = timeline.window(everything())
    expect(window.lanes.map((l) => [l.appId, l.queryCount])).toEqual([
      ['app-1', 2],
      ['app-2', 1],
    ])
  })

  it('starts over when the session is cleared', () => {
    const { timeline, harness, session } = build()
    harness.run(select, { context: { id: 'a' }, startTime: T })
    expect(timeline.window(everything()).lanes).toHaveLength(1)
    session.clear()
    timeline.reset()
    expect(timeline.window(everything()).lanes).toEqual([])
    session.add({ appId: 'app-1', sql: 'SELECT 2', startTime: T + 5, durationMs: 1 })
    expect(timeline.window(everything()).bars.map((b) => [b.queryId, b.sql])).toEqual([
      [1, 'SELECT 2'],
    ])
  })

  it('puts a lane whose queries arrive out of order in start order', () => {
    const { timeline, harness } = build()
    // Agents report a query when it ends: the long one that started first arrives last.
    harness.run(select, { context: { id: 'a' }, startTime: T + 5, durationMs: 1 })
    harness.run(select, { context: { id: 'a' }, startTime: T + 2, durationMs: 0.5 })
    harness.run(select, { context: { id: 'a' }, startTime: T, durationMs: 20 })
    const window = timeline.window({ ...everything(), from: T + 3, to: T + 4 })
    // T+3..T+4 padded by 10% of 1 ms: only the long one overlaps it.
    expect(window.bars.map((b) => b.start)).toEqual([T])
    expect(timeline.window(everything()).bars.map((b) => b.start)).toEqual([T, T + 2, T + 5])
  })

  it('lists only lanes with a query in the time range, then the requested slice of them', () => {
    const { timeline, harness } = build()
    for (let i = 0; i < 10; i++)
      harness.run(select, { context: { id: `r${i}` }, startTime: T + i * 100, durationMs: 10 })
    const window = timeline.window({
      from: T + 255,
      to: T + 650,
      laneOffset: 1,
      laneLimit: 2,
      maxBars: 100,
    })
    expect(window.from).toBe(T + 255 - 395 * WINDOW_PADDING)
    expect(window.to).toBe(T + 650 + 395 * WINDOW_PADDING)
    // r2 ended at T+210, before the padded start (T+215.5); r7 starts after the padded end.
    expect(window.totalLanes).toBe(4)
    expect(window.lanes.map((l) => l.id)).toEqual(['r4', 'r5'])
    expect(window.bars.map((b) => b.lane)).toEqual([0, 1])
  })

  it('aggregates into buckets under maxBars when the window holds more queries', () => {
    const { timeline, harness } = build(10_000)
    for (let i = 0; i < 3000; i++) {
      const q = harness.run(select, {
        context: { id: `r${i % 3}` },
        startTime: T + i,
        durationMs: 0.5,
      })
      if (i % 10 === 0) timeline.markStatus(q.id, 'error')
      if (i % 10 === 1) timeline.markStatus(q.id, 'slow')
    }
    const window = timeline.window({ ...everything(90), from: T, to: T + 3000 })
    expect(window.bars).toEqual([])
    expect(window.buckets.length).toBeLessThanOrEqual(90)
    expect(window.buckets.length).toBeGreaterThan(45)
    const sum = (key: 'count' | 'errors' | 'slow') => window.buckets.reduce((n, b) => n + b[key], 0)
    expect([sum('count'), sum('errors'), sum('slow')]).toEqual([3000, 300, 300])
    for (const bucket of window.buckets) expect(bucket.end).toBeGreaterThan(bucket.start)
  })

  it('forgets queries the live session evicted, and lanes left empty', () => {
    const { timeline, harness } = build(100)
    for (let i = 0; i < 150; i++)
      harness.run(select, { context: { id: i < 60 ? 'old' : 'new' }, startTime: T + i })
    const window = timeline.window(everything())
    expect(window.lanes.map((l) => [l.id, l.queryCount])).toEqual([
      ['old', 10],
      ['new', 90],
    ])
    expect(window.bars[0]!.queryId).toBe(51)
    for (let i = 0; i < 20; i++)
      harness.run(select, { context: { id: 'new' }, startTime: T + 200 + i })
    expect(timeline.window(everything()).lanes.map((l) => l.id)).toEqual(['new'])
    expect(timeline.statusOf(1)).toBeUndefined()
  })

  it('reads a long lane through its sorted index, also while the ring evicts its oldest queries', () => {
    const { timeline, harness } = build(3000)
    const queries: QueryRecord[] = []
    // One job context with 5,000 queries, every other one reported after the next (overlap).
    for (let i = 0; i < 5000; i += 2) {
      const later = { context: { id: 'job' }, startTime: T + i * 2, durationMs: 3 }
      const sooner = { context: { id: 'job' }, startTime: T + (i + 1) * 2, durationMs: 1 }
      queries.push(harness.run(select, sooner), harness.run(select, later))
      if (i % 500 === 0)
        harness.run(select, { context: { id: `other-${i}` }, startTime: T + i * 2 })
    }
    const held = queries.filter((q) => q.id > 5000 + 10 - 3000)
    for (const [from, to] of [
      [T + 4000, T + 4100],
      [T + 9000, T + 9990],
      [T + 6000, T + 6010],
    ] as const) {
      const window = timeline.window({ from, to, laneOffset: 0, laneLimit: 10, maxBars: 10_000 })
      const want = held
        .filter((q) => q.startTime <= window.to && q.startTime + q.durationMs >= window.from)
        .map((q) => q.id)
      const job = window.lanes.findIndex((lane) => lane.id === 'job')
      const got = window.bars.filter((bar) => bar.lane === job)
      expect(got.map((bar) => bar.queryId).sort((a, b) => a - b)).toEqual(want)
      const starts = got.map((bar) => bar.start)
      expect(starts).toEqual([...starts].sort((a, b) => a - b))
    }
    const job = timeline.window(everything()).lanes.find((lane) => lane.id === 'job')!
    expect(job.queryCount).toBe(held.length)
    expect(job.start).toBe(Math.min(...held.map((q) => q.startTime)))
  })

  describe('at 200,000 queries', () => {
    // 25,000 requests of 8 queries, requests overlapping, some queries concurrent within one.
    const COUNT = 200_000
    const { timeline, harness } = build(COUNT)
    const queries: QueryRecord[] = []
    const laneOf = new Map<number, string>()
    let seed = 7
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646
    for (let request = 0; request < COUNT / 8; request++) {
      const start = T + request * 4
      let clock = start
      const batch: { startTime: number; durationMs: number }[] = []
      for (let i = 0; i < 8; i++) {
        const durationMs = 0.05 + random() * 3
        // Every third query runs alongside the previous one.
        const startTime = i % 3 === 2 ? clock - durationMs / 2 : clock
        batch.push({ startTime, durationMs })
        clock = Math.max(clock, startTime + durationMs) + random()
      }
      // Reported in order of their end, as agents do.
      batch.sort((a, b) => a.startTime + a.durationMs - (b.startTime + b.durationMs))
      for (const timing of batch) {
        const query = harness.run(select, { context: { id: `r${request}` }, ...timing })
        queries.push(query)
        laneOf.set(query.id, `r${request}`)
        if (query.id % 97 === 0) timeline.markStatus(query.id, 'error')
      }
    }

    /** What the window must contain, computed the slow way. */
    function expected(window: TimelineWindow): Map<string, number[]> {
      const lanes = new Map<string, number[]>()
      for (const query of queries) {
        if (query.startTime > window.to || query.startTime + query.durationMs < window.from)
          continue
        const lane = laneOf.get(query.id)!
        lanes.set(lane, [...(lanes.get(lane) ?? []), query.id])
      }
      return lanes
    }

    it('returns exactly the queries of the requested lanes and time range', () => {
      for (const [from, span, laneOffset] of [
        [T + 1000, 40, 0],
        [T + 55_555, 120, 3],
        [T + 99_990, 50, 0],
      ] as const) {
        const window = timeline.window({
          from,
          to: from + span,
          laneOffset,
          laneLimit: 20,
          maxBars: 5000,
        })
        const want = expected(window)
        const laneIds = [...want.keys()]
        expect(window.totalLanes).toBe(laneIds.length)
        expect(window.lanes.map((l) => l.id)).toEqual(laneIds.slice(laneOffset, laneOffset + 20))
        const got = new Map<string, number[]>()
        for (const bar of window.bars) {
          const lane = window.lanes[bar.lane]!.id
          got.set(lane, [...(got.get(lane) ?? []), bar.queryId])
          const query = queries[bar.queryId - 1]!
          expect([bar.start, bar.durationMs]).toEqual([query.startTime, query.durationMs])
          expect(bar.status).toBe(bar.queryId % 97 === 0 ? 'error' : 'ok')
        }
        for (const lane of window.lanes) {
          expect(got.get(lane.id)!.sort((a, b) => a - b)).toEqual(want.get(lane.id))
          expect(lane.queryCount).toBe(8)
        }
      }
    })

    it('aggregates a zoomed-out view into buckets that count every query of the shown lanes', () => {
      const window = timeline.window({
        from: T,
        to: T + COUNT / 2,
        laneOffset: 100,
        laneLimit: 200,
        maxBars: 1000,
      })
      expect(window.totalLanes).toBe(COUNT / 8)
      expect(window.bars).toEqual([])
      expect(window.buckets.length).toBeLessThanOrEqual(1000)
      expect(window.buckets.reduce((n, b) => n + b.count, 0)).toBe(200 * 8)
      const shown = new Set(window.lanes.map((lane) => lane.id))
      const errors = queries.filter((q) => shown.has(laneOf.get(q.id)!) && q.id % 97 === 0).length
      expect(window.buckets.reduce((n, b) => n + b.errors, 0)).toBe(errors)
      expect(window.extent.start).toBe(T)
    })
  })
})
