/**
 * The live session: the queries received since the session started, bounded.
 *
 * A ring indexed by query id: ids run from 1 without gaps, so the query with id `n` lives at
 * slot `(n - 1) % capacity`, and the oldest held id is `lastId - size + 1`. When the ring is
 * full the oldest query is evicted and counted; nothing is ever dropped silently.
 *
 * The ring is kept in columns, not as one object per query: numbers in typed arrays, and the
 * rest in plain arrays of values that are shared wherever they repeat (SQL texts, contexts,
 * stacks, connection ids). Parameters that are a few numbers (an id or two: most of them)
 * are kept as numbers too; other parameters are kept as the agent sent them. A kept query then costs the garbage collector a few slots instead
 * of a dozen objects to copy, which is what keeps ingest fast and a large session compact.
 * A `QueryRecord` object is built only when someone reads one.
 */
import type {
  QueryContext,
  QueryError,
  QueryParams,
  QueryRecord,
  QueryRow,
  StackFrame,
} from '../../shared/domain'
import type { TimelineRead, TimelineSource } from '../analysis/timeline'
import { Interner } from './interner'

export const DEFAULT_CAPACITY = 200_000
/** Parameters of up to this many numbers are kept in a typed column. */
const PACKED = 3
const NOT_PACKED = -1
/** Texts and contexts compared before a map is asked or a copy made (see `RecentStrings`). */
const RECENT = 16
/** Call-site files whose stacks are kept, and distinct stacks kept per file. */
const MAX_STACK_FILES = 10_000
const MAX_STACKS_PER_FILE = 64

export type NewQuery = Omit<QueryRecord, 'id'>

interface FilterIndex {
  needle: string
  /** Matching ids in ascending order; entries below `firstId` are stale and skipped. */
  ids: number[]
  /** Index of the first id in `ids` that is still held. */
  start: number
  /** Highest id already scanned. */
  scannedTo: number
}

export class LiveSession implements TimelineSource {
  readonly capacity: number
  private nextId = 1
  private evictedCount = 0
  private filterIndex: FilterIndex | undefined

  // The columns, one slot per held query.
  private readonly startTime: Float64Array
  private readonly durationMs: Float64Array
  /** NaN where the agent sent no row count. */
  private readonly rows: Float64Array
  private readonly appIndex: Uint32Array
  private readonly sql: string[]
  /** Parameters that are not PACKED (undefined where packed). */
  private readonly params: (QueryParams | undefined)[]
  /** How many numbers of the slot's parameters are in `packedParams`, or NOT_PACKED. */
  private readonly packedCount: Int8Array
  /** PACKED numbers per slot: the parameters `[a]`, `[a, b]`, ... of a query. */
  private readonly packedParams: Float64Array
  private readonly error: (QueryError | undefined)[]
  private readonly connectionId: (string | undefined)[]
  private readonly context: (QueryContext | undefined)[]
  private readonly stack: (StackFrame[] | undefined)[]

  private appIds: string[] = []
  private appIndexById = new Map<string, number>()
  private readonly texts = new Interner(50_000)
  private readonly stacksByFile = new Map<string, StackFrame[][]>()
  /** SQL texts: an app runs a few hundred statements, a few of them over and over. */
  private readonly recentTexts = new RecentStrings(this.texts)
  private readonly recentContexts: (QueryContext | undefined)[] = new Array(RECENT).fill(undefined)
  private recentContextNext = 0
  /** Connection ids: an app has a pool of a few. */
  private readonly recentConnections = new RecentStrings(this.texts)
  private readonly recentStacks: (StackFrame[] | undefined)[] = new Array(RECENT).fill(undefined)
  private recentStackNext = 0
  private lastAppId: string | undefined
  private lastAppIndex = 0

  constructor(capacity = DEFAULT_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`live session capacity must be a positive integer, got ${capacity}`)
    }
    this.capacity = capacity
    this.startTime = new Float64Array(capacity)
    this.durationMs = new Float64Array(capacity)
    this.rows = new Float64Array(capacity)
    this.appIndex = new Uint32Array(capacity)
    this.sql = new Array<string>(capacity)
    this.params = new Array(capacity)
    this.packedCount = new Int8Array(capacity)
    this.packedParams = new Float64Array(capacity * PACKED)
    this.error = new Array(capacity)
    this.connectionId = new Array(capacity)
    this.context = new Array(capacity)
    this.stack = new Array(capacity)
  }

  /** Highest id given so far (0 when empty). */
  get lastId(): number {
    return this.nextId - 1
  }

  /** Number of queries held now. */
  get size(): number {
    return Math.min(this.lastId, this.capacity)
  }

  /** Oldest id still held. */
  get firstId(): number {
    return this.lastId - this.size + 1
  }

  /** Queries evicted because the ring was full. */
  get evicted(): number {
    return this.evictedCount
  }

  /**
   * Adds a query, gives it the next id (returned), and evicts the oldest when full. The
   * query's `sql`, `context` and `stack` are replaced by the session's shared copies, so that
   * whoever reads the query next (the analysis) finds them by reference: a string already
   * hashed, an object already seen, instead of fresh parsed JSON.
   */
  add(query: NewQuery): number {
    const id = this.nextId++
    const slot = (id - 1) % this.capacity
    if (id > this.capacity) this.evictedCount++
    this.startTime[slot] = query.startTime
    this.durationMs[slot] = query.durationMs
    this.rows[slot] = query.rows ?? NaN
    this.appIndex[slot] = this.appSlot(query.appId)
    const sql = this.recentTexts.shared(query.sql)
    this.sql[slot] = sql
    query.sql = sql
    this.keepParams(slot, query.params)
    this.error[slot] = query.error
    this.connectionId[slot] =
      query.connectionId === undefined
        ? undefined
        : this.recentConnections.shared(query.connectionId)
    if (query.context !== undefined) query.context = this.sharedContext(query.context)
    this.context[slot] = query.context
    if (query.stack !== undefined) query.stack = this.sharedStack(query.stack)
    this.stack[slot] = query.stack
    return id
  }

  /** The query with this id, built from the columns; undefined once evicted. */
  get(id: number): QueryRecord | undefined {
    if (!Number.isInteger(id) || id < this.firstId || id > this.lastId) return undefined
    const slot = (id - 1) % this.capacity
    const record: QueryRecord = {
      id,
      appId: this.appIds[this.appIndex[slot]!]!,
      sql: this.sql[slot]!,
      startTime: this.startTime[slot]!,
      durationMs: this.durationMs[slot]!,
    }
    const rows = this.rows[slot]!
    if (!Number.isNaN(rows)) record.rows = rows
    const packed = this.packedCount[slot]!
    if (packed !== NOT_PACKED) {
      const at = slot * PACKED
      const numbers = this.packedParams
      record.params =
        packed === 1
          ? [numbers[at]!]
          : packed === 2
            ? [numbers[at]!, numbers[at + 1]!]
            : Array.from(numbers.subarray(at, at + packed))
    } else {
      const params = this.params[slot]
      if (params !== undefined) record.params = params
    }
    const error = this.error[slot]
    if (error !== undefined) record.error = error
    const connectionId = this.connectionId[slot]
    if (connectionId !== undefined) record.connectionId = connectionId
    const context = this.context[slot]
    if (context !== undefined) record.context = context
    const stack = this.stack[slot]
    if (stack !== undefined) record.stack = stack
    return record
  }

  /** The next held id after `id` (ids have no gaps; the timeline reads them in order). */
  idAfter(id: number): number {
    return id + 1
  }

  /**
   * What the timeline reads of a held query, from the columns into `into` (no record is
   * built); false once evicted. The context is the session's shared copy.
   */
  readTimeline(id: number, into: TimelineRead): boolean {
    if (id < this.firstId || id > this.lastId) return false
    const slot = (id - 1) % this.capacity
    into.startTime = this.startTime[slot]!
    into.durationMs = this.durationMs[slot]!
    into.appId = this.appIds[this.appIndex[slot]!]!
    into.context = this.context[slot]
    into.connectionId = this.connectionId[slot]
    return true
  }

  /** Every held query, oldest first. */
  *records(): IterableIterator<QueryRecord> {
    for (let id = this.firstId; id <= this.lastId; id++) yield this.get(id)!
  }

  /**
   * A page of rows, oldest first, optionally only those whose SQL, app name or context name
   * contains `filter` (case-insensitive). `appName` resolves an app id for the match.
   */
  page(
    offset: number,
    limit: number,
    filter: string | undefined,
    appName: (appId: string) => string,
  ): { total: number; rows: QueryRow[] } {
    const needle = filter?.trim().toLowerCase() ?? ''
    if (needle === '') {
      const total = this.size
      const rows: QueryRow[] = []
      const first = this.firstId + offset
      const end = Math.min(this.lastId, first + limit - 1)
      for (let id = first; id <= end; id++) rows.push(toRow(this.get(id)!))
      return { total, rows }
    }
    const index = this.updatedFilterIndex(needle, appName)
    const total = index.ids.length - index.start
    const rows: QueryRow[] = []
    const end = Math.min(total, offset + limit)
    for (let i = offset; i < end; i++) rows.push(toRow(this.get(index.ids[index.start + i]!)!))
    return { total, rows }
  }

  clear(): void {
    this.nextId = 1
    this.evictedCount = 0
    this.filterIndex = undefined
    // Let the old values go; the typed columns are simply overwritten.
    this.sql.fill(undefined as unknown as string)
    for (const column of [this.params, this.error, this.connectionId, this.context, this.stack]) {
      column.fill(undefined)
    }
    this.appIds = []
    this.appIndexById = new Map()
    this.texts.clear()
    this.stacksByFile.clear()
    this.recentTexts.clear()
    this.recentContexts.fill(undefined)
    this.recentConnections.clear()
    this.recentStacks.fill(undefined)
    this.lastAppId = undefined
  }

  /**
   * Keeps a query's parameters: up to PACKED numbers in the typed column (they then cost the
   * garbage collector nothing, however long they are held), anything else as it came.
   */
  private keepParams(slot: number, params: QueryParams | undefined): void {
    if (Array.isArray(params) && params.length <= PACKED) {
      let numbers = true
      for (let i = 0; i < params.length; i++) if (typeof params[i] !== 'number') numbers = false
      if (numbers) {
        const at = slot * PACKED
        for (let i = 0; i < params.length; i++) this.packedParams[at + i] = params[i] as number
        this.packedCount[slot] = params.length
        this.params[slot] = undefined
        return
      }
    }
    this.packedCount[slot] = NOT_PACKED
    this.params[slot] = params
  }

  /**
   * Agents send contexts as parsed JSON (extra keys and all): a clean copy is kept, shared by
   * the queries of one request. Each request has a context of its own, so a map of them
   * would only churn: the few contexts seen last are compared instead (a request's queries
   * arrive close together, interleaved with a few other requests' at most).
   */
  private sharedContext(context: QueryContext): QueryContext {
    const { id, name } = context
    const recent = this.recentContexts
    // Newest first: the requests in flight are the few contexts copied last, and comparing
    // two ids of one length reads them whole.
    const next = this.recentContextNext
    for (let n = 1; n <= RECENT; n++) {
      const candidate = recent[(next - n + RECENT) % RECENT]
      if (candidate === undefined) break
      if (candidate.id === id && candidate.name === name) return candidate
    }
    // Names repeat (a route, a job): one copy of each, as for texts.
    const copy: QueryContext = name === undefined ? { id } : { id, name: this.texts.intern(name) }
    recent[next] = copy
    this.recentContextNext = (next + 1) % RECENT
    return copy
  }

  /**
   * One clean copy of each distinct stack, found among the stacks shared last (a loop sends
   * the same one again and again), else among the kept stacks of its call site's file (a
   * file issues queries from a few places): comparing frames is cheaper than making a key of
   * them, or hashing the file's path for the map. Bounded like an Interner: past the limits
   * it starts over.
   */
  private sharedStack(stack: StackFrame[]): StackFrame[] {
    const recent = this.recentStacks
    for (let i = 0; i < RECENT; i++) {
      const candidate = recent[i]
      if (candidate !== undefined && sameFrames(candidate, stack)) return candidate
    }
    const shared = this.keptStack(stack)
    recent[this.recentStackNext] = shared
    this.recentStackNext = (this.recentStackNext + 1) % RECENT
    return shared
  }

  private keptStack(stack: StackFrame[]): StackFrame[] {
    const file = stack[0]?.file ?? ''
    let kept = this.stacksByFile.get(file)
    if (kept === undefined) {
      if (this.stacksByFile.size >= MAX_STACK_FILES) this.stacksByFile.clear()
      this.stacksByFile.set(file, (kept = []))
    }
    for (let i = 0; i < kept.length; i++) if (sameFrames(kept[i]!, stack)) return kept[i]!
    const copy = stack.map(copyFrame)
    if (kept.length >= MAX_STACKS_PER_FILE) kept.length = 0
    kept.push(copy)
    return copy
  }

  private appSlot(appId: string): number {
    // Consecutive queries nearly always come from one app (a batch is one app's).
    if (appId === this.lastAppId) return this.lastAppIndex
    let index = this.appIndexById.get(appId)
    if (index === undefined) {
      index = this.appIds.length
      this.appIds.push(appId)
      this.appIndexById.set(appId, index)
    }
    this.lastAppId = appId
    this.lastAppIndex = index
    return index
  }

  /** The filter's matches, scanning only ids that arrived since the last call. */
  private updatedFilterIndex(needle: string, appName: (appId: string) => string): FilterIndex {
    let index = this.filterIndex
    if (!index || index.needle !== needle || index.scannedTo > this.lastId) {
      index = { needle, ids: [], start: 0, scannedTo: this.firstId - 1 }
      this.filterIndex = index
    }
    const firstId = this.firstId
    // Each app's and each text's verdict once, not once per query.
    const appMatches = this.appIds.map((appId) => appName(appId).toLowerCase().includes(needle))
    const textMatches = new Map<string, boolean>()
    const textMatch = (text: string): boolean => {
      let verdict = textMatches.get(text)
      if (verdict === undefined)
        textMatches.set(text, (verdict = text.toLowerCase().includes(needle)))
      return verdict
    }
    for (let id = Math.max(index.scannedTo + 1, firstId); id <= this.lastId; id++) {
      const slot = (id - 1) % this.capacity
      const contextName = this.context[slot]?.name
      if (
        appMatches[this.appIndex[slot]!] ||
        textMatch(this.sql[slot]!) ||
        (contextName !== undefined && textMatch(contextName))
      ) {
        index.ids.push(id)
      }
    }
    index.scannedTo = this.lastId
    while (index.start < index.ids.length && index.ids[index.start]! < firstId) index.start++
    // Compact once the stale prefix dominates, so the array does not grow without bound.
    if (index.start > 4096 && index.start > index.ids.length / 2) {
      index.ids = index.ids.slice(index.start)
      index.start = 0
    }
    return index
  }
}

function copyFrame(frame: StackFrame): StackFrame {
  const copy: StackFrame = { file: frame.file }
  if (frame.function !== undefined) copy.function = frame.function
  if (frame.line !== undefined) copy.line = frame.line
  if (frame.column !== undefined) copy.column = frame.column
  return copy
}

function sameFrames(kept: StackFrame[], stack: StackFrame[]): boolean {
  if (kept.length !== stack.length) return false
  for (let i = 0; i < kept.length; i++) {
    const a = kept[i]!
    const b = stack[i]!
    if (a.line !== b.line || a.column !== b.column || a.file !== b.file) return false
    if (a.function !== b.function) return false
  }
  return true
}

export function toRow(record: QueryRecord): QueryRow {
  return {
    id: record.id,
    appId: record.appId,
    sql: record.sql.length > 500 ? record.sql.slice(0, 500) : record.sql,
    startTime: record.startTime,
    durationMs: record.durationMs,
    rows: record.rows,
    failed: record.error !== undefined,
    contextName: record.context?.name ?? record.context?.id,
  }
}

/**
 * The kept copies of the strings seen last, compared before the interner is asked: a
 * different string nearly always differs in length or within its first characters, while
 * hashing it for the interner's map reads it whole.
 */
class RecentStrings {
  private readonly ring: (string | undefined)[] = new Array(RECENT).fill(undefined)
  private next = 0

  constructor(private readonly interner: Interner) {}

  /** The kept copy of `value`. */
  shared(value: string): string {
    const ring = this.ring
    for (let i = 0; i < RECENT; i++) if (ring[i] === value) return ring[i]!
    const kept = this.interner.intern(value)
    ring[this.next] = kept
    this.next = (this.next + 1) % RECENT
    return kept
  }

  clear(): void {
    this.ring.fill(undefined)
  }
}
