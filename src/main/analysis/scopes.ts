/**
 * Scopes: what a finding is found in, and what a timeline lane shows. A query that carries a
 * context (a request, a job) belongs to that context. A query without one belongs to a burst
 * on its connection: the queries of one (app, connection) whose gaps stay within
 * `burstGapMs` — from the end of one query to the start of the next — make one burst, and a
 * longer pause starts the next (an app that does not tell us its requests usually issues
 * each unit of work as one such burst). Queries without a connection id share one
 * per-app "connection".
 *
 * A scope is open while queries may still join it. A context closes when its agent says it
 * has ended (`endContext`), or else once no query has joined it for SCOPE_IDLE_MS of query
 * time (up to twice that, see `sweep`); a burst when the next burst on its connection starts
 * (or it too is idle); when more than MAX_OPEN_SCOPES are open, the longest idle close first.
 * Closing lets the detectors drop their per-scope state, which is what bounds their memory.
 */
import type { AppInfo, QueryContext, QueryRecord } from '../../shared/domain'
import type { ScopeEntries } from './findings'

/** Query time (ms) without a new query after which a context is taken as finished. */
export const SCOPE_IDLE_MS = 30_000
/** Open scopes kept at most; beyond it the longest idle are closed. */
export const MAX_OPEN_SCOPES = 20_000
/** Context objects whose scopes are remembered by reference (see `recentScope`). */
const RECENT_CONTEXTS = 8
/** Queries between two sweeps for idle scopes. */
const SWEEP_EVERY = 4096
/** Queries between two looks at the scopes opened lately (see `fresh`). */
const FRESH_EVERY = 512

export type ScopeKind = 'context' | 'connection-burst'

/**
 * One scope. Besides its identity it carries the state the findings detector keeps per
 * scope, in a plain field rather than in a map keyed by scope (a query then costs no
 * lookup): the detector's entries (reused from closed scopes, see findings.ts). Nothing else
 * keeps a scope once it is closed and has no finding (the timeline finds its lanes again
 * from the session's columns).
 */
export class Scope {
  queryCount = 0
  lastEnd = -Infinity
  open = true

  /** The findings detector's state for this scope while it is open (see findings.ts). */
  entries: ScopeEntries | undefined

  /** When the scope entered the tracker's queue of scopes to look at for idleness. */
  queuedAt = 0
  /** Where an open context's scope sits in its app's OpenContexts. */
  slot = -1

  constructor(
    readonly kind: ScopeKind,
    /** The context id, or `<appId>:<connectionId>:<burst n>`. */
    readonly id: string,
    readonly name: string | undefined,
    readonly app: AppInfo,
    /** Bursts: the burst's number on its connection, from 1, and the connection. */
    readonly burst = 0,
    readonly connectionKey = '',
  ) {}

  get appId(): string {
    return this.app.id
  }
}

export interface ScopeListener {
  scopeOpened?(scope: Scope): void
  scopeClosed?(scope: Scope): void
}

const NO_CONNECTION = '\u0000none'
/** Open contexts per app searched one by one; past this many, also by a map. */
const LINEAR_CONTEXTS = 64

/**
 * One app's open contexts by id. An app has a few requests in flight, each opening and
 * closing a context: a Map keyed by their ids churns (every insert and delete, and a new
 * table every few requests), so while there are few they are a plain array searched newest
 * first (closing moves the last one into the gap); a map is kept besides only while there
 * are many (an app whose agent does not say when its contexts end).
 */
class OpenContexts {
  private readonly scopes: Scope[] = []
  private byId: Map<string, Scope> | undefined

  get(id: string): Scope | undefined {
    if (this.byId !== undefined) return this.byId.get(id)
    const scopes = this.scopes
    for (let i = scopes.length - 1; i >= 0; i--) if (scopes[i]!.id === id) return scopes[i]
    return undefined
  }

  add(scope: Scope): void {
    scope.slot = this.scopes.length
    this.scopes.push(scope)
    if (this.byId !== undefined) this.byId.set(scope.id, scope)
    else if (this.scopes.length > LINEAR_CONTEXTS) {
      this.byId = new Map(this.scopes.map((open) => [open.id, open]))
    }
  }

  remove(scope: Scope): void {
    const scopes = this.scopes
    const at = scope.slot
    if (scopes[at] !== scope) return
    const last = scopes.pop()!
    if (last !== scope) {
      scopes[at] = last
      last.slot = at
    }
    scope.slot = -1
    if (this.byId !== undefined) {
      this.byId.delete(scope.id)
      if (scopes.length <= LINEAR_CONTEXTS / 4) this.byId = undefined
    }
  }

  values(): readonly Scope[] {
    return this.scopes
  }
}

export class ScopeTracker {
  /** Open contexts: appId -> context id -> scope. */
  private contexts = new Map<string, OpenContexts>()
  /** The current burst of each connection: appId -> connection id -> scope. */
  private bursts = new Map<string, Map<string, Scope>>()
  private openCount = 0
  /** Open scopes (and some closed since) in the order they were opened or last found busy. */
  private queue: Scope[] = []
  private queueHead = 0
  /**
   * Scopes opened lately, not yet in `queue`. Most requests are over within milliseconds:
   * held by the queue until it is swept SCOPE_IDLE_MS later, each request's Scope would
   * outlive the garbage collector's young generation and be copied twice for nothing. Every
   * FRESH_EVERY queries the closed ones are let go and the open ones move to the queue, so a
   * short request's Scope dies young.
   */
  private fresh: Scope[] = []
  private sinceFresh = 0
  /** Context objects seen lately and their scopes (see `recentScope`). */
  private readonly recentContexts: (QueryContext | undefined)[] = new Array(RECENT_CONTEXTS).fill(
    undefined,
  )
  private readonly recentScopes: (Scope | undefined)[] = new Array(RECENT_CONTEXTS).fill(undefined)
  private recentNext = 0
  private sinceSweep = 0
  /** The latest query end seen: the clock idleness is measured on. */
  private now = -Infinity

  constructor(
    private readonly settings: { burstGapMs: number },
    private readonly listener: ScopeListener,
  ) {}

  get open(): number {
    return this.openCount
  }

  /** The scope `query` belongs to, opening one if needed. */
  scopeOf(query: QueryRecord, app: AppInfo): Scope {
    const start = query.startTime
    const end = start + query.durationMs
    if (end > this.now) this.now = end
    if (++this.sinceFresh >= FRESH_EVERY) {
      this.sinceFresh = 0
      this.admitFresh()
      if (++this.sinceSweep >= SWEEP_EVERY / FRESH_EVERY) {
        this.sinceSweep = 0
        this.sweep()
      }
    }
    const context = query.context
    let scope: Scope | undefined
    if (context !== undefined) {
      scope = this.recentScope(context, app)
      if (scope === undefined) {
        let open = this.contexts.get(app.id)
        if (open === undefined) this.contexts.set(app.id, (open = new OpenContexts()))
        scope = open.get(context.id)
        if (scope === undefined) {
          scope = new Scope('context', context.id, context.name, app)
          open.add(scope)
          this.opened(scope, start)
        }
        const at = this.recentNext
        this.recentContexts[at] = context
        this.recentScopes[at] = scope
        this.recentNext = (at + 1) % RECENT_CONTEXTS
      }
    } else {
      const connectionId = query.connectionId ?? NO_CONNECTION
      let byConnection = this.bursts.get(app.id)
      if (byConnection === undefined) this.bursts.set(app.id, (byConnection = new Map()))
      scope = byConnection.get(connectionId)
      if (scope === undefined || start - scope.lastEnd > this.settings.burstGapMs) {
        const burst = (scope?.burst ?? 0) + 1
        if (scope !== undefined) this.close(scope)
        const shownId = connectionId === NO_CONNECTION ? '-' : connectionId
        scope = new Scope(
          'connection-burst',
          `${app.id}:${shownId}:${burst}`,
          connectionId === NO_CONNECTION
            ? `no connection id, burst ${burst}`
            : `connection ${connectionId}, burst ${burst}`,
          app,
          burst,
          connectionId,
        )
        byConnection.set(connectionId, scope)
        this.opened(scope, start)
      }
    }
    scope.queryCount++
    if (end > scope.lastEnd) scope.lastEnd = end
    return scope
  }

  /**
   * The open scope of a context object seen lately. The live session hands the queries of one
   * request the same context object, so a few pointer comparisons find its scope without
   * the two map lookups.
   */
  private recentScope(context: QueryContext, app: AppInfo): Scope | undefined {
    const contexts = this.recentContexts
    for (let i = 0; i < RECENT_CONTEXTS; i++) {
      if (contexts[i] !== context) continue
      const scope = this.recentScopes[i]!
      if (scope.open && scope.app === app) return scope
    }
    return undefined
  }

  /** Closes the scope of a context that has ended (when it is open). */
  endContext(app: AppInfo, contextId: string): void {
    const scope = this.contexts.get(app.id)?.get(contextId)
    if (scope !== undefined) this.close(scope)
  }

  /** Closes every open scope (a loaded session is complete). */
  closeAll(): void {
    for (const scope of this.openScopes()) this.close(scope)
  }

  reset(): void {
    this.contexts = new Map()
    this.bursts = new Map()
    this.openCount = 0
    this.sinceSweep = 0
    this.now = -Infinity
    this.queue = []
    this.queueHead = 0
    this.fresh = []
    this.sinceFresh = 0
    this.recentContexts.fill(undefined)
    this.recentScopes.fill(undefined)
  }

  private opened(scope: Scope, at: number): void {
    this.openCount++
    scope.queuedAt = at
    this.fresh.push(scope)
    this.listener.scopeOpened?.(scope)
  }

  /** The scopes opened lately that are still open join the queue; the others are let go. */
  private admitFresh(): void {
    const fresh = this.fresh
    for (let i = 0; i < fresh.length; i++) {
      const scope = fresh[i]!
      if (scope.open) this.queue.push(scope)
    }
    fresh.length = 0
  }

  private close(scope: Scope): void {
    if (!scope.open) return
    scope.open = false
    this.openCount--
    if (scope.kind === 'context') {
      this.contexts.get(scope.appId)?.remove(scope)
    } else {
      const byConnection = this.bursts.get(scope.appId)
      if (byConnection?.get(scope.connectionKey) === scope) byConnection.delete(scope.connectionKey)
    }
    this.listener.scopeClosed?.(scope)
  }

  private openScopes(): Scope[] {
    const all: Scope[] = []
    for (const open of this.contexts.values()) for (const scope of open.values()) all.push(scope)
    for (const byConnection of this.bursts.values())
      for (const scope of byConnection.values()) all.push(scope)
    return all
  }

  /**
   * Closes idle scopes, then the longest idle ones while too many are open. Only the queue's
   * head is looked at: the scopes that entered it SCOPE_IDLE_MS ago or more (in opening
   * order). One still busy goes to the back, to be looked at again SCOPE_IDLE_MS later. So a
   * sweep costs what it closes, not what is open (an app with a context per request keeps
   * thousands open); a scope closes once idle for SCOPE_IDLE_MS, or up to twice that when it
   * was busy at its last look.
   */
  private sweep(): void {
    const idleBefore = this.now - SCOPE_IDLE_MS
    const queue = this.queue
    let head = this.queueHead
    while (head < queue.length) {
      const scope = queue[head]!
      if (scope.open) {
        if (scope.queuedAt >= idleBefore) break
        if (scope.lastEnd < idleBefore) this.close(scope)
        else {
          scope.queuedAt = this.now
          queue.push(scope)
        }
      }
      head++
    }
    // The looked-at prefix goes once it is most of the array.
    if (head > 4096 && head > queue.length / 2) {
      this.queue = queue.slice(head)
      head = 0
    }
    this.queueHead = head
    if (this.openCount > MAX_OPEN_SCOPES) {
      const open = this.openScopes().sort((a, b) => a.lastEnd - b.lastEnd)
      for (let i = 0; i < open.length - MAX_OPEN_SCOPES; i++) this.close(open[i]!)
    }
  }
}
