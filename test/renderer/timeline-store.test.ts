import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import type { TimelineRequest } from '@shared/analysis'
import {
  FETCH_DEBOUNCE_MS,
  INITIAL_SPAN_MS,
  LANE_PADDING,
  LIVE_REFRESH_MS,
  TIME_PADDING,
  TIMELINE_MAX_BARS,
  useTimelineStore,
} from '@renderer/stores/timeline'
import { FakeProfilerClient, piniaWith, profilerStatus } from './fake-client'
import { T0, syntheticTimeline, type SyntheticTimelineOptions } from './fake-analysis'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

async function settle(ms = 0): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms)
  await flushPromises()
}

async function openTimeline(options: SyntheticTimelineOptions, visibleLanes = 20) {
  const timeline = syntheticTimeline(options)
  const client = new FakeProfilerClient({
    'status.get': () => profilerStatus({ sessionStartedAt: T0 }),
    'timeline.window': timeline.handler,
  })
  piniaWith(client)
  const store = useTimelineStore()
  store.setLaneViewport(0, visibleLanes)
  store.activate()
  await settle()
  return { store, client, timeline }
}

/** What the store should ask for a view, lanes from `first`, `visible` tall. */
function expectedRequest(start: number, end: number, first: number, visible: number) {
  const pad = (end - start) * TIME_PADDING
  const laneOffset = Math.max(0, Math.floor(first) - LANE_PADDING)
  return {
    from: start - pad,
    to: end + pad,
    laneOffset,
    laneLimit: Math.ceil(first + visible) + LANE_PADDING - laneOffset + 1,
    maxBars: TIMELINE_MAX_BARS,
  } satisfies TimelineRequest
}

/** 200 requests a second apart, 20 queries each: a 200-second session. */
const LONG: SyntheticTimelineOptions = {
  lanes: 200,
  queriesPerLane: 20,
  laneGapMs: 1000,
  queryGapMs: 10,
  durationMs: 4,
}

describe('the timeline store', () => {
  it('asks for the extent, then only for the visible time range (padded) and the visible lanes', async () => {
    const { store, timeline } = await openTimeline(LONG)
    const end = timeline.extent().end
    expect(timeline.requests[0]).toMatchObject({ from: 0, to: 1, laneLimit: 1 })
    // A long session opens on its last minute, lanes scrolled to the newest.
    expect(store.view).toEqual({ start: end - INITIAL_SPAN_MS, end })
    expect(store.firstLane).toBe(180)
    expect(timeline.requests).toHaveLength(2)
    expect(timeline.requests[1]).toEqual(expectedRequest(end - INITIAL_SPAN_MS, end, 180, 20))
    expect(store.window?.bars.length).toBeGreaterThan(0)
    expect(store.window?.lanes.map((lane) => lane.id)[0]).toBe('ctx-172')
  })

  it('does not ask again while zoom and pan stay inside the fetched window', async () => {
    const { store, timeline } = await openTimeline(LONG)
    const end = timeline.extent().end
    store.setView(end - 40_000, end - 10_000)
    store.setView(end - 80_000, end - 20_000)
    await settle(1000)
    expect(timeline.requests).toHaveLength(2)
  })

  it('asks again, once, when panning leaves the fetched window, with the new range', async () => {
    const { store, timeline } = await openTimeline(LONG)
    const end = timeline.extent().end
    store.setView(end - 100_000, end - 40_000)
    store.setView(end - 110_000, end - 50_000)
    await settle(FETCH_DEBOUNCE_MS / 2)
    expect(timeline.requests).toHaveLength(2)
    store.setView(end - 120_000, end - 60_000)
    await settle(FETCH_DEBOUNCE_MS + 10)
    expect(timeline.requests).toHaveLength(3)
    expect(timeline.requests[2]).toEqual(expectedRequest(end - 120_000, end - 60_000, 180, 20))
    expect(store.following).toBe(false)
  })

  it('asks for other lanes when scrolled past the fetched ones', async () => {
    const { store, timeline } = await openTimeline(LONG)
    // Still inside the padding (172..200).
    store.setLaneViewport(175, 20)
    await settle(500)
    expect(timeline.requests).toHaveLength(2)
    store.setLaneViewport(120.5, 20)
    await settle(500)
    expect(timeline.requests).toHaveLength(3)
    // Lanes 120.5 to 140.5 on screen: 112 to 149 asked, eight more on each side.
    expect(timeline.requests[2]).toMatchObject({ laneOffset: 112, laneLimit: 38 })
  })

  it('asks for detail again when zooming in on aggregated buckets, not on single bars', async () => {
    // 50 lanes of 100 queries in 5.4 s: all 5,000 in view, more than the bars allowed.
    const dense: SyntheticTimelineOptions = {
      lanes: 50,
      queriesPerLane: 100,
      laneGapMs: 100,
      queryGapMs: 5,
      durationMs: 1,
    }
    const { store, timeline } = await openTimeline(dense, 60)
    expect(store.window?.buckets.length).toBeGreaterThan(0)
    expect(store.window?.bars).toHaveLength(0)
    const { start, end } = timeline.extent()
    const third = (end - start) / 3
    store.setView(start + third, start + 2 * third)
    await settle(FETCH_DEBOUNCE_MS + 10)
    expect(timeline.requests).toHaveLength(3)
    expect(store.window?.buckets).toHaveLength(0)
    expect(store.window?.bars.length).toBeGreaterThan(0)
    // Bars now: zooming further in needs nothing new.
    store.setView(start + third, start + 1.2 * third)
    await settle(500)
    expect(timeline.requests).toHaveLength(3)
  })

  it('follows the newest queries while at the right edge, keeping the span', async () => {
    const { store, client, timeline } = await openTimeline(LONG)
    const end = timeline.extent().end
    expect(store.following).toBe(true)
    timeline.grow(5)
    client.emit('queries.changed', { total: 4100, lastId: 4100 })
    await settle(LIVE_REFRESH_MS)
    const newEnd = timeline.extent().end
    expect(newEnd).toBeGreaterThan(end)
    expect(store.view).toEqual({ start: newEnd - INITIAL_SPAN_MS, end: newEnd })
    // The lanes follow too: the newest at the bottom.
    expect(store.firstLane).toBe(185)
  })

  it('stays where the user looks when not at the right edge', async () => {
    const { store, client, timeline } = await openTimeline(LONG)
    const end = timeline.extent().end
    store.setView(end - 90_000, end - 50_000)
    await settle(500)
    expect(store.following).toBe(false)
    timeline.grow(5)
    client.emit('queries.changed', { total: 4100, lastId: 4100 })
    await settle(LIVE_REFRESH_MS)
    expect(store.view).toEqual({ start: end - 90_000, end: end - 50_000 })
    expect(store.totalLanes).toBe(205)
  })

  it('refetches at most every LIVE_REFRESH_MS while the session changes, and not while hidden', async () => {
    const { store, client, timeline } = await openTimeline(LONG)
    for (let i = 0; i < 10; i++) {
      client.emit('queries.changed', { total: 4000 + i, lastId: 4000 + i })
      await settle(50)
    }
    await settle(LIVE_REFRESH_MS)
    // 500 ms of changes: one or two refetches, not ten.
    expect(timeline.requests.length).toBeGreaterThanOrEqual(3)
    expect(timeline.requests.length).toBeLessThanOrEqual(4)
    const before = timeline.requests.length
    store.deactivate()
    client.emit('analysis.changed', {
      summary: {
        queries: 1,
        failed: 0,
        slow: 0,
        fingerprints: 1,
        findings: { 'n-plus-one': 0, duplicate: 0, 'write-loop': 0 },
        insights: 0,
      },
    })
    await settle(2000)
    expect(timeline.requests).toHaveLength(before)
    store.activate()
    await settle()
    expect(timeline.requests).toHaveLength(before + 1)
  })

  it("opens on a finding's request: its time range, its lane found and scrolled into view", async () => {
    const { store, timeline } = await openTimeline(LONG)
    const start = T0 + 150 * 1000
    const end = start + 194
    await store.focusScope('ctx-150', start, end)
    await settle(500)
    expect(store.highlightLaneId).toBe('ctx-150')
    expect(store.following).toBe(false)
    expect(store.view!.start).toBeLessThan(start)
    expect(store.view!.end).toBeGreaterThan(end)
    expect(store.view!.end - store.view!.start).toBeLessThan(300)
    // A third of the way down the 20 lanes on screen.
    expect(store.firstLane).toBe(150 - 6)
    const last = timeline.requests.at(-1)!
    expect(last.laneOffset).toBeLessThanOrEqual(144)
    expect(last.from).toBeLessThan(start)
    expect(store.laneAt(150)?.id).toBe('ctx-150')
  })

  it('says so when the session is empty, and starts once queries come', async () => {
    const { store, client, timeline } = await openTimeline({ ...LONG, lanes: 0 })
    expect(store.loaded).toBe(true)
    expect(store.totalLanes).toBe(0)
    expect(store.view).toBeNull()
    timeline.grow(3)
    client.emit('queries.changed', { total: 60, lastId: 60 })
    await settle(LIVE_REFRESH_MS)
    expect(store.totalLanes).toBe(3)
    expect(store.view).not.toBeNull()
    expect(store.window?.bars.length).toBe(60)
  })
})
