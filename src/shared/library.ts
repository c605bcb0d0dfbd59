/**
 * The session library as the renderer and the CLI see it: plain transfer objects (never
 * entity instances), so they cross IPC, the browser-mode RPC and `sessions --json`
 * unchanged. The store (src/main/store) produces them; `library.*` channels carry them.
 *
 * Also the export contract (`library.export`): a session, stored or live, written as a
 * session file or a report, to a file the user picked (Electron) or as a download (browser).
 */
import type { AnalysisSettings, FindingsResult, Severity } from './analysis'
import type { AppInfo, EpochMs, QueryRecord } from './domain'

/** `recording` while the recorder writes it; `recovered` when a crash ended it. */
export type StoredSessionStatus = 'recording' | 'complete' | 'recovered'

/** Overall health of a session; null until the health work stores it. */
export type StoredHealth = 'ok' | Severity | null

/** One line of the library list. */
export interface StoredSessionSummary {
  id: string
  name: string
  note: string
  /** Distinct names of the apps that sent queries, in the order they connected. */
  appNames: string[]
  startedAt: EpochMs
  /** When it ended; for a session still recording, null. */
  endedAt: EpochMs | null
  /** Until the end, or until the last write while recording. */
  durationMs: number
  status: StoredSessionStatus
  /** Queries stored. */
  queryCount: number
  failedCount: number
  /** Queries the live session evicted before they could be written (0 unless it overflowed). */
  notPersisted: number
  /** 0 until the analysis stores its findings. */
  findingsCount: number
  health: StoredHealth
  /** Estimated bytes the session takes in the database. */
  bytes: number
}

/** A session's metadata and apps: what opening it shows before the first page of queries. */
export interface StoredSessionDetail extends StoredSessionSummary {
  totalQueryMs: number
  settings: Record<string, unknown>
  apps: AppInfo[]
  /**
   * The findings as the analysis left them when the session ended (or as its file held them,
   * imported), with the settings they were found with. Absent when they were not stored: a
   * session recovered after a crash (its `findingsCount` is as of its last write).
   */
  findings?: FindingsResult & { settings: AnalysisSettings }
}

export interface StoredQueryPage {
  /** Queries stored for the session. */
  total: number
  offset: number
  rows: QueryRecord[]
}

export interface LibraryListOptions {
  /** Case-insensitive substring of the name, an app name or any SQL text of the session. */
  search?: string
  /** At most this many, newest first (default 500). */
  limit?: number
}

/** How much the library may keep; null means no limit of that kind. */
export interface RetentionSettings {
  /** Sessions that ended longer ago than this are deleted. */
  maxAgeDays: number | null
  /** Oldest sessions go until the estimated total is at most this. */
  maxTotalBytes: number | null
}

export const DEFAULT_RETENTION: RetentionSettings = {
  maxAgeDays: 30,
  maxTotalBytes: 1024 * 1024 * 1024,
}

export interface StorageUse {
  /** The database file plus its WAL (and shared-memory index) on disk. */
  bytes: number
  databaseBytes: number
  walBytes: number
  sessions: number
  queries: number
  /** The database file, for the UI to show. */
  file: string
}

/**
 * `library.storage`: what the library holds and may keep, or why there is no library (it was
 * not asked for, or could not open) — the Sessions view shows that instead of a table.
 */
export type LibraryStorage =
  | ({ available: true; retention: RetentionSettings } & StorageUse)
  | { available: false; error: string }

// --- Export ----------------------------------------------------------------------------------

/**
 * `json`: a session file (docs/session-format.md), which the library and `report` read back.
 * `report-json`: the JSON report (`report --format json`). The others: the report rendered.
 */
export type ExportFormat = 'json' | 'text' | 'markdown' | 'html' | 'report-json'

export const EXPORT_FORMATS: readonly ExportFormat[] = [
  'json',
  'html',
  'markdown',
  'text',
  'report-json',
]

/** Parts of a report, in the order a report shows them; a session file holds everything. */
export type ReportSection =
  'summary' | 'apps' | 'findings' | 'fingerprints' | 'slow' | 'failed' | 'queries'

export const REPORT_SECTIONS: readonly ReportSection[] = [
  'summary',
  'apps',
  'findings',
  'fingerprints',
  'slow',
  'failed',
  'queries',
]

/** `summary`: the totals and the worst of each list; `detailed`: everything, every query. */
export type ReportKind = 'summary' | 'detailed'

export const REPORT_KINDS: readonly ReportKind[] = ['summary', 'detailed']

/** The sections each kind shows when none are chosen (as src/main/report/options.ts says). */
export const DEFAULT_REPORT_SECTIONS: Record<ReportKind, readonly ReportSection[]> = {
  summary: ['summary', 'findings', 'fingerprints', 'slow', 'failed'],
  detailed: REPORT_SECTIONS,
}

/** The live session, as opposed to a stored session's id. */
export const LIVE_SESSION = 'live'

export interface ExportRequest {
  /** A stored session's id, or `'live'` for the session being profiled. */
  id: string
  format: ExportFormat
  /** A report's kind (default detailed); ignored for a session file. */
  kind?: ReportKind
  /** Report sections to include (default: the kind's); ignored for a session file. */
  sections?: ReportSection[]
  /** Replace the values of parameters whose names look secret (password, token, ...). */
  redact?: boolean
  /** Leave every query's parameters out. */
  dropParams?: boolean
}

export type ExportResult =
  /** Electron: written where the save dialog said. */
  | { kind: 'saved'; path: string; bytes: number }
  /** Browser mode: fetch `url` (same origin, once) to download the file. */
  | { kind: 'download'; url: string; fileName: string; bytes: number }
  /** The save dialog was dismissed. */
  | { kind: 'canceled' }

/** `export.progress`: queries read so far, while an export runs. */
export interface ExportProgress {
  /** The request's `id` (a stored session's id, or `'live'`). */
  id: string
  format: ExportFormat
  done: number
  total: number
}

// --- The viewed session ----------------------------------------------------------------------

/**
 * What the views (Queries, Timeline, N+1, Statistics, Slow & failed) show: the live session,
 * or a stored session or a session file opened read-only. The live session keeps recording
 * while another is viewed.
 */
export type ViewedSession =
  | { kind: 'live' }
  | {
      /** `stored`: from the library; `file`: a session file opened without storing it. */
      kind: 'stored' | 'file'
      /** The stored session's id, or the file's own session id. */
      id: string
      name: string
      startedAt: EpochMs
      endedAt: EpochMs
      /** Queries held (and analyzed). */
      queries: number
      /** Its apps: what the views name its queries' apps by. */
      apps: AppInfo[]
      /** The file's name, for `file`. */
      fileName?: string
    }

/** What a long load is doing: opening a session to view, importing a file, or a compare. */
export type LoadTask = 'open' | 'import' | 'compare'

/** `load.progress`: how far a load is (at most every 100 ms while it runs). */
export interface LoadProgress {
  task: LoadTask
  /**
   * `reading`: the file's bytes; `analyzing`: queries loaded and analyzed. `uploading`: the
   * page sending the file to the core (browser mode; the page's own, never pushed).
   */
  phase: 'uploading' | 'reading' | 'analyzing'
  done: number
  total: number
  unit: 'bytes' | 'queries'
}

/** `file.load`: a session file, viewed or stored. */
export interface FileLoadRequest {
  /** `open`: view it read-only (nothing is stored); `import`: store it in the library. */
  action: 'open' | 'import'
  /**
   * Browser mode: the id `POST /upload` answered with. Without it the Electron shell asks
   * with its open dialog (the page never names a path).
   */
  upload?: string
}

export type FileLoadResult =
  | { kind: 'opened'; viewed: ViewedSession }
  | { kind: 'imported'; id: string; name: string; queries: number }
  /** The open dialog was dismissed. */
  | { kind: 'canceled' }

/** Browser mode's upload endpoint: `POST` the file's bytes, token cookie and own Origin. */
export const UPLOAD_PATH = '/upload'

/** What `POST /upload` answers: the id to pass to `file.load`, once. */
export interface UploadResult {
  id: string
  bytes: number
}
