/**
 * Findings: N+1 reads, duplicate queries and write loops, each found inside ONE scope (a
 * request / job context, or a burst on a connection — see scopes.ts) and never summed
 * across scopes. Rules (docs/analysis.md has them with examples):
 *
 * - N+1 read: one SELECT shape run with at least `nPlusOneThreshold` different sets of
 *   values in one scope, adjacent or interleaved with other queries. Paginated queries and
 *   IN lists of more than one item do not count. Its source is the SELECT that ran before
 *   the loop's first query (skipping a sibling loop interleaved with this one).
 * - Duplicate: one SELECT shape run with the same values at least `duplicateThreshold` times
 *   in one scope.
 * - Write loop: single-row INSERT / UPDATE / DELETE of one shape at least
 *   `writeLoopThreshold` times in one scope (multi-row VALUES and IN lists do not count).
 * - A small N+1 (2 or more values, under the threshold) seen in `recurringMinContexts` scopes
 *   or more is a recurring insight for that shape, not a finding.
 *
 * Per scope the detector keeps one entry per shape, in the arrays of a `ScopeEntries` the
 * Scope points to (no lookup per query, few objects per request); a shape seen a second time
 * gets a `Repeats` — counts, the values seen (as hashes), the first MAX_GROUP_QUERIES
 * queries' ids and intervals. A finding is the live view of a Repeats: created when it
 * crosses its threshold, updated as the scope grows (same id, count rising). When a scope
 * closes its entries go, except the Repeats that findings hold.
 *
 * Scopes stay open for seconds of query time (SCOPE_IDLE_MS), so their state outlives the
 * garbage collector's young generation: allocated afresh for every request, it would be
 * copied twice and then collected from the old generation — most of the analysis's cost at
 * ingest rates. So the ScopeEntries and the Repeats of a closed scope are reset and reused
 * by the next ones (unless a finding holds them): in a steady stream a request allocates
 * nearly nothing.
 */
import type {
  AnalysisSettings,
  Finding,
  FindingKind,
  FindingsResult,
  RecurringInsight,
} from '../../shared/analysis'
import type { AppInfo, QueryParams, QueryRecord, StackFrame } from '../../shared/domain'
import { CallSites } from './call-sites'
import type { AnalysisHandler, QueryLookup, Shape } from './handler'
import { paramsHash, ValueCounts } from './params'
import type { Scope } from './scopes'
import { round } from './statistics'
import { severityOf, severityRank, suggestionFor } from './suggestions'

/** Queries of a group kept with their intervals (and listed in its finding). */
export const MAX_GROUP_QUERIES = 1000
/** Distinct values remembered per group; past it, new values are taken as new. */
const MAX_GROUP_VALUES = 256
/** Shapes followed per scope; a scope issuing more new shapes is not followed further. */
const MAX_GROUPS_PER_SCOPE = 1000
/** Findings kept; past it the oldest go (and are counted). */
export const MAX_FINDINGS = 5000

/** What the timeline is told: this query belongs to a finding of this kind. */
export interface FindingMarks {
  markFinding(queryId: number, kind: FindingKind): void
}

/** Queries looked back through to mark the earlier ones of a new duplicate on the timeline. */
const MARK_SCAN = 32
/** Queries of a group whose values are counted by a scan of the group; past this, by a table. */
const LINEAR_VALUES = 32
/** Shapes per scope searched one by one; past this many, by a map. */
const LINEAR_GROUPS = 16

/** Reused ScopeEntries and Repeats kept at most (what a burst of closing scopes leaves). */
const MAX_POOLED = 4096
/** Entries (or kept queries) past which a closed scope's arrays are not reused but dropped. */
const MAX_POOLED_SIZE = 64

/*
 * A shape's entry in `firsts` (FIRST_FIELDS numbers): its first query's id, start and end,
 * whether it is part of a loop (1 or 0), and the SELECT before it (id, and its entry; -1 for
 * none). Its values are hashed only if the shape comes again (most run once per scope).
 */
const FIRST_FIELDS = 6

/**
 * A scope's entries, one per shape, in parallel arrays rather than one object per shape
 * (most shapes run once per request). The arrays are only ever written at `count` or below,
 * never shortened, so that a reused one keeps its room.
 */
export class ScopeEntries {
  count = 0
  readonly shapes: (Shape | undefined)[] = []
  readonly firsts: number[] = []
  /** The shape's Repeats once it is seen a second time. */
  readonly repeated: (Repeats | undefined)[] = []
  /** The first query's stack, when it had one. */
  readonly frames: (StackFrame[] | undefined)[] = []
  /** The first query's bound params, hashed (with its shape's literals) if a second comes. */
  readonly params: (QueryParams | undefined)[] = []
  /** Entries by shape id, once there are more than LINEAR_GROUPS. */
  byShape: Map<string, number> | undefined
  /** The latest SELECT (id and entry): a new loop's candidate source. */
  lastSelectId = 0
  lastSelectEntry = -1
}

/**
 * A shape seen twice or more in one scope: what its findings are made of. One is made for
 * most requests and lives as long as its scope (often long enough for the garbage collector
 * to copy it twice), so it is one object and one array until its group grows: the value
 * counts are read off the kept queries while there are few, and call sites are counted once
 * a query brings one.
 */
export class Repeats {
  /** Queries that count toward a loop (N+1 or write loop): not paginated, one row / item. */
  loopCount = 0
  /** Distinct value sets among the loop's queries. */
  distinct = 0
  /** Queries whose value set was seen `duplicateThreshold` times or more. */
  duplicated = 0
  /** How often each value hash was seen, once the group is past LINEAR_VALUES queries. */
  private values: ValueCounts | undefined
  /**
   * The first MAX_GROUP_QUERIES queries: id, start, end, value hash (negative: not in the
   * loop); `used` numbers of it (the array keeps its room when the Repeats is reused).
   */
  readonly stored: number[] = []
  private used = 0
  /** Time of the queries past the cap, added as they come (overlap counted once in order). */
  tailMs = 0
  private tailEnd = -Infinity
  /** Time of the loop's queries, added as they come (overlap counted once when in order). */
  loopMs = 0
  private loopEnd = -Infinity
  lastStart = -Infinity
  private callSites: CallSites | undefined

  nPlusOne: FindingRecord | undefined
  duplicate: FindingRecord | undefined
  writeLoop: FindingRecord | undefined
  /** Registered as a small N+1 with the shape's recurring insight: the values then, and time. */
  insightRepeats = 0
  insightMs = 0

  // What the group is of; set by `init` (a Repeats is reused once its scope is over).
  shape!: Shape
  scope!: Scope
  app!: AppInfo
  firstId = 0
  secondId = 0
  /** The SELECT before the first query, and its entry in the scope (-1: none). */
  prevId = 0
  prevEntry = -1

  /** Makes this the group of `shape` in `scope`, empty (a reused one forgets its last group). */
  init(
    shape: Shape,
    scope: Scope,
    app: AppInfo,
    firstId: number,
    secondId: number,
    prevId: number,
    prevEntry: number,
  ): this {
    this.shape = shape
    this.scope = scope
    this.app = app
    this.firstId = firstId
    this.secondId = secondId
    this.prevId = prevId
    this.prevEntry = prevEntry
    this.loopCount = 0
    this.distinct = 0
    this.duplicated = 0
    this.values = undefined
    this.used = 0
    this.tailMs = 0
    this.tailEnd = -Infinity
    this.loopMs = 0
    this.loopEnd = -Infinity
    this.lastStart = -Infinity
    this.callSites?.clear()
    this.nPlusOne = undefined
    this.duplicate = undefined
    this.writeLoop = undefined
    this.insightRepeats = 0
    this.insightMs = 0
    return this
  }

  /** Whether a kept finding holds this group (then it is not reused). */
  get held(): boolean {
    return isKept(this.nPlusOne) || isKept(this.duplicate) || isKept(this.writeLoop)
  }

  /** Whether it is small enough to be worth reusing. */
  get reusable(): boolean {
    return !this.held && this.stored.length <= MAX_POOLED_SIZE * 4
  }

  private keep(id: number, start: number, end: number, encodedKey: number): void {
    const stored = this.stored
    const at = this.used
    // Overwrites the room a reused array kept; appends past it.
    if (at < stored.length) {
      stored[at] = id
      stored[at + 1] = start
      stored[at + 2] = end
      stored[at + 3] = encodedKey
    } else stored.push(id, start, end, encodedKey)
    this.used = at + 4
  }

  get isRead(): boolean {
    return this.shape.statement === 'select'
  }

  /** The group's first query, replayed when the second one arrives. */
  store(id: number, start: number, end: number, key: number, inLoop: boolean): void {
    this.keep(id, start, end, inLoop ? key : -key - 1)
    this.lastStart = start
    if (inLoop) this.countLoop(start, end, true)
  }

  add(query: QueryRecord, start: number, end: number, key: number, inLoop: boolean): number {
    if (start > this.lastStart) this.lastStart = start
    if (this.used < MAX_GROUP_QUERIES * 4) {
      this.keep(query.id, start, end, inLoop ? key : -key - 1)
    } else {
      this.tailMs += Math.max(0, end - Math.max(start, this.tailEnd))
      if (end > this.tailEnd) this.tailEnd = end
    }
    if (query.stack !== undefined) this.addCallSite(query.stack)
    const seen = this.countValue(key)
    if (inLoop) this.countLoop(start, end, seen === 1)
    return seen
  }

  addCallSite(stack: StackFrame[]): void {
    ;(this.callSites ??= new CallSites()).add(stack)
  }

  /** Counts each place this group has seen once, in `into`. */
  addPlacesTo(into: CallSites): void {
    if (this.callSites !== undefined) into.addPlaces(this.callSites)
  }

  /** The call sites seen, most frequent first. */
  topCallSites(): StackFrame[] {
    return this.callSites?.top() ?? []
  }

  /** Counts the newest query's value (already kept, unless past the cap); how often seen now. */
  private countValue(key: number): number {
    if (this.values !== undefined) return this.values.add(key)
    // While the table is not made the group is small, so the newest query is kept.
    const size = this.size
    if (size <= LINEAR_VALUES) return this.timesSeen(key)
    // The group grew: from now on a table, filled with what was kept so far (the newest last).
    const values = (this.values = new ValueCounts(MAX_GROUP_VALUES))
    let seen = 0
    for (let i = 0; i < size; i++) seen = values.add(this.keyAt(i))
    return seen
  }

  private countLoop(start: number, end: number, newValue: boolean): void {
    this.loopCount++
    if (newValue) this.distinct++
    this.loopMs += Math.max(0, end - Math.max(start, this.loopEnd))
    if (end > this.loopEnd) this.loopEnd = end
  }

  get size(): number {
    return this.used / 4
  }

  idAt(i: number): number {
    return this.stored[i * 4]!
  }

  startAt(i: number): number {
    return this.stored[i * 4 + 1]!
  }

  keyAt(i: number): number {
    const key = this.stored[i * 4 + 3]!
    return key >= 0 ? key : -key - 1
  }

  inLoopAt(i: number): boolean {
    return this.stored[i * 4 + 3]! >= 0
  }

  timesSeen(key: number): number {
    if (this.values !== undefined) return this.values.get(key)
    let seen = 0
    for (let i = 0; i < this.size; i++) if (this.keyAt(i) === key) seen++
    return seen
  }

  /** Indexes of the kept queries that belong to a finding of `kind`. */
  members(kind: FindingKind, duplicateThreshold: number): number[] {
    const members: number[] = []
    for (let i = 0; i < this.size; i++) {
      const belongs =
        kind === 'duplicate'
          ? this.timesSeen(this.keyAt(i)) >= duplicateThreshold
          : this.inLoopAt(i)
      if (belongs) members.push(i)
    }
    return members
  }

  /** Union of the members' intervals: concurrent queries count once. */
  unionMs(members: number[]): number {
    const stored = this.stored
    const order = [...members].sort((a, b) => stored[a * 4 + 1]! - stored[b * 4 + 1]!)
    let total = 0
    let coveredTo = -Infinity
    for (const i of order) {
      const start = Math.max(stored[i * 4 + 1]!, coveredTo)
      const end = stored[i * 4 + 2]!
      if (end > start) total += end - start
      if (end > coveredTo) coveredTo = end
    }
    return total
  }
}

function isKept(record: FindingRecord | undefined): boolean {
  return record !== undefined && !record.dropped
}

class FindingRecord {
  /** Given when the finding is first listed or asked for (see `FindingsDetector.name`). */
  id: string | undefined = undefined
  dropped = false
  sourceQueryId: number | undefined
  sourceSql: string | undefined

  constructor(
    readonly kind: FindingKind,
    readonly repeats: Repeats,
  ) {}
}

interface InsightAggregate {
  fingerprintId: string
  fingerprint: string
  statement: Shape['statement']
  app: AppInfo
  scopes: number
  /** Distinct values per scope -> how many scopes. */
  repeats: Map<number, number>
  totalMs: number
  callSites: CallSites
}

export class FindingsDetector implements AnalysisHandler<FindingsResult> {
  /** The kept findings that have their id, by id. */
  private findings = new Map<string, FindingRecord>()
  /** Findings in creation order from `oldest` on: the next to drop when over the cap. */
  private created: (FindingRecord | undefined)[] = []
  private oldest = 0
  /** Findings in `created` from here on have no id yet. */
  private unnamed = 0
  private counts: Record<FindingKind, number> = { 'n-plus-one': 0, duplicate: 0, 'write-loop': 0 }
  private droppedFindings = 0
  private insights = new Map<string, InsightAggregate>()
  /** Closed scopes' state, reset, for the next scopes (see the top of this file). */
  private readonly entriesPool: ScopeEntries[] = []
  private readonly repeatsPool: Repeats[] = []

  constructor(
    private readonly settings: AnalysisSettings,
    private readonly lookup: QueryLookup,
    private readonly marks: FindingMarks,
  ) {}

  reset(): void {
    this.findings = new Map()
    this.created = []
    this.oldest = 0
    this.unnamed = 0
    this.counts = { 'n-plus-one': 0, duplicate: 0, 'write-loop': 0 }
    this.droppedFindings = 0
    this.insights = new Map()
  }

  handleQuery(query: QueryRecord, app: AppInfo, fp: Shape, scope: Scope): void {
    const statement = fp.statement
    // BEGIN, COMMIT, PRAGMA...: neither loops nor the source of one.
    if (statement === 'other') return
    const read = statement === 'select'
    const single = fp.inListItems <= 1
    const inLoop = read ? single && !fp.paginated : single && fp.collapsedRows <= 1
    const start = query.startTime
    const end = start + query.durationMs
    const entries = (scope.entries ??= this.entriesPool.pop() ?? new ScopeEntries())
    let entry = findEntry(entries, fp)
    if (entry < 0) {
      entry = addEntry(entries, fp)
      if (entry < 0) return
      const firsts = entries.firsts
      const at = entry * FIRST_FIELDS
      // Overwrites the room a reused array kept; appends past it.
      if (at < firsts.length) {
        firsts[at] = query.id
        firsts[at + 1] = start
        firsts[at + 2] = end
        firsts[at + 3] = inLoop ? 1 : 0
        firsts[at + 4] = entries.lastSelectId
        firsts[at + 5] = entries.lastSelectEntry
      } else {
        firsts.push(
          query.id,
          start,
          end,
          inLoop ? 1 : 0,
          entries.lastSelectId,
          entries.lastSelectEntry,
        )
      }
      entries.frames[entry] = query.stack
      entries.params[entry] = query.params
      if (read) {
        entries.lastSelectId = query.id
        entries.lastSelectEntry = entry
      }
      // Every threshold is 2 or more: a shape seen once cannot make a finding yet.
      return
    }
    let repeats = entries.repeated[entry]
    if (repeats === undefined) repeats = this.repeatsOf(scope, entries, entry, query.id, app)
    const key = paramsHash(query.params, fp.literals)
    const seen = repeats.add(query, start, end, key, inLoop)
    if (read) {
      entries.lastSelectId = query.id
      entries.lastSelectEntry = entry
      this.checkRead(repeats, query, key, seen, inLoop)
    } else if (inLoop) {
      this.checkWriteLoop(repeats, query)
    }
  }

  /** The shape's second query in the scope: its first one is replayed into a Repeats. */
  private repeatsOf(
    scope: Scope,
    entries: ScopeEntries,
    entry: number,
    secondId: number,
    app: AppInfo,
  ): Repeats {
    const firsts = entries.firsts
    const at = entry * FIRST_FIELDS
    const repeats = (this.repeatsPool.pop() ?? new Repeats()).init(
      entries.shapes[entry]!,
      scope,
      app,
      firsts[at]!,
      secondId,
      firsts[at + 4]!,
      firsts[at + 5]!,
    )
    const shape = entries.shapes[entry]!
    repeats.store(
      firsts[at]!,
      firsts[at + 1]!,
      firsts[at + 2]!,
      paramsHash(entries.params[entry], shape.literals),
      firsts[at + 3] === 1,
    )
    entries.params[entry] = undefined
    const frames = entries.frames[entry]
    if (frames !== undefined) repeats.addCallSite(frames)
    entries.repeated[entry] = repeats
    return repeats
  }

  /** The scope is over: its entries go (findings keep their Repeats), to be reused. */
  scopeClosed(scope: Scope): void {
    const entries = scope.entries
    if (entries === undefined) return
    scope.entries = undefined
    const count = entries.count
    for (let i = 0; i < count; i++) {
      const repeats = entries.repeated[i]
      if (repeats !== undefined) {
        if (repeats.reusable) this.pool(repeats)
        entries.repeated[i] = undefined
      }
      entries.shapes[i] = undefined
      entries.frames[i] = undefined
      entries.params[i] = undefined
    }
    if (count > MAX_POOLED_SIZE || this.entriesPool.length >= MAX_POOLED) return
    entries.count = 0
    entries.byShape = undefined
    entries.lastSelectId = 0
    entries.lastSelectEntry = -1
    this.entriesPool.push(entries)
  }

  finalize(): void {}

  data(): FindingsResult {
    this.name()
    const findings = [...this.findings.values()].map((record) => this.toFinding(record))
    findings.sort(
      (a, b) =>
        severityRank(b.severity) - severityRank(a.severity) ||
        a.firstSeen - b.firstSeen ||
        a.id.localeCompare(b.id),
    )
    return { findings, insights: this.recurringInsights() }
  }

  finding(id: string): Finding | undefined {
    this.name()
    const record = this.findings.get(id)
    return record && this.toFinding(record)
  }

  summary(): { counts: Record<FindingKind, number>; insights: number; dropped: number } {
    let insights = 0
    for (const insight of this.insights.values())
      if (insight.scopes >= this.settings.recurringMinContexts) insights++
    return { counts: { ...this.counts }, insights, dropped: this.droppedFindings }
  }

  // --- Detection ----------------------------------------------------------------------------

  private checkRead(
    repeats: Repeats,
    query: QueryRecord,
    key: number,
    seen: number,
    inLoop: boolean,
  ): void {
    const { nPlusOneThreshold, duplicateThreshold } = this.settings
    if (seen >= duplicateThreshold) {
      repeats.duplicated += seen === duplicateThreshold ? seen : 1
      if (repeats.duplicate === undefined) {
        repeats.duplicate = this.create('duplicate', repeats)
      } else if (seen === duplicateThreshold) {
        // Another value set became a duplicate: its earlier queries join the finding.
        this.markEarlier(repeats, key, seen - 1)
        this.marks.markFinding(query.id, 'duplicate')
      } else {
        this.marks.markFinding(query.id, 'duplicate')
      }
    }
    if (!inLoop) return
    if (repeats.distinct >= nPlusOneThreshold) {
      if (repeats.nPlusOne === undefined) {
        repeats.nPlusOne = this.create('n-plus-one', repeats)
        this.unregisterInsight(repeats)
      } else this.marks.markFinding(query.id, 'n-plus-one')
    } else if (repeats.distinct >= 2) {
      if (seen === 1) this.registerInsight(repeats)
      const insight = this.insights.get(repeats.shape.id)!
      insight.totalMs += repeats.loopMs - repeats.insightMs
      repeats.insightMs = repeats.loopMs
    }
  }

  private checkWriteLoop(repeats: Repeats, query: QueryRecord): void {
    if (repeats.loopCount < this.settings.writeLoopThreshold) return
    if (repeats.writeLoop === undefined) repeats.writeLoop = this.create('write-loop', repeats)
    else this.marks.markFinding(query.id, 'write-loop')
  }

  private create(kind: FindingKind, repeats: Repeats): FindingRecord {
    const record = new FindingRecord(kind, repeats)
    if (kind === 'n-plus-one') {
      const source = this.sourceOf(repeats)
      if (source !== 0) {
        record.sourceQueryId = source
        record.sourceSql = this.lookup(source)?.sql
      }
    }
    this.created.push(record)
    this.counts[kind]++
    this.markMembers(repeats, kind)
    if (this.created.length - this.oldest > MAX_FINDINGS) this.dropOldest()
    return record
  }

  /**
   * Gives the findings created since the last call their ids, in creation order, and files
   * them by id. Done when findings are listed or asked for rather than as each is made: a
   * string key in a map of thousands costs about a microsecond, and at ingest rates most
   * findings past the cap are dropped before anyone looks.
   */
  private name(): void {
    const created = this.created
    for (let i = Math.max(this.unnamed, this.oldest); i < created.length; i++) {
      const record = created[i]!
      const { kind, repeats } = record
      let id = `${kind}:${repeats.shape.id}:${repeats.scope.id}`
      // A context id seen again after its scope closed (a long pause): keep both findings.
      for (let n = 2; this.findings.has(id); n++)
        id = `${kind}:${repeats.shape.id}:${repeats.scope.id}#${n}`
      record.id = id
      this.findings.set(id, record)
    }
    this.unnamed = created.length
  }

  private markMembers(repeats: Repeats, kind: FindingKind): void {
    for (const i of repeats.members(kind, this.settings.duplicateThreshold)) {
      this.marks.markFinding(repeats.idAt(i), kind)
    }
  }

  /**
   * Marks the `count` queries before the newest with this value set. Searched from the newest
   * back, and only so far: in a long scope the earliest may stay unmarked on the timeline
   * (the finding still lists them), so that a query never costs a scan of its whole group.
   */
  private markEarlier(repeats: Repeats, key: number, count: number): void {
    const newest = repeats.size - 1
    for (let i = newest - 1; i >= 0 && i >= newest - MARK_SCAN && count > 0; i--) {
      if (repeats.keyAt(i) === key) {
        this.marks.markFinding(repeats.idAt(i), 'duplicate')
        count--
      }
    }
  }

  private dropOldest(): void {
    // Not the map's first entry: a map keeps deleted entries' slots, and walking past them
    // would make each drop slower than the last.
    const record = this.created[this.oldest]!
    this.created[this.oldest++] = undefined
    if (this.oldest > 4096 && this.oldest > this.created.length / 2) {
      this.created = this.created.slice(this.oldest)
      this.unnamed = Math.max(0, this.unnamed - this.oldest)
      this.oldest = 0
    }
    if (record.id !== undefined) this.findings.delete(record.id)
    this.counts[record.kind]--
    this.droppedFindings++
    // The group keeps the (dropped) record, so the finding is not created again.
    record.dropped = true
    // Once its scope is over too, nothing reads the group again: it can be reused.
    const repeats = record.repeats
    if (repeats.scope.entries === undefined && repeats.reusable) this.pool(repeats)
  }

  private pool(repeats: Repeats): void {
    const pool = this.repeatsPool
    if (pool.length < MAX_POOLED) pool.push(repeats)
    else if (pool[pool.length - 1]!.stored.length < repeats.stored.length) {
      // Full: keep the one with more room, so that a long loop's group need not grow an
      // array afresh (one a finding then holds long enough to be copied to the old space).
      pool[pool.length - 1] = repeats
    }
  }

  /**
   * The SELECT before the group's first query. When that one is itself the first query of a
   * sibling loop interleaved with this one (its second query came between this group's first
   * and second), the loop's source is that sibling's source.
   */
  private sourceOf(repeats: Repeats): number {
    const entries = repeats.scope.entries
    let id = repeats.prevId
    let candidate = repeats.prevEntry
    for (let steps = 0; entries !== undefined && candidate >= 0 && steps < 8; steps++) {
      const firsts = entries.firsts
      const at = candidate * FIRST_FIELDS
      const candidateSecond = entries.repeated[candidate]?.secondId ?? 0
      const interleaved =
        firsts[at] === id && candidateSecond > repeats.firstId && candidateSecond < repeats.secondId
      if (!interleaved) break
      id = firsts[at + 4]!
      candidate = firsts[at + 5]!
    }
    return id
  }

  // --- Recurring small N+1s ----------------------------------------------------------------

  private registerInsight(repeats: Repeats): void {
    const shape = repeats.shape
    let insight = this.insights.get(shape.id)
    if (insight === undefined) {
      insight = {
        fingerprintId: shape.id,
        fingerprint: shape.text,
        statement: shape.statement,
        app: repeats.app,
        scopes: 0,
        repeats: new Map(),
        totalMs: 0,
        callSites: new CallSites(),
      }
      this.insights.set(shape.id, insight)
    }
    if (repeats.insightRepeats === 0) insight.scopes++
    else decrement(insight.repeats, repeats.insightRepeats)
    repeats.insightRepeats = repeats.distinct
    insight.repeats.set(repeats.distinct, (insight.repeats.get(repeats.distinct) ?? 0) + 1)
    if (repeats.distinct === 2) repeats.addPlacesTo(insight.callSites)
  }

  /** The group grew into a finding: it no longer counts as a small N+1. */
  private unregisterInsight(repeats: Repeats): void {
    if (repeats.insightRepeats === 0) return
    const insight = this.insights.get(repeats.shape.id)!
    insight.scopes--
    decrement(insight.repeats, repeats.insightRepeats)
    insight.totalMs -= repeats.insightMs
    repeats.insightRepeats = 0
    repeats.insightMs = 0
  }

  private recurringInsights(): RecurringInsight[] {
    const insights: RecurringInsight[] = []
    for (const insight of this.insights.values()) {
      if (insight.scopes < this.settings.recurringMinContexts) continue
      insights.push({
        kind: 'recurring-n-plus-one',
        fingerprintId: insight.fingerprintId,
        fingerprint: insight.fingerprint,
        contexts: insight.scopes,
        medianRepeats: median(insight.repeats),
        totalMs: round(insight.totalMs),
        callSites: insight.callSites.top(),
        suggestion: suggestionFor(
          'n-plus-one',
          insight.statement,
          insight.fingerprint,
          insight.app,
        ),
      })
    }
    return insights.sort((a, b) => b.totalMs - a.totalMs || b.contexts - a.contexts)
  }

  // --- Output ----------------------------------------------------------------------------

  private toFinding(record: FindingRecord): Finding {
    const { repeats, kind } = record
    const members = repeats.members(kind, this.settings.duplicateThreshold)
    const count = kind === 'duplicate' ? repeats.duplicated : repeats.loopCount
    const totalMs = repeats.unionMs(members) + (kind === 'duplicate' ? 0 : repeats.tailMs)
    const threshold =
      kind === 'n-plus-one'
        ? this.settings.nPlusOneThreshold
        : kind === 'duplicate'
          ? this.settings.duplicateThreshold
          : this.settings.writeLoopThreshold
    let firstSeen = Infinity
    let lastSeen = -Infinity
    for (const i of members) {
      firstSeen = Math.min(firstSeen, repeats.startAt(i))
      lastSeen = Math.max(lastSeen, repeats.startAt(i))
    }
    if (kind !== 'duplicate') lastSeen = Math.max(lastSeen, repeats.lastStart)
    const scope = repeats.scope
    const finding: Finding = {
      id: record.id!,
      kind,
      severity: severityOf(count, totalMs, threshold, this.settings.slowQueryMs),
      fingerprintId: repeats.shape.id,
      fingerprint: repeats.shape.text,
      count,
      totalMs: round(totalMs),
      scope: {
        kind: scope.kind === 'context' ? 'context' : 'connection-burst',
        id: scope.id,
        appId: scope.appId,
      },
      callSites: repeats.topCallSites(),
      queryIds: members.map((i) => repeats.idAt(i)),
      firstSeen,
      lastSeen,
      suggestion: suggestionFor(kind, repeats.shape.statement, repeats.shape.text, repeats.app),
    }
    if (scope.name !== undefined) finding.scope.name = scope.name
    if (record.sourceQueryId !== undefined) finding.sourceQueryId = record.sourceQueryId
    if (record.sourceSql !== undefined) finding.sourceSql = record.sourceSql
    return finding
  }
}

/**
 * The scope's entry for a shape, or -1. The queries of one statement nearly always bring the
 * same Shape object (the fingerprint of one text), so it is compared before the ids are.
 */
function findEntry(entries: ScopeEntries, shape: Shape): number {
  if (entries.byShape !== undefined) return entries.byShape.get(shape.id) ?? -1
  const shapes = entries.shapes
  const count = entries.count
  for (let i = 0; i < count; i++) if (shapes[i] === shape) return i
  const id = shape.id
  for (let i = 0; i < count; i++) if (shapes[i]!.id === id) return i
  return -1
}

/**
 * Adds an entry for a shape (its `firsts` follow; its Repeats and frames slots are left
 * empty); -1 when the scope follows too many.
 */
function addEntry(entries: ScopeEntries, shape: Shape): number {
  const entry = entries.count
  if (entry >= MAX_GROUPS_PER_SCOPE) return -1
  entries.count = entry + 1
  if (entry < entries.shapes.length) entries.shapes[entry] = shape
  else {
    entries.shapes.push(shape)
    entries.repeated.push(undefined)
    entries.frames.push(undefined)
    entries.params.push(undefined)
  }
  if (entries.byShape !== undefined) entries.byShape.set(shape.id, entry)
  else if (entry + 1 > LINEAR_GROUPS) {
    entries.byShape = new Map()
    for (let i = 0; i <= entry; i++) entries.byShape.set(entries.shapes[i]!.id, i)
  }
  return entry
}

function decrement(counts: Map<number, number>, key: number): void {
  const left = (counts.get(key) ?? 0) - 1
  if (left > 0) counts.set(key, left)
  else counts.delete(key)
}

/** The median of values given as value -> how many times. */
function median(counts: Map<number, number>): number {
  const entries = [...counts].sort((a, b) => a[0] - b[0])
  let total = 0
  for (const [, n] of entries) total += n
  let seen = 0
  for (const [value, n] of entries) {
    seen += n
    if (seen * 2 >= total) return value
  }
  return 0
}
