/**
 * What the session library hands out: plain transfer objects (never entity instances), so
 * they cross IPC, the browser-mode RPC and the CLI's `--json` unchanged. When the library
 * gets API channels these move to src/shared.
 */
import type { Severity } from '../../shared/analysis'
import type { AppInfo, EpochMs, QueryRecord } from '../../shared/domain'
import type { StoredSessionStatus } from './entities'

export type { StoredSessionStatus }

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
