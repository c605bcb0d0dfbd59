/**
 * The timeline's index. Per held query, in a ring the size of the live session: its id,
 * start, duration, status (ok / slow / error), the kind of finding it belongs to, its lane
 * and the next slot of that lane, all in typed columns. One lane per scope (context or
 * connection burst, see scopes.ts), in the order of their first query; a lane is a list of
 * ring slots in arrival order, and its own numbers (head, tail, count, span, ...) are typed
 * columns too, indexed by a lane number the scope carries. So indexing a query allocates
 * nothing and stores no object reference; and when the ring overwrites a slot, the query it
 * evicts is always the oldest of its lane: the lane's head moves on.
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
interface LaneIndex {
  ids: number[]
  starts: number[]
  /** Highest id indexed and its slot: later ones are added on the next read. */
  lastId: number
  lastSlot: number
}

export interface TimelineExtent {
  start: number
  end: number
  lanes: number
}

export class Timeline implements AnalysisHandler<TimelineExtent>, FindingMarks, StatusMarks {
  // Per ring slot.
  private readonly ids: Float64Array
  private readonly starts: Float64Array
  private readonly durations: Float64Array
  private readonly flags: Uint8Array
  /** Next slot of the same lane (-1: the lane's newest). */
  private readonly next: Int32Array
  /** The slot's lane number (-1: empty). */
  private readonly laneOf: Int32Array
  /** Queries indexed so far: the next one goes to slot `written % capacity`. */
  private written = 0
  private lastId = 0
  /** Whether ids so far came without gaps, so that a slot can be computed from an id. */
  private contiguous = true

  // Per lane number (grown as needed; numbers of dropped lanes are reused).
  private laneHead = new Int32Array(0)
  private laneTail = new Int32Array(0)
  private laneCount = new Int32Array(0)
  /** Earliest start among the lane's queries; stale (too early) once one was evicted. */
  private laneStart = new Float64Array(0)
  private laneEnd = new Float64Array(0)
  private laneMaxDuration = new Float64Array(0)
  /** Bit 0: `laneStart` is stale; bits 2-3: the worst finding's rank. */
  private laneFlags = new Uint8Array(0)
  private laneScope: (Scope | undefined)[] = []
  private laneIndexes = new Map<number, LaneIndex>()
  private freeLanes: number[] = []
  /** Lane numbers in the order of their first query; some may be dead (no query held). */
  private order: number[] = []
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
    this.laneOf = new Int32Array(capacity).fill(-1)
  }

  reset(): void {
    this.laneOf.fill(-1)
    this.written = 0
    this.lastId = 0
    this.contiguous = true
    for (const scope of this.laneScope) if (scope !== undefined) scope.lane = -1
    this.laneHead = new Int32Array(0)
    this.laneTail = new Int32Array(0)
    this.laneCount = new Int32Array(0)
    this.laneStart = new Float64Array(0)
    this.laneEnd = new Float64Array(0)
    this.laneMaxDuration = new Float64Array(0)
    this.laneFlags = new Uint8Array(0)
    this.laneScope = []
    this.laneIndexes = new Map()
    this.freeLanes = []
    this.order = []
    this.deadLanes = 0
  }

  handleQuery(query: QueryRecord, _app: AppInfo, _fp: Shape, scope: Scope): void {
    const id = query.id
    // Ids only grow (live session and session files alike); anything else is not indexed.
    if (id <= this.lastId) return
    if (this.written > 0 && id !== this.lastId + 1) this.contiguous = false
    this.lastId = id
    const slot = this.written++ % this.capacity
    const evicted = this.laneOf[slot]!
    if (evicted >= 0) this.evict(slot, evicted)
    const start = query.startTime
    const duration = query.durationMs
    this.ids[slot] = id
    this.starts[slot] = start
    this.durations[slot] = duration
    this.flags[slot] = 0
    this.next[slot] = -1
    let lane = scope.lane
    if (lane < 0) lane = this.openLane(scope)
    else if (this.laneCount[lane] === 0) this.deadLanes--
    this.laneOf[slot] = lane
    if (this.laneCount[lane] === 0) this.laneHead[lane] = slot
    else this.next[this.laneTail[lane]!] = slot
    this.laneTail[lane] = slot
    this.laneCount[lane]!++
    if (start < this.laneStart[lane]!) this.laneStart[lane] = start
    if (start + duration > this.laneEnd[lane]!) this.laneEnd[lane] = start + duration
    if (duration > this.laneMaxDuration[lane]!) this.laneMaxDuration[lane] = duration
  }

  finalize(): void {}

  data(): TimelineExtent {
    return { ...this.extent(), lanes: this.order.length - this.deadLanes }
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
    const lane = scope?.lane ?? -1
    if (lane >= 0 && rank > this.laneFlags[lane]! >> 2) {
      this.laneFlags[lane] = (this.laneFlags[lane]! & 1) | (rank << 2)
    }
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
    this.dropDeadLanes(0)
    const span = Math.max(0, request.to - request.from)
    const from = Math.max(0, request.from - span * WINDOW_PADDING)
    const to = request.to + span * WINDOW_PADDING

    const visible: number[] = []
    for (const lane of this.order) {
      if (this.laneCount[lane]! > 0 && this.startOf(lane) <= to && this.laneEnd[lane]! >= from) {
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

  private openLane(scope: Scope): number {
    let lane = this.freeLanes.pop()
    if (lane === undefined) {
      lane = this.laneScope.length
      if (lane >= this.laneHead.length) this.growLanes()
    }
    this.laneCount[lane] = 0
    this.laneStart[lane] = Infinity
    this.laneEnd[lane] = -Infinity
    this.laneMaxDuration[lane] = 0
    this.laneFlags[lane] = 0
    this.laneScope[lane] = scope
    this.laneIndexes.delete(lane)
    this.order.push(lane)
    scope.lane = lane
    return lane
  }

  /** The slot is overwritten: its query, the oldest held, leaves the head of its lane. */
  private evict(slot: number, lane: number): void {
    this.laneHead[lane] = this.next[slot]!
    if (this.starts[slot]! <= this.laneStart[lane]!) this.laneFlags[lane]! |= 1
    if (--this.laneCount[lane]! === 0) {
      this.laneTail[lane] = -1
      this.laneStart[lane] = Infinity
      this.laneEnd[lane] = -Infinity
      this.laneMaxDuration[lane] = 0
      this.laneFlags[lane]! &= ~1
      // Amortised: the list is compacted once a quarter of it is dead.
      this.deadLanes++
      this.dropDeadLanes(1024)
    }
  }

  private growLanes(): void {
    const size = Math.max(1024, this.laneHead.length * 2)
    const grow = <T extends Int32Array | Float64Array | Uint8Array>(old: T, made: T): T => {
      made.set(old)
      return made
    }
    this.laneHead = grow(this.laneHead, new Int32Array(size))
    this.laneTail = grow(this.laneTail, new Int32Array(size))
    this.laneCount = grow(this.laneCount, new Int32Array(size))
    this.laneStart = grow(this.laneStart, new Float64Array(size))
    this.laneEnd = grow(this.laneEnd, new Float64Array(size))
    this.laneMaxDuration = grow(this.laneMaxDuration, new Float64Array(size))
    this.laneFlags = grow(this.laneFlags, new Uint8Array(size))
  }

  /** Forgets lanes whose every query was evicted, once there are at least `atLeast`. */
  private dropDeadLanes(atLeast: number): void {
    if (this.deadLanes === 0 || this.deadLanes < atLeast) return
    if (this.deadLanes < this.order.length / 4 && atLeast > 0) return
    this.order = this.order.filter((lane) => {
      if (this.laneCount[lane]! > 0) return true
      const scope = this.laneScope[lane]
      if (scope !== undefined && scope.lane === lane) scope.lane = -1
      this.laneScope[lane] = undefined
      this.laneIndexes.delete(lane)
      this.freeLanes.push(lane)
      return false
    })
    this.deadLanes = 0
  }

  /** The lane's held queries that overlap [from, to], as slots in start order. */
  private slotsInRange(lane: number, from: number, to: number): number[] {
    const slots: number[] = []
    if (this.laneCount[lane]! <= LANE_INDEX_FROM) {
      for (let slot = this.laneHead[lane]!; slot >= 0; slot = this.next[slot]!) {
        const start = this.starts[slot]!
        if (start <= to && start + this.durations[slot]! >= from) slots.push(slot)
      }
      // Arrival order is end order: put them in start order.
      return slots.sort((a, b) => this.starts[a]! - this.starts[b]! || this.ids[a]! - this.ids[b]!)
    }
    const index = this.indexOf(lane)
    const firstHeld = this.ids[this.laneHead[lane]!]!
    let i = lowerBound(index.starts, from - this.laneMaxDuration[lane]!)
    for (; i < index.starts.length && index.starts[i]! <= to; i++) {
      const id = index.ids[i]!
      if (id < firstHeld) continue
      const slot = this.slotOf(id)
      if (slot >= 0 && index.starts[i]! + this.durations[slot]! >= from) slots.push(slot)
    }
    return slots
  }

  /** The long lane's sorted index, brought up to date. */
  private indexOf(lane: number): LaneIndex {
    let index = this.laneIndexes.get(lane)
    const firstHeld = this.ids[this.laneHead[lane]!]!
    let slot: number
    if (
      index !== undefined &&
      index.lastId >= firstHeld &&
      this.ids[index.lastSlot] === index.lastId &&
      this.laneOf[index.lastSlot] === lane
    ) {
      // Up to date but for the queries that arrived since: they follow the last one indexed.
      slot = this.next[index.lastSlot]!
      if (index.ids.length > 2 * this.laneCount[lane]!) {
        // Mostly evicted: keep only what is still held.
        const ids: number[] = []
        const starts: number[] = []
        for (let i = 0; i < index.ids.length; i++) {
          if (index.ids[i]! < firstHeld) continue
          ids.push(index.ids[i]!)
          starts.push(index.starts[i]!)
        }
        index.ids = ids
        index.starts = starts
      }
    } else {
      index = { ids: [], starts: [], lastId: 0, lastSlot: -1 }
      this.laneIndexes.set(lane, index)
      slot = this.laneHead[lane]!
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

  /** The earliest start among the lane's held queries. */
  private startOf(lane: number): number {
    if ((this.laneFlags[lane]! & 1) === 0) return this.laneStart[lane]!
    let start = Infinity
    if (this.laneCount[lane]! > LANE_INDEX_FROM) {
      const index = this.indexOf(lane)
      const firstHeld = this.ids[this.laneHead[lane]!]!
      for (let i = 0; i < index.ids.length && start === Infinity; i++) {
        if (index.ids[i]! >= firstHeld) start = index.starts[i]!
      }
    } else {
      for (let slot = this.laneHead[lane]!; slot >= 0; slot = this.next[slot]!) {
        if (this.starts[slot]! < start) start = this.starts[slot]!
      }
    }
    this.laneStart[lane] = start
    this.laneFlags[lane]! &= ~1
    return start
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
    slots: number[],
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

  private describeLane(lane: number): TimelineLane {
    const scope = this.laneScope[lane]!
    const described: TimelineLane = {
      id: scope.id,
      name: scope.name ?? scope.id,
      kind: scope.kind,
      appId: scope.appId,
      start: this.startOf(lane),
      end: this.laneEnd[lane]!,
      queryCount: this.laneCount[lane]!,
    }
    const worst = FINDING_OF[this.laneFlags[lane]! >> 2]
    if (worst !== undefined) described.worstFinding = worst
    return described
  }

  private extent(): { start: number; end: number } {
    let start = Infinity
    let end = -Infinity
    for (const lane of this.order) {
      if (this.laneCount[lane] === 0) continue
      const laneStart = this.startOf(lane)
      if (laneStart < start) start = laneStart
      if (this.laneEnd[lane]! > end) end = this.laneEnd[lane]!
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
