/**
 * Agent protocol, version 1: the JSON messages an agent sends over the WebSocket at
 * `/agent`, and the replies it gets. `docs/protocol.md` is the prose version of this file;
 * change both together. Field names follow the OpenTelemetry database conventions where one
 * exists (`db.system.name`, `db.query.text`, ...), so OTLP spans map onto them directly.
 *
 * The flow: the agent opens the socket with `Authorization: Bearer <token>`, sends one
 * `hello`, then `batch` messages, each holding many events. A bad message or event gets an
 * `error` reply naming the problem; the connection and the good events around it survive.
 */
import { z } from 'zod'

export const PROTOCOL_VERSION = 1

/** Longest query text kept; longer texts are cut and marked (a runaway string concat). */
export const MAX_QUERY_TEXT = 100_000
/** Deepest call-site stack kept per query. */
export const MAX_STACK_FRAMES = 64
/** Deepest stack accepted at all; frames past MAX_STACK_FRAMES are cut on ingest. */
export const MAX_STACK_FRAMES_ACCEPTED = 1000

const finiteNumber = z.number().refine(Number.isFinite, 'expected a finite number')
const nonNegative = finiteNumber.refine((n) => n >= 0, 'expected a number >= 0')

const nameAndVersion = z.object({
  name: z.string().min(1).max(200),
  version: z.string().max(100).optional(),
})

export const helloSchema = z.object({
  type: z.literal('hello'),
  protocol: z.literal(PROTOCOL_VERSION),
  app: z.object({ name: z.string().min(1).max(200) }),
  runtime: nameAndVersion.optional(),
  orm: nameAndVersion.optional(),
  'db.system.name': z.string().max(100).optional(),
  pid: z.number().int().nonnegative().optional(),
  host: z.string().max(255).optional(),
  agent: nameAndVersion.optional(),
})
export type HelloMessage = z.infer<typeof helloSchema>

export const stackFrameSchema = z.object({
  function: z.string().max(1000).optional(),
  file: z.string().max(4096),
  line: z.number().int().nonnegative().optional(),
  column: z.number().int().nonnegative().optional(),
})

export const queryEventSchema = z.object({
  type: z.literal('query'),
  'db.query.text': z.string(),
  /** Positional (`[7]`) or named (`{ "id": 7 }`) parameters. */
  'db.query.parameters': z
    .union([z.array(z.unknown()), z.record(z.string(), z.unknown())])
    .optional(),
  /** When the query started, epoch milliseconds, fractional. */
  startTime: nonNegative,
  durationMs: nonNegative,
  'db.response.returned_rows': z.number().int().nonnegative().optional(),
  error: z
    .object({ type: z.string().max(200).optional(), message: z.string().max(10_000) })
    .optional(),
  connectionId: z.union([z.string().max(200), z.number()]).optional(),
  context: z
    .object({ id: z.string().min(1).max(200), name: z.string().max(500).optional() })
    .optional(),
  stack: z.array(stackFrameSchema).max(MAX_STACK_FRAMES_ACCEPTED).optional(),
})
export type QueryEvent = z.infer<typeof queryEventSchema>

/**
 * Metrics messages (process, connection pool, cache). Their fields are fixed by the Metrics
 * and health work; version 1 already accepts them so agents can send them without a
 * protocol bump: a `time` and any numeric or string attributes.
 */
export const metricsEventSchema = z.object({
  type: z.enum(['process', 'pool', 'cache']),
  time: nonNegative,
  attributes: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
})
export type MetricsEvent = z.infer<typeof metricsEventSchema>

/**
 * The end of a context (`withContext`'s function settled): the profiler closes that context
 * at once instead of waiting for it to go idle, so its findings are final. Optional: an agent
 * sends it only to a profiler whose welcome lists `context-end` in `features`, and a context
 * that never gets one still closes after its idle time.
 */
export const contextEndEventSchema = z.object({
  type: z.literal('context-end'),
  context: z.object({ id: z.string().min(1).max(200) }),
  /** When it ended, epoch milliseconds, fractional. */
  time: nonNegative,
})
export type ContextEndEvent = z.infer<typeof contextEndEventSchema>

export const agentEventSchema = z.discriminatedUnion('type', [
  queryEventSchema,
  contextEndEventSchema,
  metricsEventSchema,
])
export type AgentEvent = z.infer<typeof agentEventSchema>

/**
 * A batch: the events are validated one by one (see the ingest endpoint), so the envelope
 * only checks that `events` is an array.
 */
export const batchEnvelopeSchema = z.object({
  type: z.literal('batch'),
  /** The agent's batch counter, echoed in error replies. */
  seq: z.number().int().nonnegative().optional(),
  /** Events the agent dropped so far (cumulative), because its queue was full. */
  dropped: z.number().int().nonnegative().optional(),
  events: z.array(z.unknown()),
})
export type BatchEnvelope = z.infer<typeof batchEnvelopeSchema>

export type AgentMessage = HelloMessage | BatchEnvelope

/** What this profiler takes beyond the events every version-1 profiler takes. */
export const FEATURES = ['context-end'] as const
export type Feature = (typeof FEATURES)[number]

/** Replies from the profiler to an agent. */
export type ProfilerReply =
  | {
      type: 'welcome'
      protocol: number
      appId: string
      sessionId: string
      maxPayload: number
      /** Optional events it takes (an agent sends them only when listed here). */
      features: Feature[]
    }
  | {
      type: 'error'
      /** What was wrong: `not-json`, `bad-message`, `bad-event`, `no-hello`, `unsupported-protocol`. */
      code: ErrorCode
      message: string
      /** The batch's `seq`, when the problem was inside a batch. */
      seq?: number
      /** Index of the bad event within its batch. */
      index?: number
    }

export type ErrorCode =
  'not-json' | 'bad-message' | 'bad-event' | 'no-hello' | 'unsupported-protocol'
