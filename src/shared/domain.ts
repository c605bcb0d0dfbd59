/**
 * Domain types shared by the core, the renderer and the agents' tests: what a recorded
 * query, a connected app and the live counters look like once they are inside the profiler.
 * Plain data only, so they cross IPC, the browser-mode RPC and session files unchanged.
 */

/** Epoch milliseconds, fractional (sub-millisecond precision). */
export type EpochMs = number

/** A duration in milliseconds, fractional. */
export type DurationMs = number

/** One frame of the call-site stack an agent captured, innermost first. */
export interface StackFrame {
  function?: string
  file: string
  line?: number
  column?: number
}

/** The request / job / transaction a query ran in, as the agent's context named it. */
export interface QueryContext {
  id: string
  name?: string
}

export interface QueryError {
  /** The driver's error class or code, e.g. `SQLITE_ERROR`, `23505`. */
  type?: string
  message: string
}

/** Named (`{ id: 7 }`) or positional (`[7]`) query parameters, as the agent sent them. */
export type QueryParams = unknown[] | Record<string, unknown>

/** A query as the profiler holds it: one agent event plus the ids the profiler gave it. */
export interface QueryRecord {
  /** Sequence number within the session, from 1, never reused. */
  id: number
  /** The connected app (agent connection) that sent it. */
  appId: string
  sql: string
  params?: QueryParams
  startTime: EpochMs
  durationMs: DurationMs
  rows?: number
  error?: QueryError
  connectionId?: string
  context?: QueryContext
  stack?: StackFrame[]
}

/** The row the Queries table shows: a record without its heavy parts. */
export interface QueryRow {
  id: number
  appId: string
  sql: string
  startTime: EpochMs
  durationMs: DurationMs
  rows?: number
  failed: boolean
  contextName?: string
}

export interface AppInfo {
  /** Unique per agent connection in this session. */
  id: string
  name: string
  runtime?: { name: string; version?: string }
  orm?: { name: string; version?: string }
  /** OpenTelemetry `db.system.name`: `postgresql`, `mysql`, `sqlite`, ... */
  dbSystem?: string
  pid?: number
  host?: string
  agent?: { name: string; version?: string }
  connectedAt: EpochMs
  /** Set when the agent's connection closed; the app stays listed with its queries. */
  disconnectedAt?: EpochMs
  /** Events received from this app (valid ones). */
  received: number
  /** Events the agent itself reported dropping (its queue was full). */
  droppedByAgent: number
}

/** The live counters; every number is exact, none is sampled. */
export interface SessionCounters {
  /** Valid events accepted from agents since the session started. */
  received: number
  /** Events held in the live session now. */
  stored: number
  /** Events evicted because the live session reached its capacity (oldest first). */
  evicted: number
  /** Events refused as malformed (each one got an error reply). */
  rejected: number
  /** Events the agents reported dropping before sending (their queues were full). */
  droppedByAgents: number
}

export interface ProfilerStatus {
  sessionId: string
  sessionStartedAt: EpochMs
  /** Maximum number of queries the live session holds before evicting the oldest. */
  capacity: number
  counters: SessionCounters
  /** Apps seen this session, connected or not. */
  apps: AppInfo[]
  /** Apps whose agent is connected now. */
  connectedApps: number
  /** Events received per second, averaged over the last few seconds. */
  eventsPerSecond: number
  agentUrl: string
}
