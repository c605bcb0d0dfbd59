/**
 * The hot path of the library: one session's queries written in batches, each batch one
 * transaction of better-sqlite3 prepared statements (no TypeORM on this path; see
 * data-source.ts). A batch is all or nothing: when it fails, nothing of it is counted as
 * written and the caller can try the same queries again.
 *
 * SQL texts and stacks are written once per session (`statements`, `stacks`) and referenced
 * by number. The live session already shares one stack array between the queries that repeat
 * it, so a stack is found by identity first and only serialised when it is new.
 */
import type { AppInfo, QueryRecord, StackFrame } from '../../shared/domain'
import type { SqliteConnection } from './data-source'

/** Distinct texts / stacks remembered per session; past this the maps start again. */
const MAX_REMEMBERED = 100_000
/** Rough per-row overhead in the b-trees (keys, record header, numbers), for the estimate. */
const QUERY_ROW_OVERHEAD = 48
const TEXT_ROW_OVERHEAD = 16

export interface SessionTotals {
  queryCount: number
  failedCount: number
  totalQueryMs: number
  bytes: number
  notPersisted: number
  /** The live analysis' findings when the batch was written (kept as it goes, for a crash). */
  findingsCount: number
}

/** The prepared statements, made once per database and shared by every writer. */
export class WriteStatements {
  readonly insertQuery
  readonly insertStatement
  readonly insertStack
  readonly upsertApp
  readonly updateSession

  constructor(readonly db: SqliteConnection) {
    this.insertQuery = db.prepare(
      `INSERT INTO queries (session_key, id, app_id, statement_id, params, start_time,
         duration_ms, rows, error_type, error_message, connection_id, context_id,
         context_name, stack_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    this.insertStatement = db.prepare(
      'INSERT INTO statements (session_key, id, sql) VALUES (?, ?, ?)',
    )
    this.insertStack = db.prepare('INSERT INTO stacks (session_key, id, frames) VALUES (?, ?, ?)')
    this.upsertApp = db.prepare(
      `INSERT INTO session_apps (session_key, app_id, name, runtime, orm, agent, db_system, pid,
         host, connected_at, disconnected_at, received, dropped_by_agent)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (session_key, app_id) DO UPDATE SET
         name = excluded.name, disconnected_at = excluded.disconnected_at,
         received = excluded.received, dropped_by_agent = excluded.dropped_by_agent`,
    )
    this.updateSession = db.prepare(
      `UPDATE sessions SET query_count = ?, failed_count = ?, total_query_ms = ?, bytes = ?,
         not_persisted = ?, findings_count = ?, app_names = ?, updated_at = ?
       WHERE key = ?`,
    )
  }
}

export class SessionWriter {
  private totals: SessionTotals = {
    queryCount: 0,
    failedCount: 0,
    totalQueryMs: 0,
    bytes: 0,
    notPersisted: 0,
    findingsCount: 0,
  }
  private appNames: string[] = []
  private appsWritten = '[]'
  private nextStatementId = 1
  private nextStackId = 1
  private statementIds = new Map<string, number>()
  private stackIdsByArray = new WeakMap<StackFrame[], number>()
  private stackIdsByJson = new Map<string, number>()
  private readonly writeBatch: (queries: QueryRecord[], apps: AppInfo[], now: number) => void

  constructor(
    private readonly statements: WriteStatements,
    /** The session's row key. */
    readonly key: number,
    /** The session's public id (the live session's UUID). */
    readonly id: string,
  ) {
    // IMMEDIATE: take the write lock up front, so a second writer (another process on the
    // same data directory) waits at BEGIN under the busy timeout instead of failing mid-way.
    this.writeBatch = statements.db.transaction(this.insertBatch.bind(this)).immediate
  }

  /** Nothing written yet: no query, no app. */
  get isEmpty(): boolean {
    return (
      this.totals.queryCount === 0 && this.totals.notPersisted === 0 && this.appNames.length === 0
    )
  }

  /** What has been written so far. */
  get written(): Readonly<SessionTotals> {
    return this.totals
  }

  /**
   * Writes `queries` (ascending ids, none written before) and the apps' current state in one
   * transaction. `notPersisted` is added to the count of queries that were lost before they
   * could be written; `findingsCount` is the session's findings now (default: unchanged).
   * Skips the transaction when there is nothing new.
   */
  write(
    queries: QueryRecord[],
    apps: AppInfo[],
    notPersisted = 0,
    now = Date.now(),
    findingsCount = this.totals.findingsCount,
  ): void {
    const appsState = JSON.stringify(apps)
    if (
      queries.length === 0 &&
      notPersisted === 0 &&
      appsState === this.appsWritten &&
      findingsCount === this.totals.findingsCount
    ) {
      return
    }
    const before = { ...this.totals }
    const appNamesBefore = this.appNames
    try {
      this.totals.notPersisted += notPersisted
      this.totals.findingsCount = findingsCount
      this.writeBatch(queries, apps, now)
      this.appsWritten = appsState
    } catch (error) {
      // Rolled back: forget what this batch added, so the same queries can be written again.
      this.totals = before
      this.appNames = appNamesBefore
      this.statementIds = new Map()
      this.stackIdsByArray = new WeakMap()
      this.stackIdsByJson = new Map()
      throw error
    }
  }

  private insertBatch(queries: QueryRecord[], apps: AppInfo[], now: number): void {
    const { insertQuery, upsertApp, updateSession } = this.statements
    const key = this.key
    const totals = this.totals
    for (const query of queries) {
      const params = query.params === undefined ? null : json(query.params)
      const error = query.error
      const context = query.context
      insertQuery.run(
        key,
        query.id,
        query.appId,
        this.statementId(query.sql),
        params,
        query.startTime,
        query.durationMs,
        query.rows ?? null,
        error?.type ?? null,
        error?.message ?? null,
        query.connectionId ?? null,
        context?.id ?? null,
        context?.name ?? null,
        query.stack === undefined ? null : this.stackId(query.stack),
      )
      totals.queryCount++
      totals.totalQueryMs += query.durationMs
      totals.bytes +=
        QUERY_ROW_OVERHEAD +
        query.appId.length +
        (params?.length ?? 0) +
        (query.connectionId?.length ?? 0) +
        (context === undefined ? 0 : context.id.length + (context.name?.length ?? 0))
      if (error !== undefined) {
        totals.failedCount++
        totals.bytes += (error.type?.length ?? 0) + error.message.length
      }
    }
    for (const app of apps) {
      upsertApp.run(
        key,
        app.id,
        app.name,
        app.runtime === undefined ? null : json(app.runtime),
        app.orm === undefined ? null : json(app.orm),
        app.agent === undefined ? null : json(app.agent),
        app.dbSystem ?? null,
        app.pid ?? null,
        app.host ?? null,
        app.connectedAt,
        app.disconnectedAt ?? null,
        app.received,
        app.droppedByAgent,
      )
      if (!this.appNames.includes(app.name)) this.appNames = [...this.appNames, app.name]
    }
    updateSession.run(
      totals.queryCount,
      totals.failedCount,
      totals.totalQueryMs,
      totals.bytes,
      totals.notPersisted,
      totals.findingsCount,
      JSON.stringify(this.appNames),
      now,
      key,
    )
  }

  private statementId(sql: string): number {
    let id = this.statementIds.get(sql)
    if (id === undefined) {
      id = this.nextStatementId++
      this.statements.insertStatement.run(this.key, id, sql)
      this.totals.bytes += TEXT_ROW_OVERHEAD + sql.length
      if (this.statementIds.size >= MAX_REMEMBERED) this.statementIds.clear()
      this.statementIds.set(sql, id)
    }
    return id
  }

  private stackId(stack: StackFrame[]): number {
    let id = this.stackIdsByArray.get(stack)
    if (id !== undefined) return id
    const frames = json(stack)
    id = this.stackIdsByJson.get(frames)
    if (id === undefined) {
      id = this.nextStackId++
      this.statements.insertStack.run(this.key, id, frames)
      this.totals.bytes += TEXT_ROW_OVERHEAD + frames.length
      if (this.stackIdsByJson.size >= MAX_REMEMBERED) this.stackIdsByJson.clear()
      this.stackIdsByJson.set(frames, id)
    }
    this.stackIdsByArray.set(stack, id)
    return id
  }
}

/** JSON for a value that came in as JSON; anything else (a BigInt from a test) as a string. */
function json(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null'
  } catch {
    return JSON.stringify(String(value))
  }
}
