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
 * - A small N+1 (2 or more values, under the threshold) seen in RECURRING_MIN_SCOPES scopes
 *   or more is a recurring insight for that shape, not a finding.
 *
 * Per scope the detector keeps one group per shape: counts, the values seen (as hashes) and
 * the first MAX_GROUP_QUERIES queries' ids and intervals. A finding is the live view of a
 * group: created when the group crosses its threshold, updated as the scope grows (same
 * id, count rising). When a scope closes its groups go, except those a finding holds.
 */
import type {
  AnalysisSettings,
  Finding,
  FindingKind,
  FindingsResult,
  RecurringInsight,
} from '../../shared/analysis'
import type { AppInfo, QueryRecord } from '../../shared/domain'
import { CallSites } from './call-sites'
import type { AnalysisHandler, QueryLookup, Shape } from './handler'
import { paramsHash } from './params'
import type { Scope } from './scopes'
import { round } from './statistics'
import { severityOf, severityRank, suggestionFor } from './suggestions'

/** Queries of a group kept with their intervals (and listed in its finding). */
export const MAX_GROUP_QUERIES = 1000
/** Distinct values remembered per group; past it, new values are taken as new. */
const MAX_GROUP_VALUES = 10_000
/** Shapes followed per scope; a scope issuing more new shapes is not followed further. */
const MAX_GROUPS_PER_SCOPE = 1000
/** Findings kept; past it the oldest go (and are counted). */
export const MAX_FINDINGS = 5000
/** Scopes a small N+1 must appear in to be reported as recurring. */
export const RECURRING_MIN_SCOPES = 3

/** What the timeline is told: this query belongs to a finding of this kind. */
export interface FindingMarks {
  markFinding(queryId: number, kind: FindingKind, scope: Scope): void
}

/** The detector's state for one open scope (kept on the scope itself: no lookup per query). */
export interface ScopeFindingsState {
  groups: Map<string, Group>
  /** The latest SELECT in the scope and its group: a new group's candidate source. */
  lastSelectId: number
  lastSelectGroup: Group | undefined
}

type GroupRole = 'read' | 'write' | 'none'

class Group {
  count = 0
  /** Queries that count toward a loop (N+1 or write loop): not paginated, one row / item. */
  loopCount = 0
  /** Distinct value sets among the loop's queries. */
  distinct = 0
  /** Queries whose value set was seen `duplicateThreshold` times or more. */
  duplicated = 0
  private values: Map<number, number> | undefined
  private firstKey = 0

  // The first MAX_GROUP_QUERIES queries.
  readonly ids: number[] = []
  readonly starts: number[] = []
  readonly ends: number[] = []
  readonly keys: number[] = []
  readonly inLoop: boolean[] = []
  /** Time of the queries past the cap, added as they come (overlap counted once in order). */
  tailMs = 0
  private tailEnd = -Infinity
  /** Time of the loop's queries, added as they come (overlap counted once when in order). */
  loopMs = 0
  private loopEnd = -Infinity

  secondId = 0
  lastStart = -Infinity
  readonly callSites = new CallSites()

  /** The query before this group's first one (a SELECT of another shape), and its group. */
  prevId = 0
  prevGroup: Group | undefined

  nPlusOne: FindingRecord | undefined
  duplicate: FindingRecord | undefined
  writeLoop: FindingRecord | undefined
  /** Registered as a small N+1 with the shape's recurring insight: the values then, and time. */
  insightRepeats = 0
  insightMs = 0

  constructor(
    readonly fingerprintId: string,
    readonly fingerprint: string,
    readonly statement: Shape['statement'],
    readonly role: GroupRole,
    readonly scope: Scope,
    readonly app: AppInfo,
  ) {}

  get firstId(): number {
    return this.ids[0] ?? 0
  }

  /** Adds a query; returns how many times its value set has now been seen. */
  add(query: QueryRecord, key: number, inLoop: boolean): number {
    this.count++
    if (this.count === 2) this.secondId = query.id
    const start = query.startTime
    const end = start + query.durationMs
    if (start > this.lastStart) this.lastStart = start
    if (this.ids.length < MAX_GROUP_QUERIES) {
      this.ids.push(query.id)
      this.starts.push(start)
      this.ends.push(end)
      this.keys.push(key)
      this.inLoop.push(inLoop)
    } else {
      this.tailMs += Math.max(0, end - Math.max(start, this.tailEnd))
      if (end > this.tailEnd) this.tailEnd = end
    }
    if (query.stack !== undefined) this.callSites.add(query.stack)
    let seen: number
    // The first value set is kept inline: most groups never see a second query.
    if (this.count === 1) {
      this.firstKey = key
      seen = 1
    } else {
      if (this.values === undefined) {
        this.values = new Map([[this.firstKey, 1]])
      }
      seen = (this.values.get(key) ?? 0) + 1
      if (seen > 1 || this.values.size < MAX_GROUP_VALUES) this.values.set(key, seen)
    }
    if (inLoop) {
      this.loopCount++
      if (seen === 1) this.distinct++
      this.loopMs += Math.max(0, end - Math.max(start, this.loopEnd))
      if (end > this.loopEnd) this.loopEnd = end
    }
    return seen
  }

  timesSeen(key: number): number {
    return this.values?.get(key) ?? (this.count > 0 && key === this.firstKey ? 1 : 0)
  }

  /** Indexes of the kept queries that belong to a finding of `kind`. */
  members(kind: FindingKind, duplicateThreshold: number): number[] {
    const members: number[] = []
    for (let i = 0; i < this.ids.length; i++) {
      const belongs =
        kind === 'duplicate' ? this.timesSeen(this.keys[i]!) >= duplicateThreshold : this.inLoop[i]
      if (belongs) members.push(i)
    }
    return members
  }

  /** Union of the members' intervals: concurrent queries count once. */
  unionMs(members: number[]): number {
    const order = [...members].sort((a, b) => this.starts[a]! - this.starts[b]!)
    let total = 0
    let coveredTo = -Infinity
    for (const i of order) {
      const start = Math.max(this.starts[i]!, coveredTo)
      const end = this.ends[i]!
      if (end > start) total += end - start
      if (end > coveredTo) coveredTo = end
    }
    return total
  }
}

class FindingRecord {
  dropped = false
  sourceQueryId: number | undefined
  sourceSql: string | undefined

  constructor(
    readonly id: string,
    readonly kind: FindingKind,
    readonly group: Group,
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
  private findings = new Map<string, FindingRecord>()
  private counts: Record<FindingKind, number> = { 'n-plus-one': 0, duplicate: 0, 'write-loop': 0 }
  private droppedFindings = 0
  private insights = new Map<string, InsightAggregate>()

  constructor(
    private readonly settings: AnalysisSettings,
    private readonly lookup: QueryLookup,
    private readonly marks: FindingMarks,
  ) {}

  reset(): void {
    this.findings = new Map()
    this.counts = { 'n-plus-one': 0, duplicate: 0, 'write-loop': 0 }
    this.droppedFindings = 0
    this.insights = new Map()
  }

  handleQuery(query: QueryRecord, app: AppInfo, fp: Shape, scope: Scope): void {
    const statement = fp.statement
    // BEGIN, COMMIT, PRAGMA...: neither loops nor the source of one.
    if (statement === 'other') return
    const state = (scope.findings ??= {
      groups: new Map(),
      lastSelectId: 0,
      lastSelectGroup: undefined,
    })
    let group = state.groups.get(fp.id)
    if (group === undefined) {
      if (state.groups.size >= MAX_GROUPS_PER_SCOPE) return
      const role: GroupRole = statement === 'select' ? 'read' : 'write'
      group = new Group(fp.id, fp.text, statement, role, scope, app)
      group.prevId = state.lastSelectId
      group.prevGroup = state.lastSelectGroup
      state.groups.set(fp.id, group)
    }
    const single = fp.inListItems <= 1
    const inLoop = group.role === 'read' ? single && !fp.paginated : single && fp.collapsedRows <= 1
    const key = paramsHash(query.params, fp.literals)
    const seen = group.add(query, key, inLoop)
    if (group.role === 'read') {
      state.lastSelectId = query.id
      state.lastSelectGroup = group
      this.checkRead(group, query, key, seen, inLoop)
    } else if (inLoop) {
      this.checkWriteLoop(group, query)
    }
  }

  /** The scope is over: its groups go, except what findings hold. */
  scopeClosed(scope: Scope): void {
    const state = scope.findings
    if (state === undefined) return
    // Findings keep their group; the chain to earlier groups is no longer needed.
    for (const group of state.groups.values()) group.prevGroup = undefined
    scope.findings = undefined
  }

  finalize(): void {}

  data(): FindingsResult {
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
    const record = this.findings.get(id)
    return record && this.toFinding(record)
  }

  summary(): { counts: Record<FindingKind, number>; insights: number; dropped: number } {
    let insights = 0
    for (const insight of this.insights.values())
      if (insight.scopes >= RECURRING_MIN_SCOPES) insights++
    return { counts: { ...this.counts }, insights, dropped: this.droppedFindings }
  }

  // --- Detection ----------------------------------------------------------------------------

  private checkRead(
    group: Group,
    query: QueryRecord,
    key: number,
    seen: number,
    inLoop: boolean,
  ): void {
    const { nPlusOneThreshold, duplicateThreshold } = this.settings
    if (seen >= duplicateThreshold) {
      group.duplicated += seen === duplicateThreshold ? seen : 1
      if (group.duplicate === undefined) {
        group.duplicate = this.create('duplicate', group)
      } else if (seen === duplicateThreshold) {
        // A second value set became a duplicate: its earlier queries join the finding.
        this.markMembers(group, 'duplicate', (i) => group.keys[i] === key)
      } else {
        this.marks.markFinding(query.id, 'duplicate', group.scope)
      }
    }
    if (!inLoop) return
    if (group.distinct >= nPlusOneThreshold) {
      if (group.nPlusOne === undefined) {
        group.nPlusOne = this.create('n-plus-one', group)
        this.unregisterInsight(group)
      } else this.marks.markFinding(query.id, 'n-plus-one', group.scope)
    } else if (group.distinct >= 2) {
      if (seen === 1) this.registerInsight(group)
      const insight = this.insights.get(group.fingerprintId)!
      insight.totalMs += group.loopMs - group.insightMs
      group.insightMs = group.loopMs
    }
  }

  private checkWriteLoop(group: Group, query: QueryRecord): void {
    if (group.loopCount < this.settings.writeLoopThreshold) return
    if (group.writeLoop === undefined) group.writeLoop = this.create('write-loop', group)
    else this.marks.markFinding(query.id, 'write-loop', group.scope)
  }

  private create(kind: FindingKind, group: Group): FindingRecord {
    let id = `${kind}:${group.fingerprintId}:${group.scope.id}`
    // A context id seen again after its scope closed (a long pause): keep both findings.
    for (let n = 2; this.findings.has(id); n++)
      id = `${kind}:${group.fingerprintId}:${group.scope.id}#${n}`
    const record = new FindingRecord(id, kind, group)
    if (kind === 'n-plus-one') {
      const source = this.sourceOf(group)
      if (source !== 0) {
        record.sourceQueryId = source
        record.sourceSql = this.lookup(source)?.sql
      }
    }
    this.findings.set(id, record)
    this.counts[kind]++
    this.markMembers(group, kind, () => true)
    if (this.findings.size > MAX_FINDINGS) this.dropOldest()
    return record
  }

  private markMembers(group: Group, kind: FindingKind, also: (index: number) => boolean): void {
    for (const i of group.members(kind, this.settings.duplicateThreshold)) {
      if (also(i)) this.marks.markFinding(group.ids[i]!, kind, group.scope)
    }
  }

  private dropOldest(): void {
    const [id, record] = this.findings.entries().next().value!
    this.findings.delete(id)
    this.counts[record.kind]--
    this.droppedFindings++
    // The group keeps the (dropped) record, so the finding is not created again.
    record.dropped = true
  }

  /**
   * The SELECT before the group's first query. When that one is itself the first query of a
   * sibling loop interleaved with this one (its second query came between this group's first
   * and second), the loop's source is that sibling's source.
   */
  private sourceOf(group: Group): number {
    let id = group.prevId
    let candidate = group.prevGroup
    for (let steps = 0; candidate !== undefined && steps < 8; steps++) {
      const interleaved =
        candidate.firstId === id &&
        candidate.secondId > group.firstId &&
        candidate.secondId < group.secondId
      if (!interleaved) break
      id = candidate.prevId
      candidate = candidate.prevGroup
    }
    return id
  }

  // --- Recurring small N+1s ----------------------------------------------------------------

  private registerInsight(group: Group): void {
    let insight = this.insights.get(group.fingerprintId)
    if (insight === undefined) {
      insight = {
        fingerprintId: group.fingerprintId,
        fingerprint: group.fingerprint,
        statement: group.statement,
        app: group.app,
        scopes: 0,
        repeats: new Map(),
        totalMs: 0,
        callSites: new CallSites(),
      }
      this.insights.set(group.fingerprintId, insight)
    }
    if (group.insightRepeats === 0) insight.scopes++
    else decrement(insight.repeats, group.insightRepeats)
    group.insightRepeats = group.distinct
    insight.repeats.set(group.distinct, (insight.repeats.get(group.distinct) ?? 0) + 1)
    if (group.distinct === 2)
      for (const frame of group.callSites.top()) insight.callSites.add([frame])
  }

  /** The group grew into a finding: it no longer counts as a small N+1. */
  private unregisterInsight(group: Group): void {
    if (group.insightRepeats === 0) return
    const insight = this.insights.get(group.fingerprintId)!
    insight.scopes--
    decrement(insight.repeats, group.insightRepeats)
    insight.totalMs -= group.insightMs
    group.insightRepeats = 0
    group.insightMs = 0
  }

  private recurringInsights(): RecurringInsight[] {
    const insights: RecurringInsight[] = []
    for (const insight of this.insights.values()) {
      if (insight.scopes < RECURRING_MIN_SCOPES) continue
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
    const { group, kind } = record
    const members = group.members(kind, this.settings.duplicateThreshold)
    const count = kind === 'duplicate' ? group.duplicated : group.loopCount
    const totalMs = group.unionMs(members) + (kind === 'duplicate' ? 0 : group.tailMs)
    const threshold =
      kind === 'n-plus-one'
        ? this.settings.nPlusOneThreshold
        : kind === 'duplicate'
          ? this.settings.duplicateThreshold
          : this.settings.writeLoopThreshold
    let firstSeen = Infinity
    let lastSeen = -Infinity
    for (const i of members) {
      firstSeen = Math.min(firstSeen, group.starts[i]!)
      lastSeen = Math.max(lastSeen, group.starts[i]!)
    }
    if (kind !== 'duplicate') lastSeen = Math.max(lastSeen, group.lastStart)
    const scope = group.scope
    const finding: Finding = {
      id: record.id,
      kind,
      severity: severityOf(count, totalMs, threshold, this.settings.slowQueryMs),
      fingerprintId: group.fingerprintId,
      fingerprint: group.fingerprint,
      count,
      totalMs: round(totalMs),
      scope: {
        kind: scope.kind === 'context' ? 'context' : 'connection-burst',
        id: scope.id,
        appId: scope.appId,
      },
      callSites: group.callSites.top(),
      queryIds: members.map((i) => group.ids[i]!),
      firstSeen,
      lastSeen,
      suggestion: suggestionFor(kind, group.statement, group.fingerprint, group.app),
    }
    if (scope.name !== undefined) finding.scope.name = scope.name
    if (record.sourceQueryId !== undefined) finding.sourceQueryId = record.sourceQueryId
    if (record.sourceSql !== undefined) finding.sourceSql = record.sourceSql
    return finding
  }
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
