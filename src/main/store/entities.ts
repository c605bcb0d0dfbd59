/**
 * The session library's tables, as TypeORM entities.
 *
 * EntitySchema rather than decorated classes: the build goes through rolldown (electron-vite)
 * and the tests through vitest, and both would have to keep legacy decorators and emit their
 * type metadata exactly as tsc does; a schema object needs neither, and its column types are
 * spelled out instead of inferred from TypeScript types (which metadata cannot do for
 * `string | null` or a union of literals). The rows are plain interfaces, so nothing that
 * leaves this folder is an entity instance.
 *
 * Layout: `sessions` (one row per recorded session, with running totals so the library list
 * never scans queries), `session_apps`, and `queries`, whose SQL texts and call-site stacks
 * live once per session in `statements` and `stacks` (an app repeats a few hundred statements
 * and call sites millions of times; storing them once keeps a million-query session small and
 * makes "search by SQL text" a scan of the distinct texts, not of every query). The per-session
 * tables are WITHOUT ROWID, clustered on (session key, id): a page of a session is one range
 * of the primary key and needs no second index. Sessions have an integer `key` for those
 * references and a public `id` (the live session's UUID).
 */
import { EntitySchema } from 'typeorm'
import type { StoredSessionStatus } from '../../shared/library'

export type { StoredSessionStatus }

/**
 * `importing`: a session file being imported (its rows are written in batches, each its own
 * transaction, and become visible when the import commits). Never leaves the store.
 */
export type SessionRowStatus = StoredSessionStatus | 'importing'

export interface SessionRow {
  key: number
  id: string
  name: string
  note: string
  startedAt: number
  /** Set when the session ends (or, for a recovered one, its last write). */
  endedAt: number | null
  /** Time of the last write; what a recovered session's end is taken from. */
  updatedAt: number
  status: SessionRowStatus
  /** JSON array of the distinct app names. */
  appNames: string
  queryCount: number
  failedCount: number
  totalQueryMs: number
  /** Estimated bytes this session takes in the database (what retention by size counts). */
  bytes: number
  /** Queries evicted from the live session before the recorder could write them. */
  notPersisted: number
  findingsCount: number
  health: string | null
  /** JSON object: the settings the session was recorded with. */
  settings: string
  /** The process recording it, while `status` is `recording`. */
  recorderPid: number | null
}

export interface SessionAppRow {
  sessionKey: number
  appId: string
  name: string
  /** JSON `{ name, version? }` objects, as the agent's hello gave them. */
  runtime: string | null
  orm: string | null
  agent: string | null
  dbSystem: string | null
  pid: number | null
  host: string | null
  connectedAt: number
  disconnectedAt: number | null
  received: number
  droppedByAgent: number
}

export interface StatementRow {
  sessionKey: number
  id: number
  sql: string
}

export interface StackRow {
  sessionKey: number
  id: number
  /** JSON array of frames, innermost first. */
  frames: string
}

export interface QueryRowEntity {
  sessionKey: number
  /** The query's id in its live session (from 1; gaps where queries were not persisted). */
  id: number
  appId: string
  statementId: number
  /** JSON, as the agent sent the parameters. */
  params: string | null
  startTime: number
  durationMs: number
  rows: number | null
  errorType: string | null
  errorMessage: string | null
  connectionId: string | null
  contextId: string | null
  contextName: string | null
  stackId: number | null
}

/** A session's findings as the analysis left them (JSON texts); absent for a crashed one. */
export interface SessionFindingsRow {
  sessionKey: number
  /** `AnalysisSettings`: what the findings were found with. */
  settings: string
  /** `Finding[]`, most severe first. */
  findings: string
  /** `RecurringInsight[]`. */
  insights: string
}

export interface StoreSettingRow {
  key: string
  /** JSON. */
  value: string
}

const integer = (name: string, nullable = false) => ({ type: 'integer', name, nullable }) as const
const real = (name: string) => ({ type: 'real', name }) as const
const text = (name: string, nullable = false) => ({ type: 'text', name, nullable }) as const

export const SessionEntity = new EntitySchema<SessionRow>({
  name: 'Session',
  tableName: 'sessions',
  columns: {
    key: { type: 'integer', primary: true, generated: 'increment' },
    id: text('id'),
    name: text('name'),
    note: { ...text('note'), default: '' },
    startedAt: integer('started_at'),
    endedAt: integer('ended_at', true),
    updatedAt: integer('updated_at'),
    status: text('status'),
    appNames: { ...text('app_names'), default: '[]' },
    queryCount: { ...integer('query_count'), default: 0 },
    failedCount: { ...integer('failed_count'), default: 0 },
    totalQueryMs: { ...real('total_query_ms'), default: 0 },
    bytes: { ...integer('bytes'), default: 0 },
    notPersisted: { ...integer('not_persisted'), default: 0 },
    findingsCount: { ...integer('findings_count'), default: 0 },
    health: text('health', true),
    settings: { ...text('settings'), default: '{}' },
    recorderPid: integer('recorder_pid', true),
  },
  indices: [
    { name: 'IDX_sessions_id', columns: ['id'], unique: true },
    { name: 'IDX_sessions_started_at', columns: ['startedAt'] },
  ],
})

export const SessionAppEntity = new EntitySchema<SessionAppRow>({
  name: 'SessionApp',
  tableName: 'session_apps',
  withoutRowid: true,
  columns: {
    sessionKey: { ...integer('session_key'), primary: true },
    appId: { ...text('app_id'), primary: true },
    name: text('name'),
    runtime: text('runtime', true),
    orm: text('orm', true),
    agent: text('agent', true),
    dbSystem: text('db_system', true),
    pid: integer('pid', true),
    host: text('host', true),
    connectedAt: integer('connected_at'),
    disconnectedAt: integer('disconnected_at', true),
    received: integer('received'),
    droppedByAgent: integer('dropped_by_agent'),
  },
})

export const StatementEntity = new EntitySchema<StatementRow>({
  name: 'Statement',
  tableName: 'statements',
  withoutRowid: true,
  columns: {
    sessionKey: { ...integer('session_key'), primary: true },
    id: { ...integer('id'), primary: true },
    sql: text('sql'),
  },
})

export const StackEntity = new EntitySchema<StackRow>({
  name: 'Stack',
  tableName: 'stacks',
  withoutRowid: true,
  columns: {
    sessionKey: { ...integer('session_key'), primary: true },
    id: { ...integer('id'), primary: true },
    frames: text('frames'),
  },
})

export const QueryEntity = new EntitySchema<QueryRowEntity>({
  name: 'Query',
  tableName: 'queries',
  withoutRowid: true,
  columns: {
    sessionKey: { ...integer('session_key'), primary: true },
    id: { ...integer('id'), primary: true },
    appId: text('app_id'),
    statementId: integer('statement_id'),
    params: text('params', true),
    startTime: real('start_time'),
    durationMs: real('duration_ms'),
    rows: integer('rows', true),
    errorType: text('error_type', true),
    errorMessage: text('error_message', true),
    connectionId: text('connection_id', true),
    contextId: text('context_id', true),
    contextName: text('context_name', true),
    stackId: integer('stack_id', true),
  },
})

export const SessionFindingsEntity = new EntitySchema<SessionFindingsRow>({
  name: 'SessionFindings',
  tableName: 'session_findings',
  columns: {
    sessionKey: { ...integer('session_key'), primary: true },
    settings: text('settings'),
    findings: text('findings'),
    insights: text('insights'),
  },
})

export const StoreSettingEntity = new EntitySchema<StoreSettingRow>({
  name: 'StoreSetting',
  tableName: 'store_settings',
  columns: {
    key: { ...text('key'), primary: true },
    value: text('value'),
  },
})

/** Every entity, listed explicitly: a glob would find nothing once the code is bundled. */
export const STORE_ENTITIES = [
  SessionEntity,
  SessionAppEntity,
  StatementEntity,
  StackEntity,
  QueryEntity,
  SessionFindingsEntity,
  StoreSettingEntity,
]
