/**
 * The session library in `<dataDir>/sessions.sqlite`: recorded sessions, listed, opened a page
 * at a time, renamed, annotated, deleted, searched, and kept within a retention limit.
 *
 * Writes that span several statements (a batch of queries, a delete) run as synchronous
 * better-sqlite3 transactions, so they never interleave with anything else on the event loop;
 * TypeORM serves the reads and the single-statement updates (see data-source.ts).
 */
import { randomUUID } from 'node:crypto'
import { statSync } from 'node:fs'
import { basename } from 'node:path'
import { Brackets, type DataSource, type Repository } from 'typeorm'
import {
  DEFAULT_ANALYSIS_SETTINGS,
  type AnalysisSettings,
  type Finding,
  type RecurringInsight,
} from '../../shared/analysis'
import type { AppInfo, QueryRecord, StackFrame } from '../../shared/domain'
import {
  loadSessionFile,
  type LoadProgress,
  type SessionFile,
  type SessionFileLimits,
  type SessionHeader,
} from '../session/session-file'
import {
  QueryEntity,
  SessionAppEntity,
  SessionEntity,
  SessionFindingsEntity,
  StackEntity,
  StatementEntity,
  StoreSettingEntity,
  type SessionAppRow,
  type SessionFindingsRow,
  type SessionRow,
  type StoreSettingRow,
} from './entities'
import {
  openStoreDataSource,
  sqliteConnection,
  type SqliteConnection,
  type StoreDatabaseOptions,
} from './data-source'
import { ImportSink, type ImportTarget } from './session-import'
import { SessionWriter, WriteStatements } from './session-writer'
import {
  DEFAULT_RETENTION,
  type LibraryListOptions,
  type RetentionSettings,
  type StorageUse,
  type StoredHealth,
  type StoredQueryPage,
  type StoredSessionDetail,
  type StoredSessionStatus,
  type StoredSessionSummary,
} from './types'

export const MAX_STORED_PAGE = 1000
const DEFAULT_LIST_LIMIT = 500
const MAX_NAME_LENGTH = 200
const MAX_NOTE_LENGTH = 10_000
const DAY_MS = 24 * 60 * 60 * 1000

/** A library request that cannot be done (bad argument, the session is being recorded). */
export class LibraryError extends Error {}

/** What the analysis found in a session, as stored with it. */
export interface SessionFindings {
  settings: AnalysisSettings
  findings: Finding[]
  insights: RecurringInsight[]
}

export interface ImportOptions {
  /** The stored session's name (default: the file's, or one from its start time). */
  name?: string
  /** After each chunk of the file is read: bytes read of the total, queries so far. */
  onProgress?: (progress: LoadProgress) => void
  /** Stops the import (it then rolls back and rejects). */
  signal?: AbortSignal
  /** The loader's limits (most queries, longest text), default the loader's. */
  limits?: Partial<SessionFileLimits>
}

export type { LoadProgress as ImportProgress }

export interface NewStoredSession {
  id: string
  startedAt: number
  name?: string
  settings?: Record<string, unknown>
}

/** Sessions this process is recording or importing: never recovered or deleted from under it. */
const recordingHere = new Set<string>()

export class SessionStore implements ImportTarget {
  private readonly db: SqliteConnection
  private readonly sessions: Repository<SessionRow>
  private readonly apps: Repository<SessionAppRow>
  private readonly findings: Repository<SessionFindingsRow>
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
    this.findings = dataSource.getRepository(SessionFindingsEntity)
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
   * Marks the session complete (its totals are already written by the last batch) and stores
   * its findings, when given (their count replaces the running one). A session that recorded
   * nothing at all (no query, no app) is not kept: every start of the profiler and every
   * "Clear session" begins one.
   */
  endSession(
    writer: SessionWriter,
    endedAt = Date.now(),
    findings?: SessionFindings,
  ): 'complete' | 'discarded' {
    recordingHere.delete(writer.id)
    this.begun.delete(writer.id)
    if (writer.isEmpty) {
      this.db.transaction(() => this.deleteRows(writer.key))()
      return 'discarded'
    }
    this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE sessions SET status = 'complete', ended_at = ?, updated_at = ?,
             recorder_pid = NULL
           WHERE key = ?`,
        )
        .run(endedAt, endedAt, writer.key)
      if (findings) this.saveFindings(writer.key, findings)
    })()
    return 'complete'
  }

  /** Stores (replacing) a session's findings and sets its findings count to match. */
  private saveFindings(key: number, findings: SessionFindings): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO session_findings (session_key, settings, findings, insights)
         VALUES (?, ?, ?, ?)`,
      )
      .run(
        key,
        JSON.stringify(findings.settings),
        JSON.stringify(findings.findings),
        JSON.stringify(findings.insights),
      )
    this.db
      .prepare('UPDATE sessions SET findings_count = ? WHERE key = ?')
      .run(findings.findings.length, key)
  }

  /**
   * Sessions left `recording` by a process that is gone (killed, crashed) become `recovered`,
   * ending at their last write (or go, if they recorded nothing). Returns their ids. A session
   * another live process is still recording (a second `serve` on the same data directory) is
   * left alone. Imports such a process left unfinished are deleted.
   */
  recoverInterrupted(): string[] {
    const rows = this.db
      .prepare(
        `SELECT key, id, status, recorder_pid AS pid,
           query_count = 0 AND not_persisted = 0 AND app_names = '[]' AS empty
         FROM sessions WHERE status IN ('recording', 'importing')`,
      )
      .all() as {
      key: number
      id: string
      status: string
      pid: number | null
      empty: 0 | 1
    }[]
    const recover = this.db.prepare(
      `UPDATE sessions SET status = 'recovered', ended_at = updated_at, recorder_pid = NULL
       WHERE id = ? AND status = 'recording'`,
    )
    const recovered: string[] = []
    for (const row of rows) {
      if (recordingHere.has(row.id)) continue
      if (row.pid !== null && row.pid !== process.pid && isProcessAlive(row.pid)) continue
      if (row.empty || row.status === 'importing') {
        // Killed before anything arrived (see endSession), or part-way through an import
        // (which is all or nothing): nothing to recover.
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
      if (row.status !== 'complete' && row.status !== 'recovered') continue
      if (recordingHere.has(row.id)) continue
      // The later of its end and its last write: an imported session's age counts from its
      // import, not from when it was recorded.
      const lastTouched = Math.max(row.endedAt ?? 0, row.updatedAt)
      const tooOld = maxAgeDays !== null && lastTouched < now - maxAgeDays * DAY_MS
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
      .where(`session.status != 'importing'`)
      .limit(limit)
    const search = options.search?.trim()
    if (search) {
      const pattern = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
      query.andWhere(
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
    if (!row || row.status === 'importing') return null
    const apps = await this.apps.find({
      where: { sessionKey: row.key },
      order: { connectedAt: 'ASC', appId: 'ASC' },
    })
    const detail: StoredSessionDetail = {
      ...toSummary(row),
      totalQueryMs: row.totalQueryMs,
      settings: JSON.parse(row.settings) as Record<string, unknown>,
      apps: apps.map(toAppInfo),
    }
    const findings = await this.findings.findOneBy({ sessionKey: row.key })
    if (findings) detail.findings = toSessionFindings(findings)
    return detail
  }

  /** A page of a session's queries, in id order, every field as recorded; null if unknown. */
  async queries(id: string, offset: number, limit: number): Promise<StoredQueryPage | null> {
    const session = await this.sessions.findOne({
      select: { key: true, queryCount: true, status: true },
      where: { id },
    })
    if (!session || session.status === 'importing') return null
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
    // Ids without a gap (nothing lost): a page is a seek in the primary key. Otherwise OFFSET,
    // which walks the rows before the page (~0.4 s at 1M).
    const { first, last } = this.db
      .prepare('SELECT MIN(id) AS first, MAX(id) AS last FROM queries WHERE session_key = ?')
      .get(session.key) as { first: number | null; last: number | null }
    if (first !== null && last! - first + 1 === session.queryCount) {
      query.andWhere('query.id >= :from', { from: first + start })
    } else query.offset(start)
    const raw = await query.getRawMany<RawStoredQuery>()
    return { total: session.queryCount, offset: start, rows: raw.map(toQueryRecord) }
  }

  /** One query of a session with every field as recorded; null if either is unknown. */
  query(id: string, queryId: number): QueryRecord | null {
    const raw = this.db
      .prepare(
        `SELECT q.id, q.app_id AS appId, s.sql, q.params, q.start_time AS startTime,
           q.duration_ms AS durationMs, q.rows, q.error_type AS errorType,
           q.error_message AS errorMessage, q.connection_id AS connectionId,
           q.context_id AS contextId, q.context_name AS contextName, k.frames AS stack
         FROM sessions x
         JOIN queries q ON q.session_key = x.key AND q.id = ?
         JOIN statements s ON s.session_key = q.session_key AND s.id = q.statement_id
         LEFT JOIN stacks k ON k.session_key = q.session_key AND k.id = q.stack_id
         WHERE x.id = ? AND x.status != 'importing'`,
      )
      .get(queryId, id) as RawStoredQuery | undefined
    return raw ? toQueryRecord(raw) : null
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
    if (!row || row.status === 'importing') return false
    if (row.status === 'recording' || recordingHere.has(id)) {
      throw new LibraryError('this session is being recorded; clear or stop it first')
    }
    this.db.transaction(() => this.deleteRows(row.key))()
    this.reclaimSpace()
    return true
  }

  /**
   * Stores a session read from a session file, as `complete`, in one transaction (all or
   * nothing). Keeps the file's session id unless the library has it already. Returns the id.
   */
  importSession(file: SessionFile, options: { name?: string; source?: string } = {}): string {
    if (file.queries.length === 0 && file.apps.length === 0) {
      throw new LibraryError('the file holds no queries and no apps: nothing to import')
    }
    const taken = this.db.prepare('SELECT 1 FROM sessions WHERE id = ?').get(file.session.id)
    const id = taken ? randomUUID() : file.session.id
    const importAll = this.db.transaction(() => {
      const writer = this.beginSession({
        id,
        startedAt: file.session.startedAt,
        name: options.name ?? file.session.name,
        settings: options.source ? { importedFrom: options.source } : {},
      })
      const batch = 20_000
      for (let i = 0; i < Math.max(1, file.queries.length); i += batch) {
        writer.write(
          file.queries.slice(i, i + batch),
          file.apps,
          i === 0 ? file.counters.evicted : 0,
          file.session.endedAt,
        )
      }
      const findings = file.findings && {
        settings: { ...DEFAULT_ANALYSIS_SETTINGS, ...file.settings },
        findings: file.findings,
        insights: file.insights ?? [],
      }
      this.endSession(writer, file.session.endedAt, findings)
      // Retention counts an imported session's age from now (see enforceRetention).
      this.db
        .prepare('UPDATE sessions SET updated_at = ? WHERE key = ?')
        .run(Date.now(), writer.key)
    })
    try {
      importAll()
    } catch (error) {
      recordingHere.delete(id)
      this.begun.delete(id)
      throw error
    }
    return id
  }

  /**
   * Imports a session file, streamed from `path` (see session-import.ts): validated and
   * written a batch at a time, never whole in memory, with `onProgress` after each chunk. All
   * or nothing: a bad file (or a failed write, or `signal`) leaves the library as it was and
   * rejects with the loader's SessionFileError naming the problem and where. Keeps the file's
   * session id unless the library has it already; resolves with the stored session's id.
   */
  async importSessionFile(path: string, options: ImportOptions = {}): Promise<string> {
    const sink = new ImportSink(this, { name: options.name, source: basename(path) })
    await loadSessionFile(path, {
      sink,
      onProgress: options.onProgress,
      signal: options.signal,
      limits: options.limits,
    })
    return sink.id!
  }

  /** @internal (ImportTarget) The staged row of an import: invisible until finished. */
  stageImport(startedAt: number): SessionWriter {
    this.writeStatements ??= new WriteStatements(this.db)
    const id = randomUUID()
    const { lastInsertRowid } = this.db
      .prepare(
        `INSERT INTO sessions (id, name, started_at, updated_at, status, recorder_pid)
         VALUES (?, '', ?, ?, 'importing', ?)`,
      )
      .run(id, startedAt, Date.now(), process.pid)
    recordingHere.add(id)
    this.begun.add(id)
    return new SessionWriter(this.writeStatements, Number(lastInsertRowid), id)
  }

  /** @internal (ImportTarget) The staged import becomes a complete session. */
  finishImport(
    writer: SessionWriter,
    header: SessionHeader,
    options: { name?: string; source?: string },
  ): string {
    if (writer.isEmpty) {
      throw new LibraryError('the file holds no queries and no apps: nothing to import')
    }
    const file = header.session
    const taken = this.db.prepare('SELECT 1 FROM sessions WHERE id = ?').get(file.id)
    const id = taken ? randomUUID() : file.id
    const name = options.name ?? file.name ?? defaultSessionName(file.startedAt)
    this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE sessions SET id = ?, name = ?, note = ?, started_at = ?, ended_at = ?,
             updated_at = ?, status = 'complete', recorder_pid = NULL, settings = ?
           WHERE key = ?`,
        )
        .run(
          id,
          name,
          file.note ?? '',
          file.startedAt,
          file.endedAt,
          Date.now(),
          JSON.stringify(options.source ? { importedFrom: options.source } : {}),
          writer.key,
        )
      this.saveFindings(writer.key, {
        settings: header.settings,
        findings: header.findings,
        insights: header.insights,
      })
    })()
    recordingHere.delete(writer.id)
    this.begun.delete(writer.id)
    return id
  }

  /** @internal (ImportTarget) Deletes a staged import. */
  discardImport(writer: SessionWriter): void {
    recordingHere.delete(writer.id)
    this.begun.delete(writer.id)
    if (this.closed) return // Its row is deleted when the library next opens.
    this.db.transaction(() => this.deleteRows(writer.key))()
    this.reclaimSpace()
  }

  /**
   * A session as a session file's parts: the header, and its queries read a page at a time
   * as the file is written (never all in memory). Null when there is no such session.
   */
  async exportSession(id: string): Promise<{
    header: Omit<SessionFile, 'format' | 'version' | 'queries'>
    queries: Iterable<QueryRecord>
  } | null> {
    const session = await this.get(id)
    if (!session) return null
    const { key } = this.db.prepare('SELECT key FROM sessions WHERE id = ?').get(id) as {
      key: number
    }
    const header: Omit<SessionFile, 'format' | 'version' | 'queries'> = {
      session: {
        id: session.id,
        name: session.name,
        startedAt: session.startedAt,
        endedAt: session.startedAt + session.durationMs,
      },
      apps: session.apps,
      counters: {
        received: session.queryCount + session.notPersisted,
        stored: session.queryCount,
        evicted: session.notPersisted,
        rejected: 0,
        droppedByAgents: session.apps.reduce((sum, app) => sum + app.droppedByAgent, 0),
      },
    }
    // Stored findings go in as they are; without them (a recovered session) the file writer
    // works them out from the queries as it writes them.
    if (session.findings) {
      header.settings = session.findings.settings
      header.findings = session.findings.findings
      header.insights = session.findings.insights
    }
    const page = this.db.prepare(
      `SELECT q.id, q.app_id AS appId, s.sql, q.params, q.start_time AS startTime,
         q.duration_ms AS durationMs, q.rows, q.error_type AS errorType,
         q.error_message AS errorMessage, q.connection_id AS connectionId,
         q.context_id AS contextId, q.context_name AS contextName, k.frames AS stack
       FROM queries q
       JOIN statements s ON s.session_key = q.session_key AND s.id = q.statement_id
       LEFT JOIN stacks k ON k.session_key = q.session_key AND k.id = q.stack_id
       WHERE q.session_key = ? AND q.id > ?
       ORDER BY q.id LIMIT 1000`,
    )
    function* queries(): Generator<QueryRecord> {
      let after = 0
      for (;;) {
        // A page at a time, each read finished before the caller awaits: an open cursor
        // would keep the shared connection busy for the recorder.
        const rows = page.all(key, after) as RawStoredQuery[]
        if (rows.length === 0) return
        for (const row of rows) yield toQueryRecord(row)
        after = rows[rows.length - 1]!.id
      }
    }
    return { header, queries: queries() }
  }

  /** Disk used by the library, and how many sessions and queries it holds. */
  async storage(): Promise<StorageUse> {
    const counts = (await this.sessions
      .createQueryBuilder('session')
      .select('COUNT(*)', 'sessions')
      .addSelect('TOTAL(session.queryCount)', 'queries')
      .where(`session.status != 'importing'`)
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
    for (const table of ['queries', 'statements', 'stacks', 'session_apps', 'session_findings']) {
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
    // Every read leaves `importing` rows out before they get here.
    status: row.status as StoredSessionStatus,
    queryCount: row.queryCount,
    failedCount: row.failedCount,
    notPersisted: row.notPersisted,
    findingsCount: row.findingsCount,
    health: row.health as StoredHealth,
    bytes: row.bytes,
  }
}

function toSessionFindings(row: SessionFindingsRow): SessionFindings {
  return {
    settings: JSON.parse(row.settings) as AnalysisSettings,
    findings: JSON.parse(row.findings) as Finding[],
    insights: JSON.parse(row.insights) as RecurringInsight[],
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
