/**
 * The timeline's index, built when the Timeline view asks for a window, not at ingest.
 *
 * At ingest the analyses only mark queries: slow / failed (slow-failed.ts) and the kind of
 * finding a query belongs to (findings.ts), one byte per query id in a ring (`markFlags`),
 * no lane, no object. `window()` first catches up: it reads the queries added since its last
 * call from the session's columns (`TimelineSource`: start, duration, app, context,
 * connection) and drops those the session evicted since. So the ingest path pays nothing
 * for a view that may never be opened, and a window pays for the queries that arrived since
 * the last one (measured in bench/README.md: about 200,000 queries in tens of milliseconds).
 *
 * The index: per held query, in a ring the size of the live session, its id, start,
 * duration, its lane and the next slot of that lane, in typed columns. Lanes follow the
 * analysis's scopes (scopes.ts), found again from the columns: one per context (per app; a
 * context id back after SCOPE_IDLE_MS without a query is a new one, as its scope is), and
 * for queries without a context one per burst on their connection (a pause over
 * `burstGapMs` starts the next). Lanes are kept in the order of their first query; a lane is
 * a list of ring slots in arrival order, and its own numbers (head, tail, count, span, ...)
 * are typed columns indexed by a lane number. A lane's name and id are the context's, as the
 * session interned them, so no analysis `Scope` is kept alive. The oldest query held is
 * always the oldest of its lane: evicting it moves that lane's head on.
 *
 * `window()` answers what the renderer shows: the lanes with a query in the requested time
 * range (padded a little), the requested slice of those lanes, and either every query in it
 * as a bar, or — when that would be more than `maxBars` — per-lane buckets over time slices
 * sized so that the buckets stay under `maxBars`. A lane of a few queries is read whole; a
 * lane longer than LANE_INDEX_FROM gets an index of its ids sorted by start, built when first
 * asked for and extended as it grows, and is read by binary search. So a window costs about
 * what it returns plus the catch-up, not the session's size.
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
import type { QueryContext } from '../../shared/domain'
import type { FindingMarks } from './findings'
import type { QueryLookup } from './handler'
import { SCOPE_IDLE_MS, type ScopeKind } from './scopes'
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
const NO_CONNECTION = '\u0000none'

/** What the timeline reads of one query (filled in place: a catch-up allocates no record). */
export interface TimelineRead {
  startTime: number
  durationMs: number
  appId: string
  context: QueryContext | undefined
  connectionId: string | undefined
}

/** Where the timeline reads the held queries from: the live session (or a loaded one). */
export interface TimelineSource {
  /** Oldest id held (ids grow; a source may skip some). */
  readonly firstId: number
  /** Newest id held (below `firstId` when empty). */
  readonly lastId: number
  /** The next held id after `id` (past `lastId` when none). */
  idAfter(id: number): number
  /** Fills `into` with the held query `id`; false when there is none. */
  readTimeline(id: number, into: TimelineRead): boolean
}

/** No queries: for an Analyzer whose timeline is never read. */
const EMPTY_SOURCE: TimelineSource = {
  firstId: 1,
  lastId: 0,
  idAfter: (id) => id + 1,
  readTimeline: () => false,
}

/** A lane's identity, as the renderer shows it. */
interface LaneInfo {
  /** Its lane number; -1 once dropped. */
  lane: number
  kind: ScopeKind
  id: string
  name: string | undefined
  appId: string
  /** Bursts: the burst's number on its connection, from 1. */
  burst: number
}

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

export class Timeline implements FindingMarks, StatusMarks {
  // Marks, per query id (slot `id % capacity`), written at ingest.
  private readonly markId: Float64Array
  private readonly markFlags: Uint8Array
  /** Marks of ids that share a slot with another id that may be held (gaps in ids only). */
  private sparseMarks: Map<number, number> | undefined

  // The index, per ring slot (position `p` at slot `p % capacity`).
  private readonly ids: Float64Array
  private readonly starts: Float64Array
  private readonly durations: Float64Array
  /** Next slot of the same lane (-1: the lane's newest). */
  private readonly next: Int32Array
  /** The slot's lane number. */
  private readonly laneOf: Int32Array
  /** Positions of the oldest held query and of the next one to write. */
  private oldest = 0
  private written = 0
  /** Highest id the catch-ups have read up to (0: none yet). */
  private indexedTo = 0
  private readonly read: TimelineRead = {
    startTime: 0,
    durationMs: 0,
    appId: '',
    context: undefined,
    connectionId: undefined,
  }

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
  private laneInfo: (LaneInfo | undefined)[] = []
  private laneIndexes = new Map<number, LaneIndex>()
  private freeLanes: number[] = []
  /** Lane numbers in the order of their first query; some may be dead (no query held). */
  private order: number[] = []
  private deadLanes = 0
  /** The lane of each context held: appId -> context id -> lane. */
  private contextLanes = new Map<string, Map<string, LaneInfo>>()
  /** The latest burst of each connection: appId -> connection id -> lane (kept once dead). */
  private burstLanes = new Map<string, Map<string, LaneInfo>>()

  constructor(
    /** Queries held: the live session's capacity. */
    private readonly capacity: number,
    private readonly lookup: QueryLookup,
    private readonly source: TimelineSource = EMPTY_SOURCE,
    private readonly settings: { burstGapMs: number } = { burstGapMs: 100 },
  ) {
    this.markId = new Float64Array(capacity).fill(-1)
    this.markFlags = new Uint8Array(capacity)
    this.ids = new Float64Array(capacity)
    this.starts = new Float64Array(capacity)
    this.durations = new Float64Array(capacity)
    this.next = new Int32Array(capacity)
    this.laneOf = new Int32Array(capacity)
  }

  /** Forgets the marks and the index (the analysis starts over). */
  reset(): void {
    this.markId.fill(-1)
    this.sparseMarks = undefined
    this.resetIndex()
  }

  markStatus(queryId: number, status: BarStatus): void {
    const flags = this.markOf(queryId)
    const code = STATUS_CODE[status]
    if (code > (flags & STATUS_BITS)) this.setMark(queryId, (flags & ~STATUS_BITS) | code)
  }

  markFinding(queryId: number, kind: FindingKind): void {
    const rank = FINDING_RANK[kind]
    const flags = this.markOf(queryId)
    if (rank > flags >> 2) this.setMark(queryId, (flags & STATUS_BITS) | (rank << 2))
    // A query already indexed passes its finding to its lane now; others when indexed.
    if (queryId <= this.indexedTo) {
      const slot = this.slotOf(queryId)
      if (slot >= 0) this.raiseLaneFinding(this.laneOf[slot]!, rank)
    }
  }

  /** Status and finding kind of a held query. */
  statusOf(queryId: number): { status: BarStatus; finding?: FindingKind } | undefined {
    if (queryId < this.source.firstId || queryId > this.source.lastId) return undefined
    const flags = this.markOf(queryId)
    const finding = FINDING_OF[flags >> 2]
    return finding === undefined
      ? { status: STATUS_OF[flags & STATUS_BITS]! }
      : { status: STATUS_OF[flags & STATUS_BITS]!, finding }
  }

  data(): TimelineExtent {
    this.catchUp()
    return { ...this.extent(), lanes: this.order.length - this.deadLanes }
  }

  window(request: TimelineRequest): TimelineWindow {
    this.catchUp()
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

  /**
   * Brings the index up to the source: drops the queries it no longer holds (the oldest
   * first), then indexes those added since the last catch-up, in id order.
   */
  catchUp(): void {
    const source = this.source
    const firstId = source.firstId
    const lastId = source.lastId
    // Fewer ids than indexed: the session started over.
    if (lastId < this.indexedTo) this.resetIndex()
    const capacity = this.capacity
    while (this.oldest < this.written && this.ids[this.oldest % capacity]! < firstId) {
      this.evictOldest()
    }
    const read = this.read
    for (
      let id = source.idAfter(Math.max(this.indexedTo, firstId - 1));
      id <= lastId;
      id = source.idAfter(id)
    ) {
      if (source.readTimeline(id, read)) this.append(id, read)
    }
    if (lastId > this.indexedTo) this.indexedTo = lastId
    // Nothing else holds the last context read.
    read.context = undefined
  }

  private resetIndex(): void {
    this.oldest = 0
    this.written = 0
    this.indexedTo = 0
    for (const info of this.laneInfo) if (info !== undefined) info.lane = -1
    this.laneHead = new Int32Array(0)
    this.laneTail = new Int32Array(0)
    this.laneCount = new Int32Array(0)
    this.laneStart = new Float64Array(0)
    this.laneEnd = new Float64Array(0)
    this.laneMaxDuration = new Float64Array(0)
    this.laneFlags = new Uint8Array(0)
    this.laneInfo = []
    this.laneIndexes = new Map()
    this.freeLanes = []
    this.order = []
    this.deadLanes = 0
    this.contextLanes = new Map()
    this.burstLanes = new Map()
  }

  private markOf(id: number): number {
    const slot = id % this.capacity
    if (this.markId[slot] === id) return this.markFlags[slot]!
    return this.sparseMarks?.get(id) ?? 0
  }

  private setMark(id: number, flags: number): void {
    const slot = id % this.capacity
    const there = this.markId[slot]!
    if (there !== id) {
      // Ids without gaps (a live session) never share a slot while both are held: the older
      // one has been evicted. Ids with gaps (a hand-made file) may: the newcomer goes aside.
      if (there >= this.source.firstId) {
        ;(this.sparseMarks ??= new Map()).set(id, flags)
        return
      }
      this.markId[slot] = id
    }
    this.markFlags[slot] = flags
  }

  private raiseLaneFinding(lane: number, rank: number): void {
    const flags = this.laneFlags[lane]!
    if (rank > flags >> 2) this.laneFlags[lane] = (flags & 1) | (rank << 2)
  }

  /** Indexes one query, at the ring's newest position, in its lane. */
  private append(id: number, read: TimelineRead): void {
    // A source holds no more than the capacity; this only guards the ring.
    if (this.written - this.oldest === this.capacity) this.evictOldest()
    const slot = this.written++ % this.capacity
    const start = read.startTime
    const duration = read.durationMs
    const lane = this.laneFor(read)
    this.ids[slot] = id
    this.starts[slot] = start
    this.durations[slot] = duration
    this.next[slot] = -1
    this.laneOf[slot] = lane
    if (this.laneCount[lane] === 0) this.laneHead[lane] = slot
    else this.next[this.laneTail[lane]!] = slot
    this.laneTail[lane] = slot
    this.laneCount[lane]!++
    if (start < this.laneStart[lane]!) this.laneStart[lane] = start
    if (start + duration > this.laneEnd[lane]!) this.laneEnd[lane] = start + duration
    if (duration > this.laneMaxDuration[lane]!) this.laneMaxDuration[lane] = duration
    this.raiseLaneFinding(lane, this.markOf(id) >> 2)
  }

  /** The lane of the query just read: its context's, or its connection's current burst. */
  private laneFor(read: TimelineRead): number {
    const { appId, context, startTime } = read
    if (context !== undefined) {
      let byId = this.contextLanes.get(appId)
      if (byId === undefined) this.contextLanes.set(appId, (byId = new Map()))
      let info = byId.get(context.id)
      // A context idle past SCOPE_IDLE_MS was closed by the analysis: back, it is a new scope.
      // (A lane left empty has laneEnd -Infinity: its context starts a new one too.)
      if (info === undefined || startTime - this.laneEnd[info.lane]! > SCOPE_IDLE_MS) {
        info = {
          lane: -1,
          kind: 'context',
          id: context.id,
          name: context.name,
          appId,
          burst: 0,
        }
        byId.set(context.id, info)
        return this.openLane(info)
      }
      return info.lane
    }
    const connection = read.connectionId ?? NO_CONNECTION
    let byConnection = this.burstLanes.get(appId)
    if (byConnection === undefined) this.burstLanes.set(appId, (byConnection = new Map()))
    const current = byConnection.get(connection)
    if (
      current !== undefined &&
      current.lane >= 0 &&
      startTime - this.laneEnd[current.lane]! <= this.settings.burstGapMs
    ) {
      return current.lane
    }
    const burst = (current?.burst ?? 0) + 1
    const shown = connection === NO_CONNECTION ? '-' : connection
    const info: LaneInfo = {
      lane: -1,
      kind: 'connection-burst',
      id: `${appId}:${shown}:${burst}`,
      name:
        connection === NO_CONNECTION
          ? `no connection id, burst ${burst}`
          : `connection ${connection}, burst ${burst}`,
      appId,
      burst,
    }
    byConnection.set(connection, info)
    return this.openLane(info)
  }

  private openLane(info: LaneInfo): number {
    let lane = this.freeLanes.pop()
    if (lane === undefined) {
      lane = this.laneInfo.length
      if (lane >= this.laneHead.length) this.growLanes()
    }
    this.laneCount[lane] = 0
    this.laneStart[lane] = Infinity
    this.laneEnd[lane] = -Infinity
    this.laneMaxDuration[lane] = 0
    this.laneFlags[lane] = 0
    this.laneInfo[lane] = info
    this.laneIndexes.delete(lane)
    this.order.push(lane)
    info.lane = lane
    return lane
  }

  /** The oldest query held leaves the index: it is the head of its lane. */
  private evictOldest(): void {
    const slot = this.oldest++ % this.capacity
    const lane = this.laneOf[slot]!
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
      const info = this.laneInfo[lane]!
      info.lane = -1
      // A context's entry goes with its lane; a connection's stays, to number its next burst.
      const byId = info.kind === 'context' ? this.contextLanes.get(info.appId) : undefined
      if (byId?.get(info.id) === info) byId.delete(info.id)
      this.laneInfo[lane] = undefined
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
    const flags = this.markOf(id)
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
      const status = this.markOf(this.ids[slot]!) & STATUS_BITS
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
    const info = this.laneInfo[lane]!
    const described: TimelineLane = {
      id: info.id,
      name: info.name ?? info.id,
      kind: info.kind,
      appId: info.appId,
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

  /** The ring slot of an indexed query, or -1. */
  private slotOf(id: number): number {
    if (this.oldest === this.written) return -1
    const capacity = this.capacity
    const firstId = this.ids[this.oldest % capacity]!
    if (id < firstId || id > this.ids[(this.written - 1) % capacity]!) return -1
    // Ids without gaps (a live session): the position follows from the id.
    const guess = this.oldest + (id - firstId)
    if (guess < this.written && this.ids[guess % capacity] === id) return guess % capacity
    // Ids with gaps (a hand-made session file): binary search the ring, oldest to newest.
    let low = this.oldest
    let high = this.written - 1
    while (low <= high) {
      const middle = Math.floor((low + high) / 2)
      const found = this.ids[middle % capacity]!
      if (found === id) return middle % capacity
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
