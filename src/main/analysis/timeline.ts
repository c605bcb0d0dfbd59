/**
 * The timeline's index: one lane per scope (context or connection burst, see scopes.ts) in
 * the order of their first query, each lane the ids and start times of its queries sorted
 * by start; plus, per held query, its duration, status (ok / slow / error) and the kind of
 * finding it belongs to, in a ring the size of the live session.
 *
 * `window()` answers what the renderer shows: the lanes with a query in the requested time
 * range (padded a little), the requested slice of those lanes, and either every query in it
 * as a bar, or — when that would be more than `maxBars` — per-lane buckets over time slices
 * sized so that the buckets stay under `maxBars`. Finding the queries of a lane in a time
 * range is a binary search on its start times, so a window costs what it returns, not the
 * session's size.
 */
import type {
  BarStatus,
  FindingKind,
  TimelineBar,
  TimelineBucket,
  TimelineLane,
  TimelineRequest,
  TimelineWindow,
} from '../../shared/analysis'
import type { AppInfo, QueryRecord } from '../../shared/domain'
import type { FindingMarks } from './findings'
import type { AnalysisHandler, QueryLookup, Shape } from './handler'
import type { Scope } from './scopes'
import type { StatusMarks } from './slow-failed'

/** The requested range is widened by this fraction on each side, so a small pan needs no refetch. */
export const WINDOW_PADDING = 0.1
/** Characters of SQL a bar carries for its tooltip. */
const BAR_SQL_CHARS = 200

const STATUS_BITS = 0b11
const STATUS_CODE: Record<BarStatus, number> = { ok: 0, slow: 1, error: 2 }
const STATUS_OF: BarStatus[] = ['ok', 'slow', 'error']
/** Finding kinds by how much they matter on the timeline (stored in bits 2-3). */
const FINDING_RANK: Record<FindingKind, number> = { duplicate: 1, 'write-loop': 2, 'n-plus-one': 3 }
const FINDING_OF: (FindingKind | undefined)[] = [undefined, 'duplicate', 'write-loop', 'n-plus-one']

export class Lane {
  /** Query ids sorted by start time, from `head` (ids before it are evicted). */
  readonly ids: number[] = []
  readonly starts: number[] = []
  head = 0
  end = -Infinity
  maxDurationMs = 0
  worstFinding = 0
  dead = false

  constructor(readonly scope: Scope) {}

  get size(): number {
    return this.ids.length - this.head
  }

  add(id: number, start: number, durationMs: number): void {
    const ids = this.ids
    const starts = this.starts
    const last = starts.length - 1
    if (last < this.head || start >= starts[last]!) {
      ids.push(id)
      starts.push(start)
    } else {
      // Agents report a query when it ends: a concurrent one that started earlier comes later.
      const at = this.upperBound(start)
      ids.splice(at, 0, id)
      starts.splice(at, 0, start)
    }
    if (start + durationMs > this.end) this.end = start + durationMs
    if (durationMs > this.maxDurationMs) this.maxDurationMs = durationMs
  }

  /** Index of the first query (from `head`) starting at or after `time`. */
  lowerBound(time: number): number {
    let low = this.head
    let high = this.starts.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.starts[middle]! < time) low = middle + 1
      else high = middle
    }
    return low
  }

  /** Index of the first query (from `head`) starting after `time`. */
  upperBound(time: number): number {
    let low = this.head
    let high = this.starts.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.starts[middle]! <= time) low = middle + 1
      else high = middle
    }
    return low
  }

  /** Drops the evicted queries at the front; true when none is left. */
  trim(firstHeldId: number): boolean {
    while (this.head < this.ids.length && this.ids[this.head]! < firstHeldId) this.head++
    if (this.head > 64 && this.head > this.ids.length / 2) {
      this.ids.splice(0, this.head)
      this.starts.splice(0, this.head)
      this.head = 0
    }
    return this.head >= this.ids.length
  }
}

export interface TimelineExtent {
  start: number
  end: number
  lanes: number
}

export class Timeline implements AnalysisHandler<TimelineExtent>, FindingMarks, StatusMarks {
  private readonly slotIds: Float64Array
  private readonly durations: Float64Array
  private readonly flags: Uint8Array
  private lanes: Lane[] = []
  private lastId = 0
  /** Oldest id held when the lanes were last trimmed. */
  private trimmedAt = 0

  constructor(
    /** Queries held: the live session's capacity. */
    private readonly capacity: number,
    private readonly lookup: QueryLookup,
  ) {
    this.slotIds = new Float64Array(capacity)
    this.durations = new Float64Array(capacity)
    this.flags = new Uint8Array(capacity)
  }

  reset(): void {
    this.slotIds.fill(0)
    this.flags.fill(0)
    this.lanes = []
    this.lastId = 0
    this.trimmedAt = 0
  }

  handleQuery(query: QueryRecord, _app: AppInfo, _fp: Shape, scope: Scope): void {
    const id = query.id
    // Ids only grow (live session and session files alike); anything else is not indexed.
    if (id <= this.lastId) return
    this.lastId = id
    const slot = (id - 1) % this.capacity
    this.slotIds[slot] = id
    this.durations[slot] = query.durationMs
    this.flags[slot] = 0
    let lane = scope.lane
    if (lane === undefined || lane.dead) {
      lane = scope.lane = new Lane(scope)
      this.lanes.push(lane)
    }
    lane.add(id, query.startTime, query.durationMs)
  }

  finalize(): void {}

  data(): TimelineExtent {
    this.trim()
    const { start, end } = this.extent()
    return { start, end, lanes: this.lanes.length }
  }

  markStatus(queryId: number, status: BarStatus): void {
    const slot = this.slotOf(queryId)
    if (slot < 0) return
    const flags = this.flags[slot]!
    const code = STATUS_CODE[status]
    if (code > (flags & STATUS_BITS)) this.flags[slot] = (flags & ~STATUS_BITS) | code
  }

  markFinding(queryId: number, kind: FindingKind, scope?: Scope): void {
    const rank = FINDING_RANK[kind]
    if (scope?.lane !== undefined && rank > scope.lane.worstFinding) scope.lane.worstFinding = rank
    const slot = this.slotOf(queryId)
    if (slot < 0) return
    const flags = this.flags[slot]!
    if (rank > flags >> 2) this.flags[slot] = (flags & STATUS_BITS) | (rank << 2)
  }

  /** Status and finding kind of a held query (tests and the API read them). */
  statusOf(queryId: number): { status: BarStatus; finding?: FindingKind } | undefined {
    const slot = this.slotOf(queryId)
    if (slot < 0) return undefined
    const flags = this.flags[slot]!
    const finding = FINDING_OF[flags >> 2]
    return finding === undefined
      ? { status: STATUS_OF[flags & STATUS_BITS]! }
      : { status: STATUS_OF[flags & STATUS_BITS]!, finding }
  }

  window(request: TimelineRequest): TimelineWindow {
    this.trim()
    const span = Math.max(0, request.to - request.from)
    const from = Math.max(0, request.from - span * WINDOW_PADDING)
    const to = request.to + span * WINDOW_PADDING
    const firstHeld = this.firstHeldId()

    const visible: Lane[] = []
    for (const lane of this.lanes) {
      const first = lane.starts[lane.head]
      if (first !== undefined && first <= to && lane.end >= from) visible.push(lane)
    }
    const shown = visible.slice(request.laneOffset, request.laneOffset + request.laneLimit)

    // Each lane's queries in range: [low, high) by start, then filtered by end and by held.
    const ranges = shown.map((lane) => ({
      low: lane.lowerBound(from - lane.maxDurationMs),
      high: lane.upperBound(to),
    }))
    let matching = 0
    let lanesWithQueries = 0
    const inRange = (lane: Lane, i: number): boolean => {
      const id = lane.ids[i]!
      if (id < firstHeld) return false
      const slot = (id - 1) % this.capacity
      return this.slotIds[slot] === id && lane.starts[i]! + this.durations[slot]! >= from
    }
    shown.forEach((lane, index) => {
      const { low, high } = ranges[index]!
      let n = 0
      for (let i = low; i < high; i++) if (inRange(lane, i)) n++
      matching += n
      if (n > 0) lanesWithQueries++
    })

    const bars: TimelineBar[] = []
    const buckets: TimelineBucket[] = []
    if (matching <= request.maxBars) {
      shown.forEach((lane, index) => {
        const { low, high } = ranges[index]!
        for (let i = low; i < high; i++) {
          if (!inRange(lane, i)) continue
          bars.push(this.bar(lane.ids[i]!, index, lane.starts[i]!))
        }
      })
    } else {
      const slices = Math.max(1, Math.floor(request.maxBars / Math.max(1, lanesWithQueries)))
      const width = (to - from) / slices || 1
      shown.forEach((lane, index) => {
        const { low, high } = ranges[index]!
        this.bucketsOf(lane, index, low, high, from, width, slices, inRange, buckets)
      })
    }

    return {
      from,
      to,
      extent: this.extent(),
      totalLanes: visible.length,
      laneOffset: request.laneOffset,
      lanes: shown.map((lane) => this.describeLane(lane)),
      bars,
      buckets,
    }
  }

  private bar(id: number, lane: number, start: number): TimelineBar {
    const slot = (id - 1) % this.capacity
    const flags = this.flags[slot]!
    const sql = this.lookup(id)?.sql ?? ''
    const bar: TimelineBar = {
      queryId: id,
      lane,
      start,
      durationMs: this.durations[slot]!,
      status: STATUS_OF[flags & STATUS_BITS]!,
      sql: sql.length > BAR_SQL_CHARS ? sql.slice(0, BAR_SQL_CHARS) : sql,
    }
    const finding = FINDING_OF[flags >> 2]
    if (finding !== undefined) bar.finding = finding
    return bar
  }

  private bucketsOf(
    lane: Lane,
    laneIndex: number,
    low: number,
    high: number,
    from: number,
    width: number,
    slices: number,
    inRange: (lane: Lane, i: number) => boolean,
    out: TimelineBucket[],
  ): void {
    let current: TimelineBucket | undefined
    let currentSlice = -1
    // Starts are sorted, so slices come in order: one open bucket at a time.
    for (let i = low; i < high; i++) {
      if (!inRange(lane, i)) continue
      const start = lane.starts[i]!
      const slice = Math.min(slices - 1, Math.max(0, Math.floor((start - from) / width)))
      const id = lane.ids[i]!
      const slot = (id - 1) % this.capacity
      const duration = this.durations[slot]!
      const status = this.flags[slot]! & STATUS_BITS
      if (slice !== currentSlice || current === undefined) {
        current = {
          lane: laneIndex,
          start,
          end: start + duration,
          count: 0,
          errors: 0,
          slow: 0,
          maxDurationMs: 0,
        }
        currentSlice = slice
        out.push(current)
      }
      current.count++
      if (status === STATUS_CODE.error) current.errors++
      else if (status === STATUS_CODE.slow) current.slow++
      if (duration > current.maxDurationMs) current.maxDurationMs = duration
      if (start + duration > current.end) current.end = start + duration
    }
  }

  private describeLane(lane: Lane): TimelineLane {
    const scope = lane.scope
    const described: TimelineLane = {
      id: scope.id,
      name: scope.name ?? scope.id,
      kind: scope.kind,
      appId: scope.appId,
      start: lane.starts[lane.head]!,
      end: lane.end,
      queryCount: lane.size,
    }
    const worst = FINDING_OF[lane.worstFinding]
    if (worst !== undefined) described.worstFinding = worst
    return described
  }

  private extent(): { start: number; end: number } {
    let start = Infinity
    let end = -Infinity
    for (const lane of this.lanes) {
      const first = lane.starts[lane.head]
      if (first !== undefined && first < start) start = first
      if (lane.end > end) end = lane.end
    }
    return start === Infinity ? { start: 0, end: 0 } : { start, end }
  }

  private firstHeldId(): number {
    return Math.max(1, this.lastId - this.capacity + 1)
  }

  private slotOf(id: number): number {
    if (id < this.firstHeldId() || id > this.lastId) return -1
    const slot = (id - 1) % this.capacity
    return this.slotIds[slot] === id ? slot : -1
  }

  /** Drops evicted queries from the lanes, and lanes left empty. */
  private trim(): void {
    const firstHeld = this.firstHeldId()
    if (firstHeld === this.trimmedAt) return
    this.trimmedAt = firstHeld
    this.lanes = this.lanes.filter((lane) => {
      if (!lane.trim(firstHeld)) return true
      lane.dead = true
      return false
    })
  }
}
