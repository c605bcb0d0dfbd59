/**
 * The Timeline view's data: never the session, only the window on screen.
 *
 * The chart reports the visible time range (`setView`, from its zoom and pan) and the
 * lanes it shows (`setLaneViewport`, from the vertical scroll). The core's lanes are those
 * with a query in the range asked, in order of their first query; the store asks for the
 * visible range padded by a quarter view on each side and the lanes on screen padded by a
 * few, and keeps
 * the request it made: while the view stays inside it nothing is fetched; once the view
 * leaves it (or zooms in on aggregated buckets, where more detail exists) it asks again,
 * debounced, one request at a time. Above `TIMELINE_MAX_BARS` in a window the core sends
 * buckets instead of bars. (Perfetto's buffered bounds work the same way.)
 *
 * A new window lists other lanes: the lane at the top of the plot is kept at the top when
 * it is still listed, so panning does not make the rows jump.
 *
 * Live: when the session changes the window is stale and is fetched again, at most every
 * `LIVE_REFRESH_MS`. While the view's right edge is at the newest query (`following`), it
 * moves with the newest, keeping its span; lanes scrolled to the bottom stay there.
 *
 * Times are epoch ms here; the chart draws them relative to `origin`.
 */
import { computed, ref, shallowRef } from 'vue'
import { defineStore } from 'pinia'
import type { EpochMs } from '@shared/domain'
import type { TimelineLane, TimelineRequest, TimelineWindow } from '@shared/analysis'
import { useProfilerClient } from '@renderer/api/client'
import { useConnectionStore } from '@renderer/stores/connection'
import { useViewStore } from '@renderer/stores/view'

export interface TimeRange {
  start: EpochMs
  end: EpochMs
}

/** Bars per window; past this the core aggregates into buckets. */
export const TIMELINE_MAX_BARS = 4000
/**
 * Of the visible span, fetched beyond each side of the view. Modest, because the core lists
 * the lanes with a query anywhere in the range asked: padding adds lanes that have nothing
 * on screen.
 */
export const TIME_PADDING = 0.25
/** Lanes fetched beyond each edge of the visible ones. */
export const LANE_PADDING = 8
/** The core's cap on lanes per window. */
export const MAX_LANE_LIMIT = 500
/** Quiet time after the view moves before asking for a new window... */
export const FETCH_DEBOUNCE_MS = 100
/** ...unless it keeps moving for this long: then ask anyway. */
export const FETCH_MAX_WAIT_MS = 300
/** At most one refetch per this long while the session changes under the view. */
export const LIVE_REFRESH_MS = 500
/** A long session opens on its last minute; a short one whole. */
export const INITIAL_SPAN_MS = 60_000
/** The narrowest view (50 µs) and the narrowest axis. */
export const MIN_SPAN_MS = 0.05
export const MIN_DOMAIN_MS = 10

/** Lanes looked through per request when looking for a finding's lane. */
const LOCATE_PAGE = 100

/** Asks for the extent only: a 1-ms range at the epoch, where no query is. */
const EXTENT_PROBE: TimelineRequest = { from: 0, to: 1, laneOffset: 0, laneLimit: 1, maxBars: 1 }

const message = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

export const useTimelineStore = defineStore('timeline', () => {
  const client = useProfilerClient()
  const connection = useConnectionStore()
  const viewing = useViewStore()

  /** The last window the core sent. */
  const window = shallowRef<TimelineWindow | null>(null)
  /** The session's first and last query, `null` until known. */
  const extent = ref<TimeRange | null>(null)
  /** Lanes (request / job contexts, connection bursts) with a query in the fetched range. */
  const totalLanes = ref(0)
  /** The visible time range, `null` until the extent is known. */
  const view = ref<TimeRange | null>(null)
  /** Bumped whenever the store moves the view itself (the chart then follows). */
  const viewRevision = ref(0)
  /** The lane at the top of the plot, fractional while scrolled between lanes. */
  const firstLane = ref(0)
  /** How many lanes the plot is tall. */
  const visibleLanes = ref(0)
  /** Bumped whenever the store scrolls the lanes itself. */
  const laneRevision = ref(0)
  /** Whether the view moves with the newest query. */
  const following = ref(true)
  /** The lane to highlight (a finding's context, after "Show in timeline"). */
  const highlightLaneId = ref<string | null>(null)
  /** Whether the first window has arrived. */
  const loaded = ref(false)
  const loading = ref(false)
  const loadError = ref<string | null>(null)

  let requested: TimelineRequest | null = null
  let active = false
  /** The session changed since the window was asked for. */
  let stale = true
  let inFlight = false
  let fetchTimer: ReturnType<typeof setTimeout> | null = null
  let debounceStartedAt = 0
  let lastFetchAt = -Infinity
  /**
   * Numbers the window requests: `windowSequence` is the shown window's, `jumpedAt` the
   * last one made before the store scrolled the lanes itself.
   */
  let requestSequence = 0
  let windowSequence = 0
  let jumpedAt = 0
  /** The view the lanes were last aligned for (see `alignLanes`). */
  let alignedView: TimeRange | null = null
  let aligning = false
  /** Bumped when another session is viewed: replies asked of the one before are dropped. */
  let sessionEpoch = 0

  /**
   * Time zero of the axis: the session's start, or its first query if that is earlier (an
   * agent that sends queries it buffered before the session began, a loaded session).
   */
  const origin = computed<EpochMs>(() => {
    const earliest = Math.min(
      viewing.viewed.kind === 'live'
        ? (connection.status?.sessionStartedAt ?? Infinity)
        : viewing.viewed.startedAt,
      extent.value?.start ?? Infinity,
    )
    return Number.isFinite(earliest) ? earliest : 0
  })

  /** The zoomable range: the extent, at least `MIN_DOMAIN_MS` wide. */
  const domain = computed<TimeRange | null>(() => {
    const e = extent.value
    if (!e) return null
    return { start: e.start, end: Math.max(e.end, e.start + MIN_DOMAIN_MS) }
  })

  /** The lane at absolute index `index`, when it is in the window. */
  function laneAt(index: number): TimelineLane | undefined {
    const w = window.value
    return w ? w.lanes[index - w.laneOffset] : undefined
  }

  function atRightEdge(range: TimeRange): boolean {
    const d = domain.value
    if (!d) return true
    const tolerance = Math.max((range.end - range.start) * 0.01, 0.001)
    return range.end >= d.end - tolerance
  }

  /** Whether the time range last asked for still serves view `v`. */
  function timeCovered(v: TimeRange): boolean {
    const w = window.value
    const r = requested
    if (!w || !r || r === EXTENT_PROBE) return false
    if (v.start < r.from || v.end > r.to) return false
    // Aggregated: zoomed in twice or more since, single queries may now be drawable.
    const fetchedSpan = (r.to - r.from) / (1 + 2 * TIME_PADDING)
    return !(w.buckets.length > 0 && v.end - v.start < fetchedSpan / 2)
  }

  function isCovered(): boolean {
    const r = requested
    const v = view.value
    if (!r || !v || !timeCovered(v)) return false
    const first = Math.floor(firstLane.value)
    const last = Math.min(totalLanes.value, Math.ceil(firstLane.value + visibleLanes.value))
    return first >= r.laneOffset && last <= r.laneOffset + r.laneLimit
  }

  /**
   * The request for view `v` and the lanes on screen. While the range last asked for still
   * serves the view, it is kept: only the lanes change, and lane indexes (which depend on
   * the range) keep their meaning.
   */
  function buildRequest(v: TimeRange): TimelineRequest {
    const pad = (v.end - v.start) * TIME_PADDING
    const keep = timeCovered(v) ? requested : null
    const laneOffset = Math.max(0, Math.floor(firstLane.value) - LANE_PADDING)
    const laneLimit = Math.min(
      MAX_LANE_LIMIT,
      Math.ceil(firstLane.value + visibleLanes.value) + LANE_PADDING - laneOffset + 1,
    )
    return {
      from: keep ? keep.from : Math.max(0, v.start - pad),
      to: keep ? keep.to : v.end + pad,
      laneOffset,
      laneLimit: Math.max(1, laneLimit),
      maxBars: TIMELINE_MAX_BARS,
    }
  }

  function sameRequest(a: TimelineRequest, b: TimelineRequest): boolean {
    return (
      a.from === b.from &&
      a.to === b.to &&
      a.laneOffset === b.laneOffset &&
      a.laneLimit === b.laneLimit
    )
  }

  function clearTimer(): void {
    if (fetchTimer) clearTimeout(fetchTimer)
    fetchTimer = null
  }

  /** After the view moved: fetch once it rests (or after `FETCH_MAX_WAIT_MS` of moving). */
  function debounceFetch(): void {
    if (!active) return
    const now = Date.now()
    if (!fetchTimer) debounceStartedAt = now
    else if (now - debounceStartedAt >= FETCH_MAX_WAIT_MS) return
    clearTimer()
    fetchTimer = setTimeout(runTimer, FETCH_DEBOUNCE_MS)
  }

  /** After the session changed: fetch, but not more often than `LIVE_REFRESH_MS`. */
  function throttleFetch(): void {
    if (!active || fetchTimer) return
    const delay = Math.max(0, lastFetchAt + LIVE_REFRESH_MS - Date.now())
    fetchTimer = setTimeout(runTimer, delay)
  }

  function runTimer(): void {
    fetchTimer = null
    void fetchNow()
  }

  /** Asks for the window the view needs now (or for the extent, before there is a view). */
  async function fetchNow(): Promise<void> {
    clearTimer()
    if (inFlight) return
    const request = view.value ? buildRequest(view.value) : EXTENT_PROBE
    const sequence = ++requestSequence
    const epoch = sessionEpoch
    inFlight = true
    loading.value = true
    stale = false
    lastFetchAt = Date.now()
    let succeeded = false
    try {
      const result = await client.request('timeline.window', request)
      succeeded = true
      // Asked of the session viewed before: fetched again for the one viewed now.
      if (epoch !== sessionEpoch) stale = true
      else applyWindow(result, request, sequence)
      loadError.value = null
    } catch (cause) {
      loadError.value = message(cause)
    } finally {
      inFlight = false
      loading.value = false
      if (succeeded && active) {
        // The view moved while this was in flight (a request identical to the one just
        // answered would not help: lanes taller than the core's cap, say).
        if (view.value && !isCovered() && !sameRequest(buildRequest(view.value), request))
          void fetchNow()
        else if (stale) throttleFetch()
      }
    }
  }

  function applyWindow(result: TimelineWindow, request: TimelineRequest, sequence: number): void {
    const previousEnd = extent.value?.end
    // Read before the window changes: what the plot showed at its top, and at its bottom.
    // After a jump the lane index is meant for a window asked after it, not for one before.
    const anchor = windowSequence > jumpedAt ? laneAt(Math.floor(firstLane.value))?.id : undefined
    const anchorFraction = firstLane.value - Math.floor(firstLane.value)
    // Opening (the window after the probe) counts as at the bottom: live, the newest lanes
    // are the ones at the right edge of the view.
    const wasAtBottom =
      requested === EXTENT_PROBE ||
      (requested !== null && firstLane.value + visibleLanes.value >= totalLanes.value - 0.5)
    window.value = result
    windowSequence = sequence
    requested = request
    totalLanes.value = result.totalLanes
    loaded.value = true
    if (result.extent.start === 0 && result.extent.end === 0) {
      // Empty (or just cleared): start over when queries come.
      extent.value = null
      view.value = null
      following.value = true
      return
    }
    extent.value = { start: result.extent.start, end: result.extent.end }
    const d = domain.value as TimeRange
    if (!view.value) {
      view.value = { start: Math.max(d.start, d.end - INITIAL_SPAN_MS), end: d.end }
      following.value = true
      viewRevision.value += 1
    } else if (following.value && previousEnd !== undefined && d.end > previousEnd) {
      const span = view.value.end - view.value.start
      view.value = { start: d.end - span, end: d.end }
      viewRevision.value += 1
    }
    if (following.value && wasAtBottom) scrollLanesToBottom()
    else if (anchor !== undefined) keepAtTop(anchor, anchorFraction)
    clampLanes()
    if (!lanesOnScreenInView()) void alignLanes()
  }

  /**
   * Whether a lane on screen has a query in the view. Lanes are listed for the padded
   * range, in order of their first query, so after a zoom or pan the ones on screen can all
   * lie outside the view (a staircase seen from its wrong end): then nothing would show.
   * Lanes not in the window yet are not judged.
   */
  function lanesOnScreenInView(): boolean {
    const v = view.value
    if (!v) return true
    const first = Math.floor(firstLane.value)
    const last = Math.min(totalLanes.value, Math.ceil(firstLane.value + visibleLanes.value))
    let known = 0
    for (let index = first; index < last; index++) {
      const lane = laneAt(index)
      if (!lane) continue
      known += 1
      if (lane.end >= v.start && lane.start <= v.end) return true
    }
    return known === 0
  }

  /**
   * Scrolls the lanes to where the view starts: the first lane that started in it (lanes
   * are in order of their first query, so a binary search over one-lane requests finds it),
   * with the one before it, which may still be running, on top. Once per view.
   */
  async function alignLanes(): Promise<void> {
    const v = view.value
    const range = requested
    if (!v || !range || range === EXTENT_PROBE || aligning || alignedView === v) return
    alignedView = v
    aligning = true
    try {
      let low = 0
      let high = totalLanes.value
      while (low < high) {
        const mid = Math.floor((low + high) / 2)
        const probe = await client.request('timeline.window', {
          from: range.from,
          to: range.to,
          laneOffset: mid,
          laneLimit: 1,
          maxBars: 1,
        })
        const lane = probe.lanes[0]
        if (!lane || lane.start >= v.start) high = mid
        else low = mid + 1
      }
      if (view.value === v) scrollToLane(Math.max(0, low - 1), 'top')
    } catch {
      // Left where it was: the user can still scroll.
    } finally {
      aligning = false
    }
  }

  /** Puts lane `id` back at the top of the plot if the new window lists it. */
  function keepAtTop(id: string, fraction: number): void {
    const w = window.value
    const at = w ? w.lanes.findIndex((lane) => lane.id === id) : -1
    if (!w || at < 0) return
    const first = w.laneOffset + at + fraction
    if (first === firstLane.value) return
    firstLane.value = first
    laneRevision.value += 1
  }

  function maxFirstLane(): number {
    return Math.max(0, totalLanes.value - visibleLanes.value)
  }

  function scrollLanesToBottom(): void {
    const bottom = maxFirstLane()
    if (firstLane.value === bottom) return
    firstLane.value = bottom
    laneRevision.value += 1
  }

  function clampLanes(): void {
    if (firstLane.value > maxFirstLane()) {
      firstLane.value = maxFirstLane()
      laneRevision.value += 1
    }
  }

  /** The chart's zoom or pan moved the view (epoch ms). */
  function setView(start: EpochMs, end: EpochMs): void {
    if (view.value && view.value.start === start && view.value.end === end) return
    view.value = { start, end }
    following.value = atRightEdge(view.value)
    if (!isCovered()) debounceFetch()
    else if (!lanesOnScreenInView()) void alignLanes()
  }

  /** The plot scrolled or resized: `first` (fractional) is at the top, `visible` lanes fit. */
  function setLaneViewport(first: number, visible: number): void {
    firstLane.value = Math.max(0, first)
    visibleLanes.value = Math.max(0, visible)
    if (view.value && !isCovered()) debounceFetch()
  }

  /** Moves the view itself (buttons, jumps); the chart follows `viewRevision`. */
  function showRange(start: EpochMs, end: EpochMs): void {
    const mid = (start + end) / 2
    const half = Math.max(end - start, MIN_SPAN_MS) / 2
    view.value = { start: mid - half, end: mid + half }
    following.value = atRightEdge(view.value)
    viewRevision.value += 1
    if (!isCovered()) debounceFetch()
  }

  /** The whole session. */
  function showAll(): void {
    const d = domain.value
    if (d) showRange(d.start, d.end)
  }

  /** Back to the newest queries, keeping the span, and follow them. */
  function followLive(): void {
    const d = domain.value
    if (!d || !view.value) return
    const span = view.value.end - view.value.start
    showRange(d.end - span, d.end)
    following.value = true
    scrollLanesToBottom()
  }

  /** Scrolls the lanes so that lane `index` sits a third of the way down. */
  /** Scrolls lane `index` to the top, or a third of the way down (to show what precedes it). */
  function scrollToLane(index: number, position: 'top' | 'third' = 'third'): void {
    const above = position === 'top' ? 0 : Math.floor(visibleLanes.value / 3)
    const target = Math.min(maxFirstLane(), Math.max(0, index - above))
    jumpedAt = requestSequence
    firstLane.value = target
    laneRevision.value += 1
    if (view.value && !isCovered()) debounceFetch()
  }

  /**
   * Opens the timeline on one request / job (a finding's scope): its time range, its lane
   * highlighted and scrolled into view. The lane's index in the window is not known up
   * front; it is looked for in the lanes of the range the view will ask for (so the index
   * is the one the window will have): among the first ones, then by a binary search on the
   * lanes' start times, which are in order.
   */
  async function focusScope(scopeId: string, from: EpochMs, to: EpochMs): Promise<void> {
    highlightLaneId.value = scopeId
    const margin = Math.max((to - from) * 0.15, 1)
    showRange(from - margin, to + margin)
    following.value = false
    const range = buildRequest(view.value as TimeRange)
    const located = await locateLane(scopeId, range.from, range.to, from)
    if (!located) return
    // The lanes of the range the view now asks for: the window on its way will list as many.
    totalLanes.value = located.totalLanes
    scrollToLane(located.index)
  }

  async function locateLane(
    id: string,
    from: EpochMs,
    to: EpochMs,
    startedBy: EpochMs,
  ): Promise<{ index: number; totalLanes: number } | null> {
    const probe = (laneOffset: number, laneLimit: number): Promise<TimelineWindow> =>
      client.request('timeline.window', { from, to, laneOffset, laneLimit, maxBars: 1 })
    const found = (w: TimelineWindow): { index: number; totalLanes: number } | null => {
      const at = w.lanes.findIndex((lane) => lane.id === id)
      return at >= 0 ? { index: w.laneOffset + at, totalLanes: w.totalLanes } : null
    }
    try {
      const first = await probe(0, LOCATE_PAGE)
      const direct = found(first)
      if (direct !== null || first.totalLanes <= first.lanes.length) return direct
      // The last lane that started by `startedBy`: the one wanted is at or shortly before it.
      let low = 0
      let high = first.totalLanes - 1
      while (low < high) {
        const mid = Math.ceil((low + high) / 2)
        const lane = (await probe(mid, 1)).lanes[0]
        if (lane && lane.start <= startedBy) low = mid
        else high = mid - 1
      }
      const offset = Math.max(0, low - LOCATE_PAGE + 1)
      return found(await probe(offset, low - offset + 1))
    } catch {
      return null
    }
  }

  /** The view is shown: fetch what it needs. */
  function activate(): void {
    active = true
    if (stale || !isCovered()) void fetchNow()
  }

  function deactivate(): void {
    active = false
    clearTimer()
  }

  function onSessionChanged(): void {
    stale = true
    throttleFetch()
  }

  /** Another session is viewed: its own extent, lanes and view, from the start. */
  function reset(): void {
    clearTimer()
    sessionEpoch += 1
    window.value = null
    requested = null
    extent.value = null
    view.value = null
    viewRevision.value += 1
    totalLanes.value = 0
    firstLane.value = 0
    laneRevision.value += 1
    following.value = true
    highlightLaneId.value = null
    loaded.value = false
    alignedView = null
    stale = true
    if (active) void fetchNow()
  }

  client.on('queries.changed', ({ total }) => {
    if (total === 0) highlightLaneId.value = null
    onSessionChanged()
  })
  client.on('view.changed', reset)
  client.on('analysis.changed', onSessionChanged)
  client.onStateChange((state) => {
    if (state === 'open') onSessionChanged()
  })

  return {
    window,
    extent,
    totalLanes,
    view,
    viewRevision,
    firstLane,
    visibleLanes,
    laneRevision,
    following,
    highlightLaneId,
    loaded,
    loading,
    loadError,
    origin,
    domain,
    laneAt,
    setView,
    setLaneViewport,
    showRange,
    showAll,
    followLive,
    scrollToLane,
    focusScope,
    activate,
    deactivate,
  }
})
