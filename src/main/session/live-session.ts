/**
 * The live session: the queries received since the session started, bounded.
 *
 * A ring buffer indexed by query id: ids run from 1 without gaps, so the record with id `n`
 * lives at slot `(n - 1) % capacity`, and the oldest held id is `lastId - size + 1`. When the
 * ring is full the oldest record is evicted and counted; nothing is ever dropped silently.
 *
 * Repeated SQL texts are interned: an app sends the same few query shapes thousands of times,
 * and each JSON.parse makes a fresh string, so one shared copy keeps a large session compact.
 */
import type { QueryRecord, QueryRow } from '../../shared/domain'

export const DEFAULT_CAPACITY = 200_000

/** Bound on the intern table, so unique texts (inlined literals) cannot grow it forever. */
const MAX_INTERNED = 50_000

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

export class LiveSession {
  readonly capacity: number
  private readonly ring: (QueryRecord | undefined)[]
  private nextId = 1
  private evictedCount = 0
  private readonly interned = new Map<string, string>()
  private filterIndex: FilterIndex | undefined

  constructor(capacity = DEFAULT_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`live session capacity must be a positive integer, got ${capacity}`)
    }
    this.capacity = capacity
    this.ring = new Array(capacity)
  }

  /** Highest id given so far (0 when empty). */
  get lastId(): number {
    return this.nextId - 1
  }

  /** Number of records held now. */
  get size(): number {
    return Math.min(this.lastId, this.capacity)
  }

  /** Oldest id still held. */
  get firstId(): number {
    return this.lastId - this.size + 1
  }

  /** Records evicted because the ring was full. */
  get evicted(): number {
    return this.evictedCount
  }

  /** Adds a query, gives it the next id, and evicts the oldest when full. */
  add(query: NewQuery): QueryRecord {
    const id = this.nextId++
    const record = query as QueryRecord
    record.id = id
    record.sql = this.intern(record.sql)
    const slot = (id - 1) % this.capacity
    if (this.ring[slot] !== undefined) this.evictedCount++
    this.ring[slot] = record
    return record
  }

  get(id: number): QueryRecord | undefined {
    if (!Number.isInteger(id) || id < this.firstId || id > this.lastId) return undefined
    return this.ring[(id - 1) % this.capacity]
  }

  /** Every held record, oldest first. */
  *records(): IterableIterator<QueryRecord> {
    for (let id = this.firstId; id <= this.lastId; id++) {
      yield this.ring[(id - 1) % this.capacity]!
    }
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
    this.ring.fill(undefined)
    this.nextId = 1
    this.evictedCount = 0
    this.interned.clear()
    this.filterIndex = undefined
  }

  private intern(text: string): string {
    const existing = this.interned.get(text)
    if (existing !== undefined) return existing
    if (this.interned.size >= MAX_INTERNED) this.interned.clear()
    this.interned.set(text, text)
    return text
  }

  /** The filter's matches, scanning only ids that arrived since the last call. */
  private updatedFilterIndex(needle: string, appName: (appId: string) => string): FilterIndex {
    let index = this.filterIndex
    if (!index || index.needle !== needle || index.scannedTo > this.lastId) {
      index = { needle, ids: [], start: 0, scannedTo: this.firstId - 1 }
      this.filterIndex = index
    }
    const firstId = this.firstId
    for (let id = Math.max(index.scannedTo + 1, firstId); id <= this.lastId; id++) {
      const record = this.get(id)!
      if (matches(record, needle, appName)) index.ids.push(id)
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

function matches(record: QueryRecord, needle: string, appName: (appId: string) => string): boolean {
  return (
    record.sql.toLowerCase().includes(needle) ||
    appName(record.appId).toLowerCase().includes(needle) ||
    (record.context?.name?.toLowerCase().includes(needle) ?? false)
  )
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
