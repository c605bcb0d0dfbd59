/**
 * The recorder: persists the live session into the library, off the ingest path.
 *
 * Ingest only appends to the live session. Every `intervalMs` (200 ms) a timer takes the
 * queries that arrived since the last write (ids `lastWritten + 1 .. lastId`; the live
 * session's ids have no gaps) and the apps' state, and writes them in one transaction. A
 * process killed at any moment therefore loses at most the last interval or two of queries.
 * A backlog (a burst larger than `maxBatch`) is written in several transactions, yielding to
 * the event loop between them, so ingest is never blocked for long.
 *
 * Queries the live session evicted before they were written (its ring overflowed faster than
 * the recorder drained it) are counted as not persisted, per session and in `stats()`.
 *
 * A cleared session ("Clear session" in the UI) ends the stored one and starts another: the
 * recorder notices the live session's id changing. So that the queries of the last interval
 * before a clear are not lost with it, it also flushes just before `clear()` runs.
 *
 * Findings: each batch also writes the live analysis' findings count (cheap: the analyzer
 * keeps counts), so a session recovered after a crash shows the count as of its last write.
 * The findings themselves are stored when the session ends — read from the analyzer just
 * before a clear resets it, or at `stop()`.
 */
import type { AnalysisSettings, FindingsResult } from '../../shared/analysis'
import type { AppInfo, QueryRecord } from '../../shared/domain'
import type { SessionFindings, SessionStore } from './session-store'
import type { SessionWriter } from './session-writer'

/**
 * What the recorder reads: the Profiler's live session, its apps, its session id and its
 * analysis.
 */
export interface RecordedProfiler {
  readonly sessionId: string
  readonly sessionStartedAt: number
  readonly session: {
    readonly firstId: number
    readonly lastId: number
    readonly capacity: number
    get(id: number): QueryRecord | undefined
  }
  appsList(): AppInfo[]
  clear(): void
  readonly analyzer: {
    /** The settings in force (the findings were found with these). */
    readonly settings: AnalysisSettings
    /** Counts of the findings held, by kind. */
    summary(): { findings: Record<string, number> }
    findingsResult(): FindingsResult
  }
}

export interface RecorderOptions {
  /** How often pending queries are written (ms); default 200. */
  intervalMs?: number
  /** Most queries written in one transaction; more wait for the next turn of the loop. */
  maxBatch?: number
  /** Settings stored with each session. */
  settings?: Record<string, unknown>
  /** Told about write failures (each distinct message once); the recorder keeps trying. */
  onError?: (error: Error) => void
  /** Called after a session has ended and been marked complete (retention runs here). */
  onSessionEnded?: (sessionId: string) => void
}

export interface RecorderStats {
  /** The session being recorded. */
  sessionId: string | undefined
  /** Queries of that session written so far. */
  persisted: number
  /** Queries of that session the live session evicted before they were written. */
  notPersisted: number
  /** Queries received but not written yet. */
  pending: number
  /** Writes that failed (and were retried) since the recorder started. */
  failedWrites: number
  /** How long the last write took (ms). */
  lastWriteMs: number
}

const DEFAULT_INTERVAL_MS = 200
const DEFAULT_MAX_BATCH = 20_000

export class SessionRecorder {
  private readonly intervalMs: number
  private readonly maxBatch: number
  private writer: SessionWriter | undefined
  private lastWritten = 0
  private timer: NodeJS.Timeout | undefined
  private catchUp: NodeJS.Immediate | undefined
  private failedWrites = 0
  private lastWriteMs = 0
  private readonly reported = new Set<string>()
  private restoreClear: (() => void) | undefined
  /** The findings of the session a clear is ending, read before the clear reset them. */
  private clearedFindings: { sessionId: string; findings: SessionFindings } | undefined

  constructor(
    private readonly profiler: RecordedProfiler,
    private readonly store: SessionStore,
    private readonly options: RecorderOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS
    this.maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH
  }

  /** Starts a stored session for the live one and the timer that fills it. */
  start(): void {
    if (this.timer) return
    this.begin()
    this.timer = setInterval(() => this.tick(), this.intervalMs)
    this.timer.unref()
    // The Profiler has no "before clear" hook: wrap this instance's clear(), so the queries
    // that arrived since the last write are stored before the live session drops them.
    const profiler = this.profiler
    const clear = profiler.clear
    const hadOwn = Object.hasOwn(profiler, 'clear')
    profiler.clear = () => {
      this.flushAll()
      this.clearedFindings = { sessionId: profiler.sessionId, findings: this.currentFindings() }
      clear.call(profiler)
      this.flushAll()
      this.clearedFindings = undefined
    }
    this.restoreClear = () => {
      if (hadOwn) profiler.clear = clear
      else Reflect.deleteProperty(profiler, 'clear')
    }
  }

  /**
   * Writes everything pending, ends the stored session as complete and stops. The store stays
   * open (its owner closes it).
   */
  stop(): void {
    clearInterval(this.timer)
    clearImmediate(this.catchUp)
    this.timer = undefined
    this.catchUp = undefined
    this.restoreClear?.()
    this.restoreClear = undefined
    if (this.store.isClosed) return
    this.flushAll()
    this.end()
  }

  stats(): RecorderStats {
    const written = this.writer?.written
    const lastId = this.writer?.id === this.profiler.sessionId ? this.profiler.session.lastId : 0
    return {
      sessionId: this.writer?.id,
      persisted: written?.queryCount ?? 0,
      notPersisted: written?.notPersisted ?? 0,
      pending: Math.max(0, lastId - this.lastWritten),
      failedWrites: this.failedWrites,
      lastWriteMs: this.lastWriteMs,
    }
  }

  /**
   * Writes up to `maxBatch` pending queries (one transaction); returns how many are still
   * pending. Starts a new stored session first if the live one was cleared.
   */
  flush(): number {
    if (this.store.isClosed || !this.writer) return 0
    if (this.profiler.sessionId !== this.writer.id) {
      this.end()
      this.begin()
    }
    const session = this.profiler.session
    const lastId = session.lastId
    let from = this.lastWritten + 1
    let lost = 0
    if (from < session.firstId) {
      lost = session.firstId - from
      from = session.firstId
    }
    const to = Math.min(lastId, from + this.maxBatch - 1)
    const queries: QueryRecord[] = []
    for (let id = from; id <= to; id++) queries.push(session.get(id)!)
    const startedAt = performance.now()
    try {
      this.writer.write(queries, this.profiler.appsList(), lost, Date.now(), this.findingsCount())
    } catch (error) {
      this.failedWrites++
      this.report(error)
      return lastId - this.lastWritten
    }
    this.lastWriteMs = performance.now() - startedAt
    this.lastWritten = Math.max(this.lastWritten, to, from - 1)
    return lastId - this.lastWritten
  }

  /** Writes everything pending now, in as many transactions as it takes. */
  flushAll(): void {
    const failedBefore = this.failedWrites
    while (this.flush() > 0 && this.failedWrites === failedBefore) {
      // Each round writes up to maxBatch queries.
    }
  }

  private tick(): void {
    if (this.catchUp) return
    if (this.flush() > 0) this.scheduleCatchUp()
  }

  /** A backlog: keep writing, one batch per turn of the event loop, until it is gone. */
  private scheduleCatchUp(): void {
    this.catchUp = setImmediate(() => {
      this.catchUp = undefined
      const failedBefore = this.failedWrites
      if (this.flush() > 0 && this.failedWrites === failedBefore) this.scheduleCatchUp()
    })
  }

  private begin(): void {
    this.writer = this.store.beginSession({
      id: this.profiler.sessionId,
      startedAt: this.profiler.sessionStartedAt,
      settings: { capacity: this.profiler.session.capacity, ...this.options.settings },
    })
    this.lastWritten = 0
  }

  private end(): void {
    const writer = this.writer
    if (!writer) return
    this.writer = undefined
    try {
      if (this.store.endSession(writer, Date.now(), this.endingFindings(writer)) === 'discarded') {
        return
      }
    } catch (error) {
      this.report(error)
      return
    }
    this.options.onSessionEnded?.(writer.id)
  }

  /** The live analysis' findings count now. */
  private findingsCount(): number {
    let count = 0
    for (const n of Object.values(this.profiler.analyzer.summary().findings)) count += n
    return count
  }

  private currentFindings(): SessionFindings {
    const { findings, insights } = this.profiler.analyzer.findingsResult()
    return { settings: { ...this.profiler.analyzer.settings }, findings, insights }
  }

  /**
   * The findings of the session `writer` records, if they can still be had: read before a
   * clear, or now if the profiler is still on that session. A session changed by other means
   * (the analyzer already reset) keeps only its count as of the last write.
   */
  private endingFindings(writer: SessionWriter): SessionFindings | undefined {
    if (this.clearedFindings?.sessionId === writer.id) return this.clearedFindings.findings
    if (this.profiler.sessionId === writer.id) return this.currentFindings()
    return undefined
  }

  private report(error: unknown): void {
    const failure = error instanceof Error ? error : new Error(String(error))
    if (this.reported.has(failure.message)) return
    this.reported.add(failure.message)
    this.options.onError?.(failure)
  }
}
