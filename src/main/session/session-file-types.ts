/**
 * The session file's types and its error, shared by the reader, the writer and their callers
 * (all re-exported from `session-file.ts`). The format itself: `docs/session-format.md`.
 */
import type { AnalysisSettings, Finding, RecurringInsight } from '../../shared/analysis'
import type { AppInfo, EpochMs, QueryRecord, SessionCounters } from '../../shared/domain'
import { CURRENT_VERSION, SESSION_FORMAT } from './format'

export { CURRENT_VERSION, SESSION_FORMAT }
/** The version the writer writes (the reader also reads every older one). */
export const SESSION_VERSION = CURRENT_VERSION

/** How a recorded session ended: normally, by a crash (recovered), or not yet (a snapshot). */
export type SessionStatus = 'complete' | 'recovered' | 'recording'

export interface SessionMeta {
  id: string
  name?: string
  note?: string
  startedAt: EpochMs
  endedAt: EpochMs
  /** Absent in files before v1, and optional in v1: absent means `complete`. */
  status?: SessionStatus
}

/** One sample of a metric: host, process, pool or cache values at one time. */
export interface MetricSample {
  time: EpochMs
  /** What was measured: `host`, `process`, `pool`, `cache`, ... */
  kind: string
  /** The app it came from; absent for the host. */
  appId?: string
  attributes: Record<string, unknown>
}

/** Health as it was saved: null until the health checks exist. */
export type SessionHealth = Record<string, unknown> | null

/**
 * A session as callers hand it to the writer and to the report: the parts every version
 * has, and the rest optional (the writer fills in what is missing; the reader always
 * returns every field — see `SessionDocument`).
 */
export interface SessionFile {
  format: typeof SESSION_FORMAT
  version: typeof SESSION_VERSION
  session: SessionMeta
  apps: AppInfo[]
  counters: SessionCounters
  queries: QueryRecord[]
  /** The analysis settings the findings were found with. */
  settings?: AnalysisSettings
  findings?: Finding[]
  insights?: RecurringInsight[]
  health?: SessionHealth
  metrics?: MetricSample[]
}

/** What the writer takes besides the queries. */
export type SessionFileHeader = Omit<SessionFile, 'format' | 'version' | 'queries'>

/** Everything in a session file but its queries, in the current version, every field set. */
export interface SessionHeader {
  format: typeof SESSION_FORMAT
  version: typeof SESSION_VERSION
  session: SessionMeta
  apps: AppInfo[]
  counters: SessionCounters
  settings: AnalysisSettings
  findings: Finding[]
  insights: RecurringInsight[]
  health: SessionHealth
  metrics: MetricSample[]
}

/** A whole session file, as `readSessionFile` returns it. */
export interface SessionDocument extends SessionHeader {
  queries: QueryRecord[]
}

/** Where in a file a problem is. */
export interface FileLocation {
  /** Byte offset (0-based) of the value at fault, or of the end of the file. */
  offset?: number
  /** JSON path: `queries[1234].durationMs`, `session.startedAt`, `version`. */
  path?: string
}

/**
 * A session file that cannot be read or written: the message names the file, the problem,
 * and where (`path`, `offset`). Nothing was changed when it is thrown.
 */
export class SessionFileError extends Error {
  /** The problem alone, without the file name or the location. */
  readonly problem: string
  readonly offset?: number
  readonly path?: string

  constructor(
    readonly file: string,
    message: string,
    where: FileLocation = {},
  ) {
    const at = [where.path, where.offset === undefined ? undefined : `at byte ${where.offset}`]
      .filter((part) => part !== undefined && part !== '')
      .join(', ')
    super(`${file}: ${message}${at ? ` (${at})` : ''}`)
    this.name = 'SessionFileError'
    this.problem = message
    this.offset = where.offset
    this.path = where.path
  }
}
