/**
 * The Profiler: the one service object that owns the live session and implements the API the
 * renderer uses (`RequestHandlers` from src/shared/api.ts). Both transports — Electron IPC and
 * the browser-mode RPC — call `handlers` and subscribe with `onEvent`; neither knows the other.
 *
 * Pushed events are throttled: however fast queries arrive, `queries.changed` goes out at most
 * every 100 ms and `status` every 500 ms, so the UI repaints at a steady rate.
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
import { MAX_PAGE_SIZE } from '../../shared/api'
import { DEFAULT_ANALYSIS_SETTINGS } from '../../shared/analysis'
import type { AppInfo, ProfilerStatus, QueryRecord, SessionCounters } from '../../shared/domain'
import type { HelloMessage } from '../../shared/protocol/v1'
import type { IngestSink } from '../ingest/agent-connection'
import { LiveSession, type NewQuery } from '../session/live-session'
import { connectSnippets } from './snippets'
import { RateMeter } from './rate-meter'

export interface ProfilerOptions {
  /** Most queries the live session holds; the oldest are evicted (and counted) past it. */
  capacity?: number
  /** Starts the demo app against this profiler; absent where there is no demo to start. */
  startDemo?: () => DemoStatus
}

type Listener<C extends EventChannel> = (payload: EventChannels[C]) => void

const QUERIES_CHANGED_INTERVAL_MS = 100
const STATUS_INTERVAL_MS = 500

export class Profiler implements IngestSink {
  sessionId = randomUUID()
  sessionStartedAt = Date.now()
  readonly session: LiveSession
  readonly handlers: RequestHandlers

  private apps = new Map<string, AppInfo>()
  private nextAppNumber = 1
  private received = 0
  private rejected = 0
  private readonly rate = new RateMeter(5)
  private readonly listeners = new Map<EventChannel, Set<Listener<EventChannel>>>()
  private queriesTimer: NodeJS.Timeout | undefined
  private statusTimer: NodeJS.Timeout | undefined
  private endpoint: { agentUrl: string; token: string } = { agentUrl: '', token: '' }
  private readonly startDemo: (() => DemoStatus) | undefined

  constructor(options: ProfilerOptions = {}) {
    this.session = new LiveSession(options.capacity)
    this.startDemo = options.startDemo
    this.handlers = {
      'status.get': () => this.status(),
      'connect.info': () => this.connectInfo(),
      'queries.page': (request) => this.queryPage(request.offset, request.limit, request.filter),
      'queries.get': (id) => this.session.get(id) ?? null,
      'session.clear': () => this.clear(),
      'demo.start': () =>
        this.startDemo
          ? this.startDemo()
          : { running: false, error: 'the demo app is not available here' },
      // Placeholders until the analyzer is wired in (next commit): empty, well-typed answers.
      'analysis.summary': () => ({
        queries: 0,
        failed: 0,
        slow: 0,
        fingerprints: 0,
        findings: { 'n-plus-one': 0, duplicate: 0, 'write-loop': 0 },
        insights: 0,
      }),
      'analysis.fingerprints': (request) => ({ total: 0, offset: request.offset, rows: [] }),
      'analysis.findings': () => ({ findings: [], insights: [] }),
      'analysis.finding': () => null,
      'analysis.slow': (request) => ({ total: 0, offset: request.offset, rows: [] }),
      'analysis.failed': (request) => ({ total: 0, offset: request.offset, rows: [] }),
      'analysis.settings.get': () => ({ ...DEFAULT_ANALYSIS_SETTINGS }),
      'analysis.settings.set': (settings) => ({ ...DEFAULT_ANALYSIS_SETTINGS, ...settings }),
      'timeline.window': (request) => ({
        from: request.from,
        to: request.to,
        extent: { start: 0, end: 0 },
        totalLanes: 0,
        laneOffset: request.laneOffset,
        lanes: [],
        bars: [],
        buckets: [],
      }),
    }
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
    for (const query of queries) this.session.add(query)
    app.received += queries.length
    this.received += queries.length
    this.rate.add(queries.length)
    this.scheduleQueriesChanged()
    this.scheduleStatus()
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

  queryPage(offset: number, limit: number, filter?: string): QueryPage {
    const bounded = Math.min(Math.max(0, limit), MAX_PAGE_SIZE)
    const { total, rows } = this.session.page(offset, bounded, filter, (id) => this.appName(id))
    return { total, offset, rows }
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

  /** Starts a new session: queries and counters go; connected apps stay connected. */
  clear(): void {
    this.session.clear()
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
    this.emit('status', this.status())
  }

  /** Stops the timers; pending throttled events are not sent. */
  dispose(): void {
    clearTimeout(this.queriesTimer)
    clearTimeout(this.statusTimer)
    this.listeners.clear()
  }

  private emit<C extends EventChannel>(channel: C, payload: EventChannels[C]): void {
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
