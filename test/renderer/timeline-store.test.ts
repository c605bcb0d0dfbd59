import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import type { TimelineRequest, TimelineWindow } from '@shared/analysis'
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
    // A long session opens on its last minute.
    expect(store.view).toEqual({ start: end - INITIAL_SPAN_MS, end })
    expect(timeline.requests[1]).toEqual(expectedRequest(end - INITIAL_SPAN_MS, end, 0, 20))
    // The lanes of the last 75 s (the minute, padded): 76, of which the first 29 were sent.
    expect(store.totalLanes).toBe(timeline.lanesIn(end - 75_000, end + 15_000).length)
    expect(store.totalLanes).toBe(76)
    // Then the newest at the bottom, live: lanes 56 to 76 on screen, 48 to 76 asked.
    expect(store.firstLane).toBe(56)
    expect(timeline.requests).toHaveLength(3)
    expect(timeline.requests[2]).toEqual(expectedRequest(end - INITIAL_SPAN_MS, end, 56, 20))
    expect(store.window?.lanes).toHaveLength(28)
    expect(store.window?.lanes[0].id).toBe('ctx-172')
    expect(store.window?.bars.length).toBe(28 * 20)
  })

  it('does not ask again while zoom and pan stay inside the fetched window', async () => {
    const { store, timeline } = await openTimeline(LONG)
    const end = timeline.extent().end
    store.setView(end - 40_000, end - 10_000)
    store.setView(end - 45_000, end - 15_000)
    store.setLaneViewport(50, 20)
    await settle(1000)
    expect(timeline.requests).toHaveLength(3)
  })

  it('asks again, once, when panning leaves the fetched window, with the new range', async () => {
    const { store, timeline } = await openTimeline(LONG)
    const end = timeline.extent().end
    store.setView(end - 100_000, end - 40_000)
    store.setView(end - 110_000, end - 50_000)
    await settle(FETCH_DEBOUNCE_MS / 2)
    expect(timeline.requests).toHaveLength(3)
    store.setView(end - 120_000, end - 60_000)
    await settle(FETCH_DEBOUNCE_MS + 10)
    expect(timeline.requests).toHaveLength(4)
    expect(timeline.requests[3]).toEqual(expectedRequest(end - 120_000, end - 60_000, 56, 20))
    expect(store.following).toBe(false)
    // Lanes 64 on are listed for that range; the window starts 48 lanes into them.
    expect(store.window?.lanes[0].id).toBe('ctx-112')
  })

  it('asks for other lanes when scrolled past the fetched ones', async () => {
    const { store, timeline } = await openTimeline(LONG)
    store.setLaneViewport(40.5, 20)
    await settle(500)
    expect(timeline.requests).toHaveLength(4)
    // Lanes 40.5 to 60.5 on screen: 32 to 69 asked, eight more on each side.
    expect(timeline.requests[3]).toMatchObject({ laneOffset: 32, laneLimit: 38 })
    expect(store.laneAt(41)?.id).toBe('ctx-165')
  })

  it('keeps the lane at the top in place when a new window lists other lanes', async () => {
    const { store, timeline } = await openTimeline(LONG)
    const end = timeline.extent().end
    store.setLaneViewport(10, 20)
    await settle(500)
    expect(store.laneAt(10)?.id).toBe('ctx-134')
    // Sixteen seconds earlier: sixteen lanes more listed before it.
    store.setView(end - INITIAL_SPAN_MS - 16_000, end - 16_000)
    await settle(500)
    expect(timeline.requests.length).toBeGreaterThanOrEqual(5)
    expect(store.window?.lanes.some((lane) => lane.id === 'ctx-108')).toBe(false)
    expect(store.firstLane).toBe(26)
    expect(store.laneAt(26)?.id).toBe('ctx-134')
  })

  it('scrolls to the lanes that started in the view when those on screen have nothing in it', async () => {
    const { store, timeline } = await openTimeline(LONG)
    const end = timeline.extent().end
    // Zoomed out to the whole session, the lanes on screen (the newest) stay in view...
    store.setView(T0, end)
    await settle(500)
    expect(store.firstLane).toBe(180)
    // ...but zoomed in on seconds 10 to 30, they are all after it: the lanes scroll to the
    // requests of those seconds, found by bisection.
    store.setView(T0 + 10_000, T0 + 30_000)
    await settle(500)
    expect(store.laneAt(Math.floor(store.firstLane))?.id).toBe('ctx-9')
    const probes = timeline.requests.filter((r) => r.laneLimit === 1 && r.maxBars === 1)
    expect(probes.length).toBeGreaterThan(3)
    expect(probes.length).toBeLessThan(10)
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
    expect(newEnd).toBe(end + 5000)
    expect(store.view).toEqual({ start: newEnd - INITIAL_SPAN_MS, end: newEnd })
  })

  it('keeps the newest lanes in view when scrolled to the bottom while following', async () => {
    const { store, client, timeline } = await openTimeline(LONG)
    store.setLaneViewport(56, 20)
    await settle(500)
    expect(store.laneAt(75)?.id).toBe('ctx-199')
    timeline.grow(5)
    client.emit('queries.changed', { total: 4100, lastId: 4100 })
    await settle(LIVE_REFRESH_MS)
    await settle(500)
    expect(store.totalLanes).toBe(81)
    expect(store.firstLane).toBe(61)
    expect(store.laneAt(80)?.id).toBe('ctx-204')
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
    expect(store.extent?.end).toBe(end + 5000)
    expect(store.view).toEqual({ start: end - 90_000, end: end - 50_000 })
  })

  it('refetches at most every LIVE_REFRESH_MS while the session changes, and not while hidden', async () => {
    const { store, client, timeline } = await openTimeline(LONG)
    const opened = timeline.requests.length
    for (let i = 0; i < 10; i++) {
      client.emit('queries.changed', { total: 4000 + i, lastId: 4000 + i })
      await settle(50)
    }
    await settle(LIVE_REFRESH_MS)
    // 500 ms of changes: one or two refetches, not ten.
    expect(timeline.requests.length).toBeGreaterThanOrEqual(opened + 1)
    expect(timeline.requests.length).toBeLessThanOrEqual(opened + 2)
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
    // Requests 10 ms apart lasting 1.9 s: hundreds overlap, the lane is far down the list.
    const busy: SyntheticTimelineOptions = {
      lanes: 400,
      queriesPerLane: 20,
      laneGapMs: 10,
      queryGapMs: 100,
      durationMs: 4,
    }
    const { store, timeline } = await openTimeline(busy)
    const start = T0 + 3000
    const end = start + 1904
    await store.focusScope('ctx-300', start, end)
    await settle(500)
    expect(store.highlightLaneId).toBe('ctx-300')
    expect(store.following).toBe(false)
    expect(store.view!.start).toBeLessThan(start)
    expect(store.view!.end).toBeGreaterThan(end)
    expect(store.view!.end - store.view!.start).toBeLessThan(3000)
    // The whole session is still fetched around the new view, so lane 300 is the 301st
    // listed: it sits a third of the way down the 20 lanes on screen.
    expect(store.totalLanes).toBe(400)
    expect(store.firstLane).toBe(300 - 6)
    expect(store.laneAt(300)?.id).toBe('ctx-300')
    // Found by bisection, not by reading every lane: a handful of one-lane probes.
    const probes = timeline.requests.filter((r) => r.maxBars === 1 && r.laneLimit === 1)
    expect(probes.length).toBeGreaterThan(3)
    expect(probes.length).toBeLessThan(12)
  })

  it('says so when the session is empty, and starts once queries come', async () => {
    const { store, client, timeline } = await openTimeline({ ...LONG, lanes: 0 })
    expect(store.loaded).toBe(true)
    expect(store.extent).toBeNull()
    expect(store.view).toBeNull()
    timeline.grow(3)
    client.emit('queries.changed', { total: 60, lastId: 60 })
    await settle(LIVE_REFRESH_MS)
    expect(store.totalLanes).toBe(3)
    expect(store.view).not.toBeNull()
    expect(store.window?.bars.length).toBe(60)
  })

  it('starts over on the session viewed next, dropping a window asked of the one before', async () => {
    const { store, client } = await openTimeline(LONG)
    const { start: oldStart, end: oldEnd } = store.extent!
    // A window of the old session is in flight when another session is viewed.
    let answer!: (window: TimelineWindow) => void
    client.handlers['timeline.window'] = () => new Promise((resolve) => (answer = resolve))
    store.showRange(oldStart, oldStart + 10_000)
    await settle(FETCH_DEBOUNCE_MS)

    const next = syntheticTimeline({ ...LONG, lanes: 5, laneGapMs: 100 })
    const held = answer
    client.handlers['timeline.window'] = next.handler
    client.emit('view.changed', {
      kind: 'stored',
      id: 'session-a',
      name: 'Checkout flow',
      startedAt: T0,
      endedAt: T0 + 1000,
      queries: 100,
      apps: [],
    })
    held({
      extent: { start: oldStart, end: oldEnd },
      totalLanes: 999,
      laneOffset: 0,
      lanes: [],
      bars: [],
      buckets: [],
    } as unknown as TimelineWindow)
    await settle(LIVE_REFRESH_MS)
    await settle(LIVE_REFRESH_MS)
    expect(store.extent).toEqual(next.extent())
    expect(store.totalLanes).toBe(5)
  })
})
