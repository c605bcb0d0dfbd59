/**
 * The timeline's index. Per held query, in a ring the size of the live session: its id,
 * start, duration, status (ok / slow / error) and the kind of finding it belongs to, in typed
 * columns, plus the next slot of its lane. One lane per scope (context or connection burst,
 * see scopes.ts), in the order of their first query; a lane is a list of ring slots in
 * arrival order, kept on the scope itself (`laneHead` ... `laneTail`). So indexing a query
 * allocates nothing, and when the ring overwrites a slot the query it evicts is always the
 * oldest of its lane: the lane's head moves on.
 *
 * `window()` answers what the renderer shows: the lanes with a query in the requested time
 * range (padded a little), the requested slice of those lanes, and either every query in it
 * as a bar, or — when that would be more than `maxBars` — per-lane buckets over time slices
 * sized so that the buckets stay under `maxBars`. A lane of a few queries is read whole; a
 * lane longer than LANE_INDEX_FROM gets an index of its ids sorted by start, built when first
 * asked for and extended as it grows, and is read by binary search. So a window costs about
 * what it returns, not the session's size.
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
/** Lanes with more queries than this are read through a sorted index. */
export const LANE_INDEX_FROM = 64
/** Characters of SQL a bar carries for its tooltip. */
const BAR_SQL_CHARS = 200

const STATUS_BITS = 0b11
const STATUS_CODE: Record<BarStatus, number> = { ok: 0, slow: 1, error: 2 }
const STATUS_OF: BarStatus[] = ['ok', 'slow', 'error']
/** Finding kinds by how much they matter on the timeline (stored in bits 2-3). */
const FINDING_RANK: Record<FindingKind, number> = { duplicate: 1, 'write-loop': 2, 'n-plus-one': 3 }
const FINDING_OF: (FindingKind | undefined)[] = [undefined, 'duplicate', 'write-loop', 'n-plus-one']

/** A long lane's queries sorted by start: ids and starts side by side. */
export interface LaneIndex {
  ids: number[]
  starts: number[]
  /** Highest id indexed and its slot: later ones are added on the next read. */
  lastId: number
  lastSlot: number
}

/** A lane's queries in a time range: slots, in start order. */
type Slots = number[]

export interface TimelineExtent {
  start: number
  end: number
  lanes: number
}

export class Timeline implements AnalysisHandler<TimelineExtent>, FindingMarks, StatusMarks {
  private readonly ids: Float64Array
  private readonly starts: Float64Array
  private readonly durations: Float64Array
  private readonly flags: Uint8Array
  /** Next slot of the same lane (-1: the lane's newest). */
  private readonly next: Int32Array
  private readonly laneOf: (Scope | undefined)[]
  /** Queries indexed so far: the next one goes to slot `written % capacity`. */
  private written = 0
  private lastId = 0
  /** Whether ids so far came without gaps, so that a slot can be computed from an id. */
  private contiguous = true
  private lanes: Scope[] = []
  private deadLanes = 0

  constructor(
    /** Queries held: the live session's capacity. */
    private readonly capacity: number,
    private readonly lookup: QueryLookup,
  ) {
    this.ids = new Float64Array(capacity)
    this.starts = new Float64Array(capacity)
    this.durations = new Float64Array(capacity)
    this.flags = new Uint8Array(capacity)
    this.next = new Int32Array(capacity)
    this.laneOf = new Array<Scope | undefined>(capacity)
  }

  reset(): void {
    this.laneOf.fill(undefined)
    this.written = 0
    this.lastId = 0
    this.contiguous = true
    for (const lane of this.lanes) clearLane(lane)
    this.lanes = []
    this.deadLanes = 0
  }

  handleQuery(query: QueryRecord, _app: AppInfo, _fp: Shape, scope: Scope): void {
    const id = query.id
    // Ids only grow (live session and session files alike); anything else is not indexed.
    if (id <= this.lastId) return
    if (this.written > 0 && id !== this.lastId + 1) this.contiguous = false
    this.lastId = id
    const slot = this.written++ % this.capacity
    const evicted = this.laneOf[slot]
    if (evicted !== undefined) {
      // The oldest query held is the head of its lane.
      evicted.laneHead = this.next[slot]!
      if (this.starts[slot]! <= evicted.laneStart) evicted.laneStartStale = true
      if (--evicted.laneCount === 0) {
        evicted.laneTail = -1
        this.deadLanes++
      }
    }
    const start = query.startTime
    const duration = query.durationMs
    this.ids[slot] = id
    this.starts[slot] = start
    this.durations[slot] = duration
    this.flags[slot] = 0
    this.next[slot] = -1
    this.laneOf[slot] = scope
    if (scope.laneCount === 0) {
      scope.laneHead = slot
      if (!scope.inLanes) {
        scope.inLanes = true
        this.lanes.push(scope)
      } else this.deadLanes--
    } else this.next[scope.laneTail] = slot
    scope.laneTail = slot
    scope.laneCount++
    if (start < scope.laneStart) scope.laneStart = start
    if (start + duration > scope.laneEnd) scope.laneEnd = start + duration
    if (duration > scope.laneMaxDurationMs) scope.laneMaxDurationMs = duration
  }

  finalize(): void {}

  data(): TimelineExtent {
    this.dropDeadLanes()
    return { ...this.extent(), lanes: this.lanes.length }
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
    if (scope !== undefined && rank > scope.laneWorstFinding) scope.laneWorstFinding = rank
    const slot = this.slotOf(queryId)
    if (slot < 0) return
    const flags = this.flags[slot]!
    if (rank > flags >> 2) this.flags[slot] = (flags & STATUS_BITS) | (rank << 2)
  }

  /** Status and finding kind of a held query. */
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
    this.dropDeadLanes()
    const span = Math.max(0, request.to - request.from)
    const from = Math.max(0, request.from - span * WINDOW_PADDING)
    const to = request.to + span * WINDOW_PADDING

    const visible: Scope[] = []
    for (const lane of this.lanes) {
      if (lane.laneCount > 0 && this.laneStart(lane) <= to && lane.laneEnd >= from) {
        visible.push(lane)
      }
    }
    const shown = visible.slice(request.laneOffset, request.laneOffset + request.laneLimit)
    const inRange = shown.map((lane) => this.slotsInRange(lane, from, to))
    let matching = 0
    let lanesWithQueries = 0
    for (const slots of inRange) {
      matching += slots.length
      if (slots.length > 0) lanesWithQueries++
    }

    const bars: TimelineBar[] = []
    const buckets: TimelineBucket[] = []
    if (matching <= request.maxBars) {
      inRange.forEach((slots, lane) => {
        for (const slot of slots) bars.push(this.bar(slot, lane))
      })
    } else {
      const slices = Math.max(1, Math.floor(request.maxBars / Math.max(1, lanesWithQueries)))
      const width = (to - from) / slices || 1
      inRange.forEach((slots, lane) => this.bucketsOf(slots, lane, from, width, slices, buckets))
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

  /** The lane's held queries that overlap [from, to], in start order. */
  private slotsInRange(lane: Scope, from: number, to: number): Slots {
    const slots: Slots = []
    if (lane.laneCount <= LANE_INDEX_FROM) {
      for (let slot = lane.laneHead; slot >= 0; slot = this.next[slot]!) {
        const start = this.starts[slot]!
        if (start <= to && start + this.durations[slot]! >= from) slots.push(slot)
      }
      // Arrival order is end order: put them in start order.
      return slots.sort((a, b) => this.starts[a]! - this.starts[b]! || this.ids[a]! - this.ids[b]!)
    }
    const index = this.indexOf(lane)
    const firstHeld = this.ids[lane.laneHead]!
    let i = lowerBound(index.starts, from - lane.laneMaxDurationMs)
    for (; i < index.starts.length && index.starts[i]! <= to; i++) {
      const id = index.ids[i]!
      if (id < firstHeld) continue
      const slot = this.slotOf(id)
      if (slot >= 0 && index.starts[i]! + this.durations[slot]! >= from) slots.push(slot)
    }
    return slots
  }

  /** The long lane's sorted index, brought up to date. */
  private indexOf(lane: Scope): LaneIndex {
    let index = lane.laneIndex
    const firstHeld = this.ids[lane.laneHead]!
    let slot: number
    if (
      index !== undefined &&
      index.lastId >= firstHeld &&
      this.ids[index.lastSlot] === index.lastId
    ) {
      // Up to date but for the queries that arrived since: they follow the last one indexed.
      slot = this.next[index.lastSlot]!
      if (index.ids.length > 2 * lane.laneCount) {
        // Mostly evicted: keep only what is still held.
        const held = index.ids
          .map((id, i) => [id, index!.starts[i]!] as const)
          .filter(([id]) => id >= firstHeld)
        index.ids = held.map(([id]) => id)
        index.starts = held.map(([, start]) => start)
      }
    } else {
      index = lane.laneIndex = { ids: [], starts: [], lastId: 0, lastSlot: -1 }
      slot = lane.laneHead
    }
    for (; slot >= 0; slot = this.next[slot]!) {
      const id = this.ids[slot]!
      const start = this.starts[slot]!
      const at = upperBound(index.starts, start)
      if (at === index.starts.length) {
        index.ids.push(id)
        index.starts.push(start)
      } else {
        index.ids.splice(at, 0, id)
        index.starts.splice(at, 0, start)
      }
      index.lastId = id
      index.lastSlot = slot
    }
    return index
  }

  private bar(slot: number, lane: number): TimelineBar {
    const id = this.ids[slot]!
    const flags = this.flags[slot]!
    const sql = this.lookup(id)?.sql ?? ''
    const bar: TimelineBar = {
      queryId: id,
      lane,
      start: this.starts[slot]!,
      durationMs: this.durations[slot]!,
      status: STATUS_OF[flags & STATUS_BITS]!,
      sql: sql.length > BAR_SQL_CHARS ? sql.slice(0, BAR_SQL_CHARS) : sql,
    }
    const finding = FINDING_OF[flags >> 2]
    if (finding !== undefined) bar.finding = finding
    return bar
  }

  private bucketsOf(
    slots: Slots,
    lane: number,
    from: number,
    width: number,
    slices: number,
    out: TimelineBucket[],
  ): void {
    let current: TimelineBucket | undefined
    let currentSlice = -1
    // Slots are in start order, so slices come in order: one open bucket at a time.
    for (const slot of slots) {
      const start = this.starts[slot]!
      const slice = Math.min(slices - 1, Math.max(0, Math.floor((start - from) / width)))
      const duration = this.durations[slot]!
      const status = this.flags[slot]! & STATUS_BITS
      if (current === undefined || slice !== currentSlice) {
        current = {
          lane,
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

  private describeLane(lane: Scope): TimelineLane {
    const described: TimelineLane = {
      id: lane.id,
      name: lane.name ?? lane.id,
      kind: lane.kind,
      appId: lane.appId,
      start: this.laneStart(lane),
      end: lane.laneEnd,
      queryCount: lane.laneCount,
    }
    const worst = FINDING_OF[lane.laneWorstFinding]
    if (worst !== undefined) described.worstFinding = worst
    return described
  }

  /** The earliest start among the lane's held queries. */
  private laneStart(lane: Scope): number {
    if (!lane.laneStartStale) return lane.laneStart
    let start = Infinity
    if (lane.laneCount > LANE_INDEX_FROM) {
      const index = this.indexOf(lane)
      const firstHeld = this.ids[lane.laneHead]!
      for (let i = 0; i < index.ids.length && start === Infinity; i++) {
        if (index.ids[i]! >= firstHeld) start = index.starts[i]!
      }
    } else {
      for (let slot = lane.laneHead; slot >= 0; slot = this.next[slot]!) {
        if (this.starts[slot]! < start) start = this.starts[slot]!
      }
    }
    lane.laneStart = start
    lane.laneStartStale = false
    return start
  }

  private extent(): { start: number; end: number } {
    let start = Infinity
    let end = -Infinity
    for (const lane of this.lanes) {
      if (lane.laneCount === 0) continue
      const laneStart = this.laneStart(lane)
      if (laneStart < start) start = laneStart
      if (lane.laneEnd > end) end = lane.laneEnd
    }
    return start === Infinity ? { start: 0, end: 0 } : { start, end }
  }

  private slotOf(id: number): number {
    if (id > this.lastId || this.written === 0) return -1
    const held = Math.min(this.written, this.capacity)
    if (this.contiguous) {
      const back = this.lastId - id
      if (back >= held) return -1
      return (this.written - 1 - back) % this.capacity
    }
    // Ids with gaps (a hand-made session file): binary search the ring, oldest to newest.
    let low = this.written - held
    let high = this.written - 1
    while (low <= high) {
      const middle = Math.floor((low + high) / 2)
      const found = this.ids[middle % this.capacity]!
      if (found === id) return middle % this.capacity
      if (found < id) low = middle + 1
      else high = middle - 1
    }
    return -1
  }

  /** Forgets lanes whose every query was evicted, once there are many. */
  private dropDeadLanes(): void {
    if (this.deadLanes === 0 || this.deadLanes < this.lanes.length / 4) return
    this.lanes = this.lanes.filter((lane) => {
      if (lane.laneCount > 0) return true
      clearLane(lane)
      return false
    })
    this.deadLanes = 0
  }
}

function clearLane(lane: Scope): void {
  lane.inLanes = false
  lane.laneHead = -1
  lane.laneTail = -1
  lane.laneCount = 0
  lane.laneStart = Infinity
  lane.laneStartStale = false
  lane.laneEnd = -Infinity
  lane.laneMaxDurationMs = 0
  lane.laneWorstFinding = 0
  lane.laneIndex = undefined
}

function lowerBound(values: number[], value: number): number {
  let low = 0
  let high = values.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (values[middle]! < value) low = middle + 1
    else high = middle
  }
  return low
}

function upperBound(values: number[], value: number): number {
  let low = 0
  let high = values.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (values[middle]! <= value) low = middle + 1
    else high = middle
  }
  return low
}
