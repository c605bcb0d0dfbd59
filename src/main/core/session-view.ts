/**
 * The viewed session: what the views (Queries, Timeline, N+1, Statistics, Slow & failed,
 * query detail) show through `queries.*`, `analysis.*` and `timeline.window`. By default the
 * live one; `view.open` loads a stored session, and `file.load` a session file, into memory
 * (session-load.ts) and the same channels then answer from that copy — the views never know
 * the difference. `view.live` goes back. The live session keeps recording all along: the
 * Profiler holds back its `queries.changed` / `analysis.changed` while another session is
 * viewed (they would describe what is not on screen), while `status` goes on.
 *
 * A viewed session is analyzed with the current settings (not the ones it was recorded
 * with), so the findings' settings panel describes what is shown, and it is analyzed again
 * when they change. `sessions.compare` analyzes both sides the same way.
 *
 * Every change of what is viewed is pushed as `view.changed`, and each load reports
 * `load.progress`. A newer open (or "back to live") cancels a load still running.
 */
import type { EventChannel, EventChannels, QueryPage, RequestHandlers } from '../../shared/api'
import { MAX_PAGE_SIZE } from '../../shared/api'
import type { AnalysisSettings, Finding } from '../../shared/analysis'
import type { AppInfo, QueryRow, SessionCounters } from '../../shared/domain'
import {
  LIVE_SESSION,
  type FileLoadRequest,
  type FileLoadResult,
  type LoadProgress,
  type LoadTask,
  type ViewedSession,
} from '../../shared/library'
import type { AnalyzedSession, SessionDiff } from '../../shared/session-diff'
import type { Analyzer } from '../analysis/analyzer'
import { compareSessions } from '../report/diff'
import { toRow, type LiveSession } from '../session/live-session'
import { SessionFileError } from '../session/session-file'
import type { SessionStore } from '../store/session-store'
import {
  LoadCancelledError,
  loadSession,
  loadSessionFileInto,
  type LoadedSession,
  type SessionInput,
} from './session-load'

/** What the view channels read: the live Profiler, or a loaded session. */
export interface ViewSource {
  readonly session: LiveSession
  readonly analyzer: Analyzer
  appName(appId: string): string
}

/** The live session as the view reads it, and as a compare snapshots it. */
export interface LiveViewSource extends ViewSource {
  readonly sessionId: string
  readonly sessionStartedAt: number
  appsList(): AppInfo[]
  counters(): SessionCounters
}

export interface SessionViewHost {
  live: LiveViewSource
  /** The analysis settings in force (the live session's). */
  settings(): AnalysisSettings
  /** The open library; throws "library unavailable: ..." without one. */
  store(): SessionStore
  /** Pushes an event to every transport. */
  publish<C extends EventChannel>(channel: C, payload: EventChannels[C]): void
}

/** A session file to load: where it is, and the name the user knows it by. */
export interface SessionFileSource {
  path: string
  fileName: string
}

/** The channels answered from whichever session is viewed. */
export type ViewChannel =
  | 'queries.page'
  | 'queries.get'
  | 'analysis.summary'
  | 'analysis.fingerprints'
  | 'analysis.findings'
  | 'analysis.finding'
  | 'analysis.slow'
  | 'analysis.failed'
  | 'timeline.window'

/** `load.progress` goes out at most this often while a load runs (and at its end). */
const PROGRESS_INTERVAL_MS = 100

const LIVE: ViewedSession = { kind: 'live' }

export class SessionView {
  private viewed: { info: ViewedSession; loaded: LoadedSession } | undefined
  /** Bumped by every open and every "back to live": a load of an older one stops. */
  private generation = 0
  private abortRead: AbortController | undefined
  private reanalysis = 0

  constructor(private readonly host: SessionViewHost) {}

  get isLive(): boolean {
    return this.viewed === undefined
  }

  /** What the views read now. */
  get source(): ViewSource {
    return this.viewed?.loaded ?? this.host.live
  }

  current(): ViewedSession {
    return this.viewed?.info ?? LIVE
  }

  /** The view channels, plus opening, going back and comparing. */
  handlers(): Pick<
    RequestHandlers,
    ViewChannel | 'view.get' | 'view.open' | 'view.live' | 'sessions.compare'
  > {
    const source = () => this.source
    return {
      'queries.page': (request) =>
        queryPage(source(), request.offset, request.limit, request.filter),
      'queries.get': (id) => source().session.get(id) ?? null,
      'analysis.summary': () => source().analyzer.summary(),
      'analysis.fingerprints': (request) => source().analyzer.fingerprintPage(request),
      'analysis.findings': () => source().analyzer.findingsResult(),
      'analysis.finding': (id) => findingWithQueries(source(), id),
      'analysis.slow': (request) => source().analyzer.slowPage(request),
      'analysis.failed': (request) => source().analyzer.failedPage(request),
      'timeline.window': (request) => source().analyzer.timelineWindow(request),
      'view.get': () => this.current(),
      'view.open': (id) => this.openStored(id),
      'view.live': () => this.backToLive(),
      'sessions.compare': (before, after) => this.compare(before, after),
    }
  }

  /** Views a stored session (read-only); its own id or `'live'` goes back to live. */
  async openStored(id: string): Promise<ViewedSession> {
    if (id === LIVE_SESSION || id === this.host.live.sessionId) return this.backToLive()
    const store = this.host.store()
    const { generation, isCancelled } = this.beginLoad()
    const input = await storedInput(store, id)
    if (isCancelled()) throw new LoadCancelledError()
    const loaded = await loadSession(input, this.host.settings(), {
      onProgress: this.progress('open', 'analyzing', 'queries'),
      isCancelled,
    })
    return this.show(generation, loaded, { kind: 'stored', fileName: undefined })
  }

  /** A session file: viewed read-only (`open`) or stored in the library (`import`). */
  async loadFile(request: FileLoadRequest, file: SessionFileSource): Promise<FileLoadResult> {
    if (request.action === 'import') {
      // Fails now, not after reading a large file, when there is no library to import into.
      const store = this.host.store()
      // Streamed into the library a batch at a time (the library records the file's name).
      const id = await namedAs(file, () =>
        store.importSessionFile(file.path, { onProgress: this.readProgress('import') }),
      )
      const stored = await store.get(id)
      return {
        kind: 'imported',
        id,
        name: stored?.name ?? id,
        queries: stored?.queryCount ?? 0,
      }
    }
    const { generation, isCancelled, signal } = this.beginLoad()
    const loaded = await namedAs(file, () =>
      loadSessionFileInto(file.path, this.host.settings(), {
        onRead: this.readProgress('open'),
        onProgress: this.progress('open', 'analyzing', 'queries'),
        signal,
        isCancelled,
      }),
    )
    const viewed = await this.show(generation, loaded, { kind: 'file', fileName: file.fileName })
    return { kind: 'opened', viewed }
  }

  /** Back to the live session (a load still running stops). */
  backToLive(): ViewedSession {
    this.beginLoad()
    if (this.viewed) {
      this.viewed = undefined
      this.host.publish('view.changed', LIVE)
    }
    return LIVE
  }

  /**
   * The settings changed: a viewed session is analyzed again with them, in chunks; the old
   * analysis answers until the new one is complete, then `analysis.changed` says so.
   */
  async reanalyze(): Promise<void> {
    const viewed = this.viewed
    if (!viewed) return
    const settings = this.host.settings()
    if (sameSettings(viewed.loaded.analyzer.settings, settings)) return
    const run = ++this.reanalysis
    try {
      const analyzer = await viewed.loaded.reanalyze(settings, {
        onProgress: this.progress('open', 'analyzing', 'queries'),
        isCancelled: () => run !== this.reanalysis || this.viewed !== viewed,
      })
      if (this.viewed !== viewed) return
      viewed.loaded.analyzer = analyzer
      this.host.publish('analysis.changed', { summary: analyzer.summary() })
    } catch (error) {
      if (!(error instanceof LoadCancelledError)) throw error
    }
  }

  /**
   * Two sessions (stored ids, or `'live'`) compared, both analyzed with the current
   * settings. Loaded one after the other, so at most one extra copy is in memory at a time
   * (the viewed session's own copy is reused when it is one of them).
   */
  async compare(before: string, after: string): Promise<SessionDiff> {
    const a = await this.analyzedFor(before)
    const b = await this.analyzedFor(after)
    return compareSessions(a, b)
  }

  private async analyzedFor(id: string): Promise<AnalyzedSession> {
    const settings = this.host.settings()
    const viewed = this.viewed
    if (
      viewed?.info.kind === 'stored' &&
      viewed.info.id === id &&
      sameSettings(viewed.loaded.analyzer.settings, settings)
    ) {
      return viewed.loaded.analyzed()
    }
    const live = id === LIVE_SESSION || id === this.host.live.sessionId
    const input = live ? liveSnapshot(this.host.live) : await storedInput(this.host.store(), id)
    const loaded = await loadSession(input, settings, {
      onProgress: this.progress('compare', 'analyzing', 'queries'),
    })
    const analyzed = loaded.analyzed()
    // The live session has no name; the comparison says which side it was.
    if (live) analyzed.session = { ...analyzed.session, name: 'Live session' }
    return analyzed
  }

  private beginLoad(): { generation: number; isCancelled: () => boolean; signal: AbortSignal } {
    const generation = ++this.generation
    this.abortRead?.abort()
    const abort = (this.abortRead = new AbortController())
    return {
      generation,
      isCancelled: () => generation !== this.generation,
      signal: abort.signal,
    }
  }

  private async show(
    generation: number,
    loaded: LoadedSession,
    origin: { kind: 'stored' | 'file'; fileName: string | undefined },
  ): Promise<ViewedSession> {
    if (generation !== this.generation) throw new LoadCancelledError()
    const { session, apps } = loaded.header
    const info: ViewedSession = {
      kind: origin.kind,
      id: session.id,
      name: session.name ?? origin.fileName ?? session.id,
      startedAt: session.startedAt,
      endedAt: session.endedAt,
      queries: loaded.session.size,
      apps,
      ...(origin.fileName === undefined ? {} : { fileName: origin.fileName }),
    }
    this.viewed = { info, loaded }
    this.host.publish('view.changed', info)
    // Settings changed while it loaded: it was analyzed with the old ones.
    await this.reanalyze()
    return info
  }

  /** A throttled `load.progress` reporter. */
  private progress(
    task: LoadTask,
    phase: LoadProgress['phase'],
    unit: LoadProgress['unit'],
  ): (done: number, total: number) => void {
    let last = 0
    return (done, total) => {
      const now = Date.now()
      if (done > 0 && done < total && now - last < PROGRESS_INTERVAL_MS) return
      last = now
      this.host.publish('load.progress', { task, phase, done, total, unit })
    }
  }

  private readProgress(task: LoadTask) {
    const report = this.progress(task, 'reading', 'bytes')
    return (progress: { bytesRead: number; totalBytes: number }) =>
      report(progress.bytesRead, progress.totalBytes)
  }
}

/** A page of the source's queries as table rows, oldest first, optionally filtered. */
export function queryPage(
  source: ViewSource,
  offset: number,
  limit: number,
  filter?: string,
): QueryPage {
  const bounded = Math.min(Math.max(0, limit), MAX_PAGE_SIZE)
  const { total, rows } = source.session.page(offset, bounded, filter, (id) => source.appName(id))
  return { total, offset, rows }
}

/** A finding with its queries that are still held, as table rows. */
export function findingWithQueries(
  source: ViewSource,
  id: string,
): (Finding & { queries: QueryRow[] }) | null {
  const finding = source.analyzer.finding(id)
  if (!finding) return null
  const queries: QueryRow[] = []
  for (const queryId of finding.queryIds) {
    const record = source.session.get(queryId)
    if (record) queries.push(toRow(record))
  }
  return { ...finding, queries }
}

/**
 * Runs a read of `file`; its errors name the file as the user knows it (an upload's temp
 * path would mean nothing to them, and is not theirs to see).
 */
async function namedAs<T>(file: SessionFileSource, read: () => Promise<T>): Promise<T> {
  try {
    return await read()
  } catch (error) {
    if (!(error instanceof SessionFileError) || error.file !== file.path) throw error
    throw new SessionFileError(file.fileName, error.problem, {
      path: error.path,
      offset: error.offset,
    })
  }
}

async function storedInput(store: SessionStore, id: string): Promise<SessionInput> {
  const exported = await store.exportSession(id)
  if (!exported) throw new Error(`no session ${id} in the library`)
  return { ...exported, total: exported.header.counters.stored }
}

/**
 * The live session as it is now: queries arriving while it is read are left out, those
 * evicted meanwhile skipped; a clear part-way is an error (never a query of the next one).
 */
function liveSnapshot(live: LiveViewSource): SessionInput {
  const { sessionId } = live
  const first = live.session.firstId
  const last = live.session.lastId
  function* queries() {
    for (let id = first; id <= last; id++) {
      if (live.sessionId !== sessionId) {
        throw new Error('the live session was cleared while it was being read')
      }
      const query = live.session.get(id)
      if (query) yield query
    }
  }
  return {
    header: {
      session: { id: sessionId, startedAt: live.sessionStartedAt, endedAt: Date.now() },
      apps: live.appsList(),
      counters: live.counters(),
    },
    queries: queries(),
    total: Math.max(0, last - first + 1),
  }
}

function sameSettings(a: AnalysisSettings, b: AnalysisSettings): boolean {
  return (Object.keys(b) as (keyof AnalysisSettings)[]).every((key) => a[key] === b[key])
}
