/**
 * The session library in `<dataDir>/sessions.sqlite`: recorded sessions, listed, opened a page
 * at a time, renamed, annotated, deleted, searched, and kept within a retention limit.
 *
 * Writes that span several statements (a batch of queries, a delete) run as synchronous
 * better-sqlite3 transactions, so they never interleave with anything else on the event loop;
 * TypeORM serves the reads and the single-statement updates (see data-source.ts).
 */
import { statSync } from 'node:fs'
import { Brackets, type DataSource, type Repository } from 'typeorm'
import type { AppInfo, QueryRecord, StackFrame } from '../../shared/domain'
import {
  QueryEntity,
  SessionAppEntity,
  SessionEntity,
  StackEntity,
  StatementEntity,
  StoreSettingEntity,
  type SessionAppRow,
  type SessionRow,
  type StoreSettingRow,
} from './entities'
import {
  openStoreDataSource,
  sqliteConnection,
  type SqliteConnection,
  type StoreDatabaseOptions,
} from './data-source'
import { SessionWriter, WriteStatements } from './session-writer'
import {
  DEFAULT_RETENTION,
  type LibraryListOptions,
  type RetentionSettings,
  type StorageUse,
  type StoredHealth,
  type StoredQueryPage,
  type StoredSessionDetail,
  type StoredSessionSummary,
} from './types'

export const MAX_STORED_PAGE = 1000
const DEFAULT_LIST_LIMIT = 500
const MAX_NAME_LENGTH = 200
const MAX_NOTE_LENGTH = 10_000
const DAY_MS = 24 * 60 * 60 * 1000

/** A library request that cannot be done (bad argument, the session is being recorded). */
export class LibraryError extends Error {}

export interface NewStoredSession {
  id: string
  startedAt: number
  name?: string
  settings?: Record<string, unknown>
}

/** Sessions this process is recording: never recovered or deleted from under it. */
const recordingHere = new Set<string>()

export class SessionStore {
  private readonly db: SqliteConnection
  private readonly sessions: Repository<SessionRow>
  private readonly apps: Repository<SessionAppRow>
  private readonly settings: Repository<StoreSettingRow>
  private writeStatements: WriteStatements | undefined
  private closed = false
  /** Sessions begun through this store; closing it without ending them is a crash. */
  private readonly begun = new Set<string>()

  private constructor(
    readonly dataSource: DataSource,
    /** The database file (or `:memory:`). */
    readonly file: string,
  ) {
    this.db = sqliteConnection(dataSource)
    this.sessions = dataSource.getRepository(SessionEntity)
    this.apps = dataSource.getRepository(SessionAppEntity)
    this.settings = dataSource.getRepository(StoreSettingEntity)
  }

  /** Opens (creating and migrating as needed) the library database. */
  static async open(options: StoreDatabaseOptions): Promise<SessionStore> {
    return new SessionStore(await openStoreDataSource(options), options.file)
  }

  get isClosed(): boolean {
    return this.closed
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const id of this.begun) recordingHere.delete(id)
    await this.dataSource.destroy()
  }

  // --- Recording ---------------------------------------------------------------------------

  /** Creates the session's row (status `recording`) and returns its writer. */
  beginSession(session: NewStoredSession): SessionWriter {
    this.writeStatements ??= new WriteStatements(this.db)
    const now = Date.now()
    const { lastInsertRowid } = this.db
      .prepare(
        `INSERT INTO sessions (id, name, started_at, updated_at, status, settings, recorder_pid)
         VALUES (?, ?, ?, ?, 'recording', ?, ?)`,
      )
      .run(
        session.id,
        session.name ?? defaultSessionName(session.startedAt),
        session.startedAt,
        now,
        JSON.stringify(session.settings ?? {}),
        process.pid,
      )
    recordingHere.add(session.id)
    this.begun.add(session.id)
    return new SessionWriter(this.writeStatements, Number(lastInsertRowid), session.id)
  }

  /**
   * Marks the session complete (its totals are already written by the last batch). A session
   * that recorded nothing at all (no query, no app) is not kept: every start of the profiler
   * and every "Clear session" begins one.
   */
  endSession(writer: SessionWriter, endedAt = Date.now()): 'complete' | 'discarded' {
    recordingHere.delete(writer.id)
    this.begun.delete(writer.id)
    if (writer.isEmpty) {
      this.db.transaction(() => this.deleteRows(writer.key))()
      return 'discarded'
    }
    this.db
      .prepare(
        `UPDATE sessions SET status = 'complete', ended_at = ?, updated_at = ?, recorder_pid = NULL
         WHERE key = ?`,
      )
      .run(endedAt, endedAt, writer.key)
    return 'complete'
  }

  /**
   * Sessions left `recording` by a process that is gone (killed, crashed) become `recovered`,
   * ending at their last write (or go, if they recorded nothing). Returns their ids. A session another live process is still
   * recording (a second `serve` on the same data directory) is left alone.
   */
  recoverInterrupted(): string[] {
    const rows = this.db
      .prepare(
        `SELECT key, id, recorder_pid AS pid,
           query_count = 0 AND not_persisted = 0 AND app_names = '[]' AS empty
         FROM sessions WHERE status = 'recording'`,
      )
      .all() as { key: number; id: string; pid: number | null; empty: 0 | 1 }[]
    const recover = this.db.prepare(
      `UPDATE sessions SET status = 'recovered', ended_at = updated_at, recorder_pid = NULL
       WHERE id = ? AND status = 'recording'`,
    )
    const recovered: string[] = []
    for (const row of rows) {
      if (recordingHere.has(row.id)) continue
      if (row.pid !== null && row.pid !== process.pid && isProcessAlive(row.pid)) continue
      if (row.empty) {
        // Killed before anything arrived: nothing to recover (see endSession).
        this.db.transaction(() => this.deleteRows(row.key))()
        continue
      }
      recover.run(row.id)
      recovered.push(row.id)
    }
    return recovered
  }

  // --- Retention ---------------------------------------------------------------------------

  async retention(): Promise<RetentionSettings> {
    const row = await this.settings.findOneBy({ key: 'retention' })
    if (!row) return { ...DEFAULT_RETENTION }
    return { ...DEFAULT_RETENTION, ...(JSON.parse(row.value) as Partial<RetentionSettings>) }
  }

  async setRetention(changes: Partial<RetentionSettings>): Promise<RetentionSettings> {
    for (const [name, value] of Object.entries(changes)) {
      if (value !== null && value !== undefined && !(Number.isFinite(value) && value > 0)) {
        throw new LibraryError(`retention ${name} must be a positive number or null, got ${value}`)
      }
    }
    const retention = { ...(await this.retention()), ...changes }
    await this.settings.upsert({ key: 'retention', value: JSON.stringify(retention) }, ['key'])
    return retention
  }

  /**
   * Deletes, oldest first, the sessions past the maximum age, then as many more as it takes to
   * bring the estimated total under the maximum size. A session still recording counts toward
   * the total but is never deleted. Returns the ids deleted.
   */
  async enforceRetention(now = Date.now()): Promise<string[]> {
    const { maxAgeDays, maxTotalBytes } = await this.retention()
    const rows = await this.sessions.find({
      select: { key: true, id: true, status: true, bytes: true, updatedAt: true, endedAt: true },
      order: { startedAt: 'ASC', key: 'ASC' },
    })
    let total = rows.reduce((sum, row) => sum + row.bytes, 0)
    const doomed: SessionRow[] = []
    for (const row of rows) {
      if (row.status === 'recording' || recordingHere.has(row.id)) continue
      const tooOld =
        maxAgeDays !== null && (row.endedAt ?? row.updatedAt) < now - maxAgeDays * DAY_MS
      const overSize = maxTotalBytes !== null && total > maxTotalBytes
      if (!tooOld && !overSize) continue
      doomed.push(row)
      total -= row.bytes
    }
    if (doomed.length === 0) return []
    this.db.transaction(() => {
      for (const row of doomed) this.deleteRows(row.key)
    })()
    this.reclaimSpace()
    return doomed.map((row) => row.id)
  }

  // --- The library -------------------------------------------------------------------------

  /** Sessions, newest first; `search` matches the name, the note, an app name or SQL text. */
  async list(options: LibraryListOptions = {}): Promise<StoredSessionSummary[]> {
    const limit = Math.min(Math.max(1, options.limit ?? DEFAULT_LIST_LIMIT), 10_000)
    const query = this.sessions
      .createQueryBuilder('session')
      .orderBy('session.startedAt', 'DESC')
      .addOrderBy('session.key', 'DESC')
      .limit(limit)
    const search = options.search?.trim()
    if (search) {
      const pattern = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
      query.where(
        new Brackets((where) =>
          where
            .where(`session.name LIKE :pattern ESCAPE '\\'`)
            .orWhere(`session.note LIKE :pattern ESCAPE '\\'`)
            .orWhere(`session.appNames LIKE :pattern ESCAPE '\\'`)
            // The distinct texts of every session, not every query (see entities.ts).
            .orWhere(
              `session.key IN (SELECT session_key FROM statements WHERE sql LIKE :pattern ESCAPE '\\')`,
            ),
        ),
        { pattern },
      )
    }
    return (await query.getMany()).map(toSummary)
  }

  /** A session's metadata and apps, or null when there is no such session. */
  async get(id: string): Promise<StoredSessionDetail | null> {
    const row = await this.sessions.findOneBy({ id })
    if (!row) return null
    const apps = await this.apps.find({
      where: { sessionKey: row.key },
      order: { connectedAt: 'ASC', appId: 'ASC' },
    })
    return {
      ...toSummary(row),
      totalQueryMs: row.totalQueryMs,
      settings: JSON.parse(row.settings) as Record<string, unknown>,
      apps: apps.map(toAppInfo),
    }
  }

  /** A page of a session's queries, in id order, every field as recorded; null if unknown. */
  async queries(id: string, offset: number, limit: number): Promise<StoredQueryPage | null> {
    const session = await this.sessions.findOne({
      select: { key: true, queryCount: true, notPersisted: true },
      where: { id },
    })
    if (!session) return null
    const start = Math.max(0, Math.floor(offset))
    const count = Math.min(Math.max(0, Math.floor(limit)), MAX_STORED_PAGE)
    if (count === 0) return { total: session.queryCount, offset: start, rows: [] }
    const query = this.dataSource
      .createQueryBuilder(QueryEntity, 'query')
      .innerJoin(
        StatementEntity.options.name,
        'statement',
        'statement.sessionKey = query.sessionKey AND statement.id = query.statementId',
      )
      .leftJoin(
        StackEntity.options.name,
        'stack',
        'stack.sessionKey = query.sessionKey AND stack.id = query.stackId',
      )
      .select('query.id', 'id')
      .addSelect('query.appId', 'appId')
      .addSelect('statement.sql', 'sql')
      .addSelect('query.params', 'params')
      .addSelect('query.startTime', 'startTime')
      .addSelect('query.durationMs', 'durationMs')
      .addSelect('query.rows', 'rows')
      .addSelect('query.errorType', 'errorType')
      .addSelect('query.errorMessage', 'errorMessage')
      .addSelect('query.connectionId', 'connectionId')
      .addSelect('query.contextId', 'contextId')
      .addSelect('query.contextName', 'contextName')
      .addSelect('stack.frames', 'stack')
      .where('query.sessionKey = :key', { key: session.key })
      .orderBy('query.id', 'ASC')
      .limit(count)
    // With nothing lost, the stored ids are exactly 1..queryCount and a page is a seek in the
    // primary key; otherwise OFFSET, which walks the rows before the page (~0.4 s at 1M).
    if (session.notPersisted === 0) query.andWhere('query.id > :start', { start })
    else query.offset(start)
    const raw = await query.getRawMany<RawStoredQuery>()
    return { total: session.queryCount, offset: start, rows: raw.map(toQueryRecord) }
  }

  /** Renames a session; false when there is no such session. */
  async rename(id: string, name: string): Promise<boolean> {
    const trimmed = name.trim()
    if (trimmed === '' || trimmed.length > MAX_NAME_LENGTH) {
      throw new LibraryError(`a session name must be 1 to ${MAX_NAME_LENGTH} characters`)
    }
    return ((await this.sessions.update({ id }, { name: trimmed })).affected ?? 0) > 0
  }

  /** Sets (or, with an empty text, clears) a session's note; false when there is no such session. */
  async setNote(id: string, note: string): Promise<boolean> {
    if (note.length > MAX_NOTE_LENGTH) {
      throw new LibraryError(`a note must be at most ${MAX_NOTE_LENGTH} characters`)
    }
    return ((await this.sessions.update({ id }, { note })).affected ?? 0) > 0
  }

  /**
   * Deletes a session with its apps and queries, in one transaction; false when there is no
   * such session. A session still being recorded cannot be deleted.
   */
  async delete(id: string): Promise<boolean> {
    const row = this.db.prepare('SELECT key, status FROM sessions WHERE id = ?').get(id) as
      { key: number; status: string } | undefined
    if (!row) return false
    if (row.status === 'recording' || recordingHere.has(id)) {
      throw new LibraryError('this session is being recorded; clear or stop it first')
    }
    this.db.transaction(() => this.deleteRows(row.key))()
    this.reclaimSpace()
    return true
  }

  /** Disk used by the library, and how many sessions and queries it holds. */
  async storage(): Promise<StorageUse> {
    const counts = (await this.sessions
      .createQueryBuilder('session')
      .select('COUNT(*)', 'sessions')
      .addSelect('TOTAL(session.queryCount)', 'queries')
      .getRawOne()) as { sessions: number; queries: number }
    const databaseBytes = fileSize(this.file)
    const walBytes = fileSize(`${this.file}-wal`)
    return {
      bytes: databaseBytes + walBytes + fileSize(`${this.file}-shm`),
      databaseBytes,
      walBytes,
      sessions: Number(counts.sessions),
      queries: Number(counts.queries),
      file: this.file,
    }
  }

  private deleteRows(key: number): void {
    for (const table of ['queries', 'statements', 'stacks', 'session_apps']) {
      this.db.prepare(`DELETE FROM ${table} WHERE session_key = ?`).run(key)
    }
    this.db.prepare('DELETE FROM sessions WHERE key = ?').run(key)
  }

  /** Hands the pages freed by deletes back to the file system and empties the WAL. */
  private reclaimSpace(): void {
    if (this.file === ':memory:') return
    this.db.pragma('incremental_vacuum')
    this.db.pragma('wal_checkpoint(TRUNCATE)')
  }
}

interface RawStoredQuery {
  id: number
  appId: string
  sql: string
  params: string | null
  startTime: number
  durationMs: number
  rows: number | null
  errorType: string | null
  errorMessage: string | null
  connectionId: string | null
  contextId: string | null
  contextName: string | null
  stack: string | null
}

function toQueryRecord(raw: RawStoredQuery): QueryRecord {
  const record: QueryRecord = {
    id: raw.id,
    appId: raw.appId,
    sql: raw.sql,
    startTime: raw.startTime,
    durationMs: raw.durationMs,
  }
  if (raw.params !== null) record.params = JSON.parse(raw.params) as QueryRecord['params']
  if (raw.rows !== null) record.rows = raw.rows
  if (raw.errorMessage !== null) {
    record.error =
      raw.errorType === null
        ? { message: raw.errorMessage }
        : { type: raw.errorType, message: raw.errorMessage }
  }
  if (raw.connectionId !== null) record.connectionId = raw.connectionId
  if (raw.contextId !== null) {
    record.context =
      raw.contextName === null
        ? { id: raw.contextId }
        : { id: raw.contextId, name: raw.contextName }
  }
  if (raw.stack !== null) record.stack = JSON.parse(raw.stack) as StackFrame[]
  return record
}

function toSummary(row: SessionRow): StoredSessionSummary {
  const end = row.endedAt ?? (row.status === 'recording' ? Date.now() : row.updatedAt)
  return {
    id: row.id,
    name: row.name,
    note: row.note,
    appNames: JSON.parse(row.appNames) as string[],
    startedAt: row.startedAt,
    endedAt: row.endedAt,
    durationMs: Math.max(0, end - row.startedAt),
    status: row.status,
    queryCount: row.queryCount,
    failedCount: row.failedCount,
    notPersisted: row.notPersisted,
    findingsCount: row.findingsCount,
    health: row.health as StoredHealth,
    bytes: row.bytes,
  }
}

function toAppInfo(row: SessionAppRow): AppInfo {
  const app: AppInfo = {
    id: row.appId,
    name: row.name,
    connectedAt: row.connectedAt,
    received: row.received,
    droppedByAgent: row.droppedByAgent,
  }
  if (row.runtime !== null) app.runtime = JSON.parse(row.runtime) as AppInfo['runtime']
  if (row.orm !== null) app.orm = JSON.parse(row.orm) as AppInfo['orm']
  if (row.agent !== null) app.agent = JSON.parse(row.agent) as AppInfo['agent']
  if (row.dbSystem !== null) app.dbSystem = row.dbSystem
  if (row.pid !== null) app.pid = row.pid
  if (row.host !== null) app.host = row.host
  if (row.disconnectedAt !== null) app.disconnectedAt = row.disconnectedAt
  return app
}

/** "Session 2025-11-26 09:41", in local time: what a new session is called until renamed. */
export function defaultSessionName(startedAt: number): string {
  return `Session ${localMinute(startedAt)}`
}

/** "2025-11-26 09:41", in local time. */
export function localMinute(epochMs: number): string {
  const date = new Date(epochMs)
  const two = (n: number) => String(n).padStart(2, '0')
  return (
    `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}`
  )
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}
