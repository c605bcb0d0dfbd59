/**
 * A whole session — stored, from a file, or a snapshot of the live one — loaded into memory
 * the way the live session is held: its own `LiveSession` (capacity: its size) and an
 * `Analyzer` run over every query, finalized (a loaded session is complete). The viewed
 * session (session-view.ts) and `sessions.compare` read these.
 *
 * Loading never holds the event loop for long: it yields between chunks of queries, so
 * agents keep sending and the UI keeps answering while a million queries load. It says how
 * far it is through `onProgress`, and stops at the next chunk once `isCancelled` says so.
 *
 * Queries are numbered again from 1, in their order (the ring needs ids without gaps); a
 * session recorded without loss keeps its ids.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import type { AnalysisSettings } from '../../shared/analysis'
import type { AppInfo, QueryRecord } from '../../shared/domain'
import type { AnalyzedSession } from '../../shared/session-diff'
import { analyzedSession, type QueryTotals } from '../report/report'
import { Analyzer, unknownApp } from '../analysis/analyzer'
import { LiveSession } from '../session/live-session'
import { loadSessionFile, type LoadProgress, type SessionFileHeader } from '../session/session-file'

/** Most queries handled between two turns of the event loop... */
export const LOAD_CHUNK = 2000
/** ...and at most about this long (checked every `CLOCK_EVERY` queries). */
const LOAD_SLICE_MS = 15
const CLOCK_EVERY = 128

/** Thrown (and caught by the caller) when a newer request replaced the load. */
export class LoadCancelledError extends Error {
  constructor() {
    super('replaced by a newer request')
    this.name = 'LoadCancelledError'
  }
}

/** What a load is given: the session's header and its queries, in id order. */
export interface SessionInput {
  header: SessionFileHeader
  queries: Iterable<QueryRecord>
  /** How many queries there are (the capacity of the copy); more than this are refused. */
  total: number
}

export interface LoadHooks {
  /** Queries loaded so far, of `total`. */
  onProgress?: (done: number, total: number) => void
  isCancelled?: () => boolean
}

/** A session held in memory, with its analysis. What the views read for a viewed session. */
export class LoadedSession {
  private readonly appsById: Map<string, AppInfo>

  constructor(
    readonly header: SessionFileHeader,
    readonly session: LiveSession,
    /** Replaced when the settings change (see `reanalyze`). */
    public analyzer: Analyzer,
    private readonly totals: QueryTotals,
  ) {
    this.appsById = new Map(header.apps.map((app) => [app.id, app]))
  }

  appName(appId: string): string {
    return this.appsById.get(appId)?.name ?? appId
  }

  app(appId: string): AppInfo {
    let app = this.appsById.get(appId)
    if (app === undefined) this.appsById.set(appId, (app = unknownApp(appId)))
    return app
  }

  /** The analysis and totals `compareSessions` takes (as `analyzeSessionFile` makes them). */
  analyzed(): AnalyzedSession {
    return analyzedSession(this.analyzer, {
      session: this.header.session,
      queries: this.session.size,
      apps: this.header.apps.length,
      totals: this.totals,
      counters: this.header.counters,
      health: this.header.health,
    })
  }

  /**
   * The analysis again with other settings, in chunks; the current one stays in place (and
   * answers) until the new one is complete. Returns it without swapping it in.
   */
  async reanalyze(settings: AnalysisSettings, hooks: LoadHooks = {}): Promise<Analyzer> {
    const analyzer = newAnalyzer(this.session, settings)
    await inChunks(this.session.records(), this.session.size, hooks, (record) =>
      analyzer.handleQuery(record, this.app(record.appId)),
    )
    analyzer.finalize()
    return analyzer
  }
}

/** Loads a session into memory and analyzes it with `settings`. */
export async function loadSession(
  input: SessionInput,
  settings: AnalysisSettings,
  hooks: LoadHooks = {},
): Promise<LoadedSession> {
  const builder = new SessionBuilder(input.header.apps, input.total, settings)
  await inChunks(input.queries, input.total, hooks, (query) => {
    if (builder.full) {
      throw new Error(`the session holds more queries than the ${input.total} it said`)
    }
    builder.add(query)
  })
  return builder.finish(input.header)
}

/**
 * Loads a session file straight into memory: each batch the streaming reader validates is
 * added and analyzed as it comes (the reader gives the event loop a turn between chunks),
 * so the file's queries are never all held as objects. That needs the count up front, from
 * the file's `counters` (which writers put before the queries); a file without them, or
 * with more queries than they say, is buffered and loaded from memory instead. All or
 * nothing: nothing is returned unless the whole file is valid.
 */
export async function loadSessionFileInto(
  path: string,
  settings: AnalysisSettings,
  options: {
    onRead?: (progress: LoadProgress) => void
    signal?: AbortSignal
  } & LoadHooks = {},
): Promise<LoadedSession> {
  let builder: SessionBuilder | undefined
  let buffered: QueryRecord[] | undefined
  const { header } = await loadSessionFile(path, {
    signal: options.signal,
    onProgress: options.onRead,
    sink: {
      begin(partial) {
        const stored = partial.counters?.stored
        if (stored !== undefined && partial.apps !== undefined) {
          builder = new SessionBuilder(partial.apps, stored, settings)
        } else buffered = []
      },
      queries(batch) {
        if (options.isCancelled?.()) throw new LoadCancelledError()
        for (const query of batch) {
          if (builder?.full) {
            // More than the file said: go on from memory (the ones added so far, read back).
            buffered = [...builder.session.records()]
            builder = undefined
          }
          if (builder) builder.add(query)
          else buffered!.push(query)
        }
      },
    },
  })
  if (builder) return builder.finish(header)
  const queries = buffered ?? []
  return loadSession({ header, queries, total: queries.length }, settings, options)
}

/** Adds queries to a new in-memory session and analyzes each; `finish` when all are in. */
class SessionBuilder {
  readonly session: LiveSession
  private readonly analyzer: Analyzer
  private readonly totals: QueryTotals = {
    failed: 0,
    totalQueryMs: 0,
    maxQueryMs: 0,
    contexts: 0,
  }
  private readonly contexts = new Set<string>()
  private readonly apps: Map<string, AppInfo>

  constructor(apps: readonly AppInfo[], capacity: number, settings: AnalysisSettings) {
    this.session = new LiveSession(Math.max(1, capacity))
    this.analyzer = newAnalyzer(this.session, settings)
    this.apps = new Map(apps.map((app) => [app.id, app]))
  }

  /** Whether another query would evict the first. */
  get full(): boolean {
    return this.session.lastId >= this.session.capacity
  }

  add(query: QueryRecord): void {
    // The record is ours (read from the store or the file for this load): renumber it in place.
    query.id = this.session.add(query)
    let app = this.apps.get(query.appId)
    if (app === undefined) this.apps.set(query.appId, (app = unknownApp(query.appId)))
    this.analyzer.handleQuery(query, app)
    const totals = this.totals
    if (query.error) totals.failed++
    totals.totalQueryMs += query.durationMs
    if (query.durationMs > totals.maxQueryMs) totals.maxQueryMs = query.durationMs
    if (query.context) this.contexts.add(query.context.id)
  }

  /** Every query is in: every scope is complete. */
  finish(header: SessionFileHeader): LoadedSession {
    this.analyzer.finalize()
    this.totals.contexts = this.contexts.size
    // Only the header is kept; a whole document's queries would be held twice.
    const { session, apps, counters, settings, findings, insights, health, metrics } = header
    return new LoadedSession(
      { session, apps, counters, settings, findings, insights, health, metrics },
      this.session,
      this.analyzer,
      this.totals,
    )
  }
}

function newAnalyzer(session: LiveSession, settings: AnalysisSettings): Analyzer {
  return new Analyzer({
    settings: { ...settings },
    capacity: session.capacity,
    lookup: (id) => session.get(id),
    source: session,
  })
}

/**
 * Calls `each` on every item, giving the event loop a turn every `LOAD_CHUNK` items or
 * `LOAD_SLICE_MS`, whichever comes first.
 */
async function inChunks<T>(
  items: Iterable<T>,
  total: number,
  { onProgress, isCancelled }: LoadHooks,
  each: (item: T) => void,
): Promise<void> {
  let done = 0
  let sliceStart = performance.now()
  let inSlice = 0
  onProgress?.(0, total)
  for (const item of items) {
    each(item)
    done++
    inSlice++
    if (
      inSlice === LOAD_CHUNK ||
      (inSlice % CLOCK_EVERY === 0 && performance.now() - sliceStart > LOAD_SLICE_MS)
    ) {
      onProgress?.(done, Math.max(total, done))
      await yieldToEventLoop()
      if (isCancelled?.()) throw new LoadCancelledError()
      sliceStart = performance.now()
      inSlice = 0
    }
  }
  onProgress?.(done, done)
}
