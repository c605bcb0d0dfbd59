/**
 * The Profiler: the one service object that owns the live session and implements the API the
 * renderer uses (`RequestHandlers` from src/shared/api.ts). Both transports — Electron IPC and
 * the browser-mode RPC — call `handlers` and subscribe with `onEvent`; neither knows the other.
 *
 * Pushed events are throttled: however fast queries arrive, `queries.changed` goes out at most
 * every 100 ms and `status` every 500 ms, so the UI repaints at a steady rate.
 *
 * The views read the viewed session (session-view.ts): the live one unless a stored session
 * or a session file is open. The live session keeps recording either way.
 */
import { randomUUID } from 'node:crypto'
import type {
  ConnectInfo,
  DemoStatus,
  EventChannel,
  EventChannels,
  QueryPage,
  RequestHandlers,
} from '../../shared/api'
import type { AnalysisSettings, Finding } from '../../shared/analysis'
import type {
  AppInfo,
  ProfilerStatus,
  QueryRecord,
  QueryRow,
  SessionCounters,
} from '../../shared/domain'
import type {
  ExportProgress,
  ExportRequest,
  ExportResult,
  FileLoadRequest,
  FileLoadResult,
} from '../../shared/library'
import type { HelloMessage } from '../../shared/protocol/v1'
import type { IngestSink } from '../ingest/agent-connection'
import { Analyzer, unknownApp } from '../analysis/analyzer'
import { LiveSession, type NewQuery } from '../session/live-session'
import { prepareExport, type ExportJob } from '../export/session-export'
import type { SessionStore } from '../store/session-store'
import { connectSnippets } from './snippets'
import { RateMeter } from './rate-meter'
import { LIBRARY_OFF, libraryHandlers, openStore } from './library-api'
import { findingWithQueries, queryPage, SessionView, type SessionFileSource } from './session-view'

export interface ProfilerOptions {
  /** Most queries the live session holds; the oldest are evicted (and counted) past it. */
  capacity?: number
  /** Starts the demo app against this profiler; absent where there is no demo to start. */
  startDemo?: () => DemoStatus
  /** Analysis thresholds other than the defaults (the CLI's flags). */
  analysis?: Partial<AnalysisSettings>
}

type Listener<C extends EventChannel> = (payload: EventChannels[C]) => void

/** Where `library.export` puts what it writes: a download, a file the user picked, ... */
export type ExportDestination = (job: ExportJob) => Promise<ExportResult>

/** Browser mode's uploaded files (server/uploads.ts), each taken once by `file.load`. */
export interface UploadSource {
  take(id: string): { file: string; fileName: string } | undefined
  /** Deletes the file once it has been read. */
  done(file: string): Promise<void>
}

/** Events that describe the viewed session: held back while it is not the live one. */
const VIEW_EVENTS: ReadonlySet<EventChannel> = new Set(['queries.changed', 'analysis.changed'])

const QUERIES_CHANGED_INTERVAL_MS = 100
const STATUS_INTERVAL_MS = 500
/** Views refetch statistics and findings on this event: a little slower than the table's. */
const ANALYSIS_CHANGED_INTERVAL_MS = 250
const EXPORT_PROGRESS_INTERVAL_MS = 100

export class Profiler implements IngestSink {
  sessionId = randomUUID()
  sessionStartedAt = Date.now()
  readonly session: LiveSession
  readonly analyzer: Analyzer
  readonly handlers: RequestHandlers

  private apps = new Map<string, AppInfo>()
  private nextAppNumber = 1
  private received = 0
  private rejected = 0
  private readonly rate = new RateMeter(5)
  private readonly listeners = new Map<EventChannel, Set<Listener<EventChannel>>>()
  private queriesTimer: NodeJS.Timeout | undefined
  private statusTimer: NodeJS.Timeout | undefined
  private analysisTimer: NodeJS.Timeout | undefined
  private endpoint: { agentUrl: string; token: string } = { agentUrl: '', token: '' }
  private readonly startDemo: (() => DemoStatus) | undefined
  /** The session library, set by startCore once it opens (see library-api.ts). */
  libraryStore: SessionStore | undefined
  /** Why there is no library. */
  libraryError = LIBRARY_OFF
  private exportDestination: ExportDestination | undefined
  private uploads: UploadSource | undefined
  /** What the views show: the live session, or a stored one or a file opened read-only. */
  readonly view: SessionView

  constructor(options: ProfilerOptions = {}) {
    this.session = new LiveSession(options.capacity)
    this.analyzer = new Analyzer({
      settings: options.analysis,
      capacity: this.session.capacity,
      lookup: (id) => this.session.get(id),
      source: this.session,
    })
    this.startDemo = options.startDemo
    this.view = new SessionView({
      live: this,
      settings: () => ({ ...this.analyzer.settings }),
      store: () => openStore(this),
      publish: (channel, payload) => this.publish(channel, payload),
    })
    this.handlers = {
      'status.get': () => this.status(),
      'connect.info': () => this.connectInfo(),
      'session.clear': () => this.clear(),
      'demo.start': () =>
        this.startDemo
          ? this.startDemo()
          : { running: false, error: 'the demo app is not available here' },
      'analysis.settings.get': () => ({ ...this.analyzer.settings }),
      'analysis.settings.set': (settings) => {
        const result = this.setAnalysisSettings(settings)
        // A viewed stored session or file follows the live one's thresholds (in the background;
        // a failure leaves its analysis as it was, and must not take the core down).
        this.view.reanalyze().catch((error: unknown) => {
          console.warn(`the viewed session could not be analyzed again: ${String(error)}`)
        })
        return result
      },
      // queries.*, analysis.* and timeline.window answer from the viewed session.
      ...this.view.handlers(),
      'file.load': (request) => this.loadFile(request),
      ...libraryHandlers(this),
    }
  }

  /** Sets where `file.load` finds browser mode's uploads. */
  setUploads(uploads: UploadSource | undefined): void {
    this.uploads = uploads
  }

  /**
   * A session file viewed or imported: the one the Electron shell's open dialog picked
   * (`file`), or else the upload the request names (browser mode), deleted once read.
   */
  async loadFile(request: FileLoadRequest, file?: SessionFileSource): Promise<FileLoadResult> {
    if (file) return this.view.loadFile(request, file)
    const upload = request.upload === undefined ? undefined : this.uploads?.take(request.upload)
    if (!upload) {
      throw new Error(
        request.upload === undefined
          ? 'no file given: upload one first'
          : 'no such upload (each is used once, and expires after a while): upload the file again',
      )
    }
    try {
      return await this.view.loadFile(request, { path: upload.file, fileName: upload.fileName })
    } finally {
      await this.uploads!.done(upload.file)
    }
  }

  /** Hands the Profiler the open library, or takes it back (`undefined`, with why). */
  setLibrary(store: SessionStore | undefined, error?: string): void {
    this.libraryStore = store
    this.libraryError = store ? '' : (error ?? LIBRARY_OFF)
  }

  /** Sets where `library.export` writes (browser mode: the download shelf). */
  setExportDestination(destination: ExportDestination | undefined): void {
    this.exportDestination = destination
  }

  /**
   * An export of the live session (`'live'`) or a stored one, ready to write anywhere; it
   * pushes `export.progress` as it reads the queries. The Electron shell writes it where its
   * save dialog says; `library.export` hands it to the export destination.
   */
  prepareExport(request: ExportRequest): Promise<ExportJob> {
    let last = 0
    const progress = (done: number, total: number): void => {
      const now = Date.now()
      if (done < total && now - last < EXPORT_PROGRESS_INTERVAL_MS) return
      last = now
      const payload: ExportProgress = { id: request.id, format: request.format, done, total }
      this.emit('export.progress', payload)
    }
    return prepareExport(request, { live: this, store: () => openStore(this) }, progress)
  }

  async exportSession(request: ExportRequest): Promise<ExportResult> {
    if (!this.exportDestination) throw new Error('exports cannot be saved from here')
    return this.exportDestination(await this.prepareExport(request))
  }

  /** Called once the server listens, so the Connect dialog can show the real URL and token. */
  setEndpoint(agentUrl: string, token: string): void {
    this.endpoint = { agentUrl, token }
  }

  onEvent<C extends EventChannel>(channel: C, listener: Listener<C>): () => void {
    let set = this.listeners.get(channel)
    if (!set) this.listeners.set(channel, (set = new Set()))
    set.add(listener as Listener<EventChannel>)
    return () => set.delete(listener as Listener<EventChannel>)
  }

  // --- IngestSink: what agent connections feed -------------------------------------------

  registerApp(hello: HelloMessage): AppInfo {
    const app: AppInfo = {
      id: `app-${this.nextAppNumber++}`,
      name: hello.app.name,
      runtime: hello.runtime,
      orm: hello.orm,
      dbSystem: hello['db.system.name'],
      pid: hello.pid,
      host: hello.host,
      agent: hello.agent,
      connectedAt: Date.now(),
      received: 0,
      droppedByAgent: 0,
    }
    this.apps.set(app.id, app)
    this.scheduleStatus()
    return app
  }

  addQueries(app: AppInfo, queries: NewQuery[]): void {
    const analyzer = this.analyzer
    for (const query of queries) {
      // The event becomes the record: an id is all it lacks, and no copy is made on the
      // ingest path. Neither the session nor the analyzer keeps the object itself.
      const record = query as QueryRecord
      record.id = this.session.add(query)
      analyzer.handleQuery(record, app)
    }
    app.received += queries.length
    this.received += queries.length
    this.rate.add(queries.length)
    this.scheduleQueriesChanged()
    this.scheduleAnalysisChanged()
    this.scheduleStatus()
  }

  endContexts(app: AppInfo, contextIds: string[]): void {
    for (let i = 0; i < contextIds.length; i++) this.analyzer.endContext(app, contextIds[i]!)
  }

  countRejected(count: number): void {
    this.rejected += count
    this.scheduleStatus()
  }

  reportAgentDropped(app: AppInfo, droppedSoFar: number): void {
    // Cumulative on the agent's side; a restarted agent starts again from zero.
    app.droppedByAgent = Math.max(app.droppedByAgent, droppedSoFar)
  }

  appDisconnected(app: AppInfo): void {
    app.disconnectedAt ??= Date.now()
    this.scheduleStatus()
  }

  // --- The API ----------------------------------------------------------------------------

  counters(): SessionCounters {
    let droppedByAgents = 0
    for (const app of this.apps.values()) droppedByAgents += app.droppedByAgent
    return {
      received: this.received,
      stored: this.session.size,
      evicted: this.session.evicted,
      rejected: this.rejected,
      droppedByAgents,
    }
  }

  status(): ProfilerStatus {
    const apps = [...this.apps.values()].map((app) => ({ ...app }))
    return {
      sessionId: this.sessionId,
      sessionStartedAt: this.sessionStartedAt,
      capacity: this.session.capacity,
      counters: this.counters(),
      apps,
      connectedApps: apps.filter((app) => app.disconnectedAt === undefined).length,
      eventsPerSecond: this.rate.perSecond(),
      agentUrl: this.endpoint.agentUrl,
    }
  }

  connectInfo(): ConnectInfo {
    const { agentUrl, token } = this.endpoint
    return { agentUrl, token, snippets: connectSnippets(agentUrl, token) }
  }

  /** A page of the live session's queries (`queries.page` answers from the viewed one). */
  queryPage(offset: number, limit: number, filter?: string): QueryPage {
    return queryPage(this, offset, limit, filter)
  }

  appName(appId: string): string {
    return this.apps.get(appId)?.name ?? appId
  }

  appsList(): AppInfo[] {
    return [...this.apps.values()]
  }

  queries(): IterableIterator<QueryRecord> {
    return this.session.records()
  }

  /** A live finding with its queries that are still held, as table rows. */
  finding(id: string): (Finding & { queries: QueryRow[] }) | null {
    return findingWithQueries(this, id)
  }

  /** New thresholds: the analysis runs again over the queries the session holds. */
  setAnalysisSettings(changes: Partial<AnalysisSettings>): AnalysisSettings {
    if (this.analyzer.updateSettings(changes)) {
      this.analyzer.reset()
      for (const record of this.session.records()) {
        this.analyzer.handleQuery(record, this.apps.get(record.appId) ?? unknownApp(record.appId))
      }
      this.emit('analysis.changed', { summary: this.analyzer.summary() })
    }
    return { ...this.analyzer.settings }
  }

  /** Starts a new session: queries and counters go; connected apps stay connected. */
  clear(): void {
    this.session.clear()
    this.analyzer.reset()
    this.sessionId = randomUUID()
    this.sessionStartedAt = Date.now()
    this.received = 0
    this.rejected = 0
    for (const [id, app] of this.apps) {
      if (app.disconnectedAt !== undefined) this.apps.delete(id)
      else {
        app.received = 0
        app.droppedByAgent = 0
      }
    }
    this.emit('queries.changed', { total: 0, lastId: 0 })
    this.emit('analysis.changed', { summary: this.analyzer.summary() })
    this.emit('status', this.status())
  }

  /** Stops the timers; pending throttled events are not sent. */
  dispose(): void {
    clearTimeout(this.queriesTimer)
    clearTimeout(this.statusTimer)
    clearTimeout(this.analysisTimer)
    this.listeners.clear()
  }

  private emit<C extends EventChannel>(channel: C, payload: EventChannels[C]): void {
    // The views show the viewed session: the live one's changes are not theirs meanwhile
    // (they refetch everything when they come back to it).
    if (VIEW_EVENTS.has(channel) && !this.view.isLive) return
    this.publish(channel, payload)
  }

  /** Sends an event to every subscriber, whatever is viewed. */
  private publish<C extends EventChannel>(channel: C, payload: EventChannels[C]): void {
    for (const listener of this.listeners.get(channel) ?? []) {
      try {
        listener(payload)
      } catch {
        // A failing subscriber (a closed window) must not stop the others or the ingest.
      }
    }
  }

  private scheduleQueriesChanged(): void {
    if (this.queriesTimer) return
    this.queriesTimer = setTimeout(() => {
      this.queriesTimer = undefined
      this.emit('queries.changed', { total: this.session.size, lastId: this.session.lastId })
    }, QUERIES_CHANGED_INTERVAL_MS)
    this.queriesTimer.unref()
  }

  private scheduleAnalysisChanged(): void {
    if (this.analysisTimer) return
    this.analysisTimer = setTimeout(() => {
      this.analysisTimer = undefined
      this.emit('analysis.changed', { summary: this.analyzer.summary() })
    }, ANALYSIS_CHANGED_INTERVAL_MS)
    this.analysisTimer.unref()
  }

  private scheduleStatus(): void {
    if (this.statusTimer) return
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined
      const status = this.status()
      this.emit('status', status)
      // Keep pushing while the rate decays, so the UI's events/s falls back to zero.
      if (status.eventsPerSecond > 0) this.scheduleStatus()
    }, STATUS_INTERVAL_MS)
    this.statusTimer.unref()
  }
}
