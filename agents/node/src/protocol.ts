/**
 * The messages this agent sends and receives: protocol version 1, as declared (with zod) in
 * the profiler's `src/shared/protocol/v1.ts`. The agent is its own package with `ws` as its
 * only dependency, so it restates the shapes as plain types; keep the two in step.
 */

export const PROTOCOL_VERSION = 1

/** The profiler cuts longer query texts; cutting here too keeps batches small. */
export const MAX_QUERY_TEXT = 100_000
/** The profiler keeps at most this many frames per query. */
export const MAX_STACK_FRAMES = 64

export interface NameAndVersion {
  name: string
  version?: string
}

export interface HelloMessage {
  type: 'hello'
  protocol: typeof PROTOCOL_VERSION
  app: { name: string }
  runtime?: NameAndVersion
  orm?: NameAndVersion
  'db.system.name'?: string
  pid?: number
  host?: string
  agent?: NameAndVersion
}

export interface StackFrame {
  function?: string
  file: string
  line?: number
  column?: number
}

export interface QueryEvent {
  type: 'query'
  'db.query.text': string
  /** Positional (`[7]`) or named (`{ "id": 7 }`) parameters. */
  'db.query.parameters'?: unknown[] | Record<string, unknown>
  /** When the query started, epoch milliseconds, fractional. */
  startTime: number
  durationMs: number
  'db.response.returned_rows'?: number
  error?: { type?: string; message: string }
  connectionId?: string | number
  context?: { id: string; name?: string }
  /** Innermost first; the first frame is the call site in the app's own code. */
  stack?: StackFrame[]
}

/** A context has ended; sent only to a profiler whose welcome lists `context-end`. */
export interface ContextEndEvent {
  type: 'context-end'
  context: { id: string }
  /** When it ended, epoch milliseconds, fractional. */
  time: number
}

/** The optional event the welcome's `features` must list before the agent sends it. */
export const CONTEXT_END_FEATURE = 'context-end'

export interface BatchMessage {
  type: 'batch'
  seq: number
  /** Events this agent dropped so far (cumulative) because its queue was full. */
  dropped: number
  events: (QueryEvent | ContextEndEvent)[]
}

export type ProfilerReply =
  | {
      type: 'welcome'
      protocol: number
      appId: string
      sessionId: string
      maxPayload: number
      /** Optional events the profiler takes (older profilers send none). */
      features?: string[]
    }
  | { type: 'error'; code: string; message: string; seq?: number; index?: number }
