/**
 * Session file version 0: the pre-release shape. A session (id, name, start, end), its apps,
 * the live counters and the queries; no analysis settings, findings, insights, health or
 * metrics, and no session note or status.
 *
 * The pre-release writer stamped these files `"version": 1`, so the reader takes a version-1
 * file holding none of the fields version 1 added (`settings`, `findings`, `insights`,
 * `health`, `metrics`) as version 0; `"version": 0` is read the same way.
 *
 * Frozen: this file describes files that exist. Version 1 (`v1.ts`) reuses its query, app
 * and counters schemas unchanged.
 */
import { z } from 'zod'

export const VERSION = 0

export const stackFrameSchema = z.strictObject({
  function: z.string().optional(),
  file: z.string(),
  line: z.number().int().nonnegative().optional(),
  column: z.number().int().nonnegative().optional(),
})

export const querySchema = z.strictObject({
  id: z.number().int().positive(),
  appId: z.string(),
  sql: z.string(),
  params: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]).optional(),
  startTime: z.number().nonnegative(),
  durationMs: z.number().nonnegative(),
  rows: z.number().int().nonnegative().optional(),
  error: z.strictObject({ type: z.string().optional(), message: z.string() }).optional(),
  connectionId: z.string().optional(),
  context: z.strictObject({ id: z.string(), name: z.string().optional() }).optional(),
  stack: z.array(stackFrameSchema).optional(),
})

const nameAndVersion = z.looseObject({ name: z.string(), version: z.string().optional() })

/** An app as the hello named it. Loose: fields an agent adds later are kept as they are. */
export const appSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  runtime: nameAndVersion.optional(),
  orm: nameAndVersion.optional(),
  dbSystem: z.string().optional(),
  pid: z.number().int().optional(),
  host: z.string().optional(),
  agent: nameAndVersion.optional(),
  connectedAt: z.number(),
  disconnectedAt: z.number().optional(),
  received: z.number().int().nonnegative(),
  droppedByAgent: z.number().int().nonnegative(),
})

const count = z.number().int().nonnegative()

export const countersSchema = z.strictObject({
  received: count,
  stored: count,
  evicted: count,
  rejected: count,
  droppedByAgents: count,
})

export const sessionSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().optional(),
  startedAt: z.number(),
  endedAt: z.number(),
})

/** The fields around `queries`, each read (and checked) whole. */
export const fields = {
  session: sessionSchema,
  apps: z.array(appSchema),
  counters: countersSchema,
}

export type QueryV0 = z.infer<typeof querySchema>

export interface EnvelopeV0 {
  format: 'fastorm-profiler-session'
  version: 0 | 1
  session: z.infer<typeof sessionSchema>
  apps: z.infer<typeof appSchema>[]
  counters: z.infer<typeof countersSchema>
}

/**
 * The analysis settings the pre-release profiler used unless told otherwise: the best
 * guess at what a v0 session was looked at with, and what its findings are derived with.
 */
export const PRE_RELEASE_SETTINGS = {
  nPlusOneThreshold: 5,
  duplicateThreshold: 2,
  writeLoopThreshold: 5,
  slowQueryMs: 100,
  outlierFactor: 10,
  outlierMinMs: 5,
  burstGapMs: 100,
} as const
