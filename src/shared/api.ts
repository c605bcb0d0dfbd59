/**
 * The API the renderer uses, declared once and implemented twice: over IPC by the preload
 * bridge (Electron) and over a WebSocket by the browser-mode server. The renderer never
 * knows which one it has.
 *
 * Two maps, in the manner of GitHub Desktop's ipc-shared: `RequestChannels` (request ->
 * response) and `EventChannels` (pushed by the core, throttled). The channel names are the
 * map keys; `REQUEST_CHANNELS` / `EVENT_CHANNELS` list them at run time for the allow-lists.
 *
 * The renderer never receives a whole session: it asks for windows (a page of a table).
 */
import type {
  AnalysisSettings,
  AnalysisSummary,
  FailedQuery,
  Finding,
  FindingsResult,
  FingerprintPageRequest,
  FingerprintStats,
  ListPageRequest,
  Page,
  SlowQuery,
  TimelineRequest,
  TimelineWindow,
} from './analysis'
import type { ProfilerStatus, QueryRecord, QueryRow } from './domain'
import type {
  ExportProgress,
  ExportRequest,
  ExportResult,
  FileLoadRequest,
  FileLoadResult,
  LibraryListOptions,
  LoadProgress,
  LibraryStorage,
  RetentionSettings,
  StoredSessionDetail,
  StoredSessionSummary,
  ViewedSession,
} from './library'
import type { SessionDiff } from './session-diff'

export interface QueryPageRequest {
  /** Index of the first row wanted, in the (filtered) list, oldest first. */
  offset: number
  /** How many rows, at most `MAX_PAGE_SIZE`. */
  limit: number
  /** Case-insensitive text every returned query's SQL, app name or context must contain. */
  filter?: string
}

export interface QueryPage {
  /** Rows matching the filter in the whole live session. */
  total: number
  offset: number
  rows: QueryRow[]
}

export interface ConnectInfo {
  agentUrl: string
  token: string
  /** The environment variables and code to paste into an app, ready to copy. */
  snippets: { id: string; title: string; language: string; code: string }[]
}

export interface DemoStatus {
  running: boolean
  /** Process id of the demo app while it runs. */
  pid?: number
  /** Why the demo could not start, when it could not. */
  error?: string
}

/** Requests: channel -> arguments tuple and result. */
export interface RequestChannels {
  'status.get': { args: []; result: ProfilerStatus }
  'connect.info': { args: []; result: ConnectInfo }
  'queries.page': { args: [request: QueryPageRequest]; result: QueryPage }
  'queries.get': { args: [id: number]; result: QueryRecord | null }
  'session.clear': { args: []; result: void }
  'demo.start': { args: []; result: DemoStatus }
  'analysis.summary': { args: []; result: AnalysisSummary }
  'analysis.fingerprints': {
    args: [request: FingerprintPageRequest]
    result: Page<FingerprintStats>
  }
  'analysis.findings': { args: []; result: FindingsResult }
  'analysis.finding': { args: [id: string]; result: (Finding & { queries: QueryRow[] }) | null }
  'analysis.slow': { args: [request: ListPageRequest]; result: Page<SlowQuery> }
  'analysis.failed': { args: [request: ListPageRequest]; result: Page<FailedQuery> }
  'analysis.settings.get': { args: []; result: AnalysisSettings }
  'analysis.settings.set': { args: [settings: Partial<AnalysisSettings>]; result: AnalysisSettings }
  'timeline.window': { args: [request: TimelineRequest]; result: TimelineWindow }
  // The session library (src/main/store). Each answers "library unavailable: <why>" when
  // the core runs without one, except `library.storage`, which says why instead.
  'library.list': { args: [options: LibraryListOptions]; result: StoredSessionSummary[] }
  'library.get': { args: [id: string]; result: StoredSessionDetail | null }
  /** A page of a stored session's queries as table rows, oldest first; null if unknown. */
  'library.queries': {
    args: [id: string, offset: number, limit: number]
    result: QueryPage | null
  }
  /** One stored query with every field; null if unknown. */
  'library.query': { args: [id: string, queryId: number]; result: QueryRecord | null }
  /** False when there is no such session. */
  'library.rename': { args: [id: string, name: string]; result: boolean }
  'library.note': { args: [id: string, note: string]; result: boolean }
  /** False when there is no such session; refused for the session being recorded. */
  'library.delete': { args: [id: string]; result: boolean }
  'library.storage': { args: []; result: LibraryStorage }
  /** Saves the setting and applies it at once (sessions beyond it are deleted). */
  'library.retention.set': {
    args: [retention: Partial<RetentionSettings>]
    result: RetentionSettings
  }
  /** A stored or the live session as a session file or a report (see ExportResult). */
  'library.export': { args: [request: ExportRequest]; result: ExportResult }
  // The viewed session: what `queries.*`, `analysis.*` and `timeline.window` answer from.
  /** What is viewed now. */
  'view.get': { args: []; result: ViewedSession }
  /** Views a stored session read-only (`'live'`: back to live); pushes `load.progress`. */
  'view.open': { args: [id: string]; result: ViewedSession }
  /** Back to the live session. */
  'view.live': { args: []; result: ViewedSession }
  /**
   * A session file, viewed or imported into the library: in browser mode one uploaded
   * first; in Electron the one the shell's open dialog picks. Pushes `load.progress`.
   */
  'file.load': { args: [request: FileLoadRequest]; result: FileLoadResult }
  /** Two sessions compared (stored ids, or `'live'`), analysed with the current settings. */
  'sessions.compare': { args: [before: string, after: string]; result: SessionDiff }
}

/** Events pushed by the core: channel -> payload. */
export interface EventChannels {
  /** The counters and apps, at most a few times a second. */
  status: ProfilerStatus
  /** New queries arrived (or the session was cleared); the renderer refetches what it shows. */
  'queries.changed': { total: number; lastId: number }
  /** Statistics or findings changed (throttled); views refetch what they show. */
  'analysis.changed': { summary: AnalysisSummary }
  /** How far an export is (at most every 100 ms while it runs). */
  'export.progress': ExportProgress
  /** The viewed session changed: every view refetches what it shows. */
  'view.changed': ViewedSession
  /** How far opening, importing or comparing sessions is (at most every 100 ms). */
  'load.progress': LoadProgress
}

export type RequestChannel = keyof RequestChannels
export type EventChannel = keyof EventChannels
export type RequestArgs<C extends RequestChannel> = RequestChannels[C]['args']
export type RequestResult<C extends RequestChannel> = RequestChannels[C]['result']

export const REQUEST_CHANNELS = [
  'status.get',
  'connect.info',
  'queries.page',
  'queries.get',
  'session.clear',
  'demo.start',
  'analysis.summary',
  'analysis.fingerprints',
  'analysis.findings',
  'analysis.finding',
  'analysis.slow',
  'analysis.failed',
  'analysis.settings.get',
  'analysis.settings.set',
  'timeline.window',
  'library.list',
  'library.get',
  'library.queries',
  'library.query',
  'library.rename',
  'library.note',
  'library.delete',
  'library.storage',
  'library.retention.set',
  'library.export',
  'view.get',
  'view.open',
  'view.live',
  'file.load',
  'sessions.compare',
] as const satisfies readonly RequestChannel[]

export const EVENT_CHANNELS = [
  'status',
  'queries.changed',
  'analysis.changed',
  'export.progress',
  'view.changed',
  'load.progress',
] as const satisfies readonly EventChannel[]

/**
 * Requests that run as long as the session they read is large (seconds to minutes) and
 * report their progress with `PROGRESS_EVENTS`: the browser-mode client gives them no fixed
 * timeout, only one that restarts with each progress event.
 */
export const LONG_RUNNING_CHANNELS: readonly RequestChannel[] = [
  'library.export',
  'view.open',
  'file.load',
  'sessions.compare',
]

export const PROGRESS_EVENTS: readonly EventChannel[] = ['export.progress', 'load.progress']

// The lists are what the preload and the IPC bridge allow: a channel missing here would work
// in browser mode and be refused in Electron. These fail to compile until each is listed.
type Unlisted<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : Exclude<All, Listed>
const everyRequestListed: Unlisted<RequestChannel, (typeof REQUEST_CHANNELS)[number]> = true
const everyEventListed: Unlisted<EventChannel, (typeof EVENT_CHANNELS)[number]> = true
void everyRequestListed
void everyEventListed

export const MAX_PAGE_SIZE = 1000

/** What both transports give the renderer. */
export interface ProfilerClient {
  request<C extends RequestChannel>(channel: C, ...args: RequestArgs<C>): Promise<RequestResult<C>>
  /** Subscribes to a pushed event; returns the unsubscribe function. */
  on<C extends EventChannel>(channel: C, listener: (payload: EventChannels[C]) => void): () => void
}

/** The core's side: one handler per request channel. The `Profiler` implements this. */
export type RequestHandlers = {
  [C in RequestChannel]: (...args: RequestArgs<C>) => RequestResult<C> | Promise<RequestResult<C>>
}

/** What the preload bridge puts on `window.fastormProfiler`. */
export interface PreloadBridge {
  request: ProfilerClient['request']
  on: ProfilerClient['on']
}
