/**
 * Session file version 1 (`docs/session-format.md`, `docs/session-format.schema.json`):
 * version 0's session, apps, counters and queries, plus the session's note and status, the
 * analysis settings, the findings and insights they produced, health and metrics samples.
 *
 * `up` migrates a version-0 envelope. Version 0 kept no findings, so a migrated file's
 * `findings` and `insights` are derived by the reader from the queries, with the settings
 * `up` fills in (`DERIVED_FROM_QUERIES`).
 *
 * The next version goes in `v2.ts` with its own `up(v1)`; this file then stays as it is.
 */
import { z } from 'zod'
import * as v0 from './v0'

export const VERSION = 1

export { appSchema, countersSchema, querySchema, stackFrameSchema } from './v0'

export const sessionStatusSchema = z.enum(['complete', 'recovered', 'recording'])

export const sessionSchema = z.strictObject({
  id: z.string().min(1),
  name: z.string().optional(),
  note: z.string().optional(),
  startedAt: z.number(),
  endedAt: z.number(),
  /** Absent means `complete`. */
  status: sessionStatusSchema.optional(),
})

const threshold = z.number().nonnegative()

/** `AnalysisSettings`. Loose: a setting added later is kept; one missing is not read here. */
export const settingsSchema = z.looseObject({
  nPlusOneThreshold: threshold,
  duplicateThreshold: threshold,
  writeLoopThreshold: threshold,
  slowQueryMs: threshold,
  outlierFactor: threshold,
  outlierMinMs: threshold,
  burstGapMs: threshold,
})

// Findings and insights are the analysis's own objects, saved as they were: the fields a
// reader relies on are checked, anything else is kept.
const callSiteSchema = z.looseObject({
  file: z.string(),
  function: z.string().optional(),
  line: z.number().optional(),
  column: z.number().optional(),
})

export const findingSchema = z.looseObject({
  id: z.string(),
  kind: z.enum(['n-plus-one', 'duplicate', 'write-loop']),
  severity: z.enum(['warning', 'error', 'critical']),
  fingerprintId: z.string(),
  fingerprint: z.string(),
  count: z.number().int().nonnegative(),
  totalMs: z.number().nonnegative(),
  scope: z.looseObject({
    kind: z.enum(['context', 'connection-burst']),
    id: z.string(),
    name: z.string().optional(),
    appId: z.string(),
  }),
  callSites: z.array(callSiteSchema),
  sourceQueryId: z.number().int().positive().optional(),
  sourceSql: z.string().optional(),
  queryIds: z.array(z.number().int().positive()),
  firstSeen: z.number(),
  lastSeen: z.number(),
  suggestion: z.string(),
})

export const insightSchema = z.looseObject({
  kind: z.literal('recurring-n-plus-one'),
  fingerprintId: z.string(),
  fingerprint: z.string(),
  contexts: z.number().int().nonnegative(),
  medianRepeats: z.number().nonnegative(),
  totalMs: z.number().nonnegative(),
  callSites: z.array(callSiteSchema),
  suggestion: z.string(),
})

/** Health as it was: null until the health checks exist; then their object, kept as is. */
export const healthSchema = z.record(z.string(), z.unknown()).nullable()

/** One sample of a metric: when, of what kind (`host`, `process`, `pool`, ...), its values. */
export const metricSampleSchema = z.looseObject({
  time: z.number(),
  kind: z.string().min(1),
  appId: z.string().optional(),
  attributes: z.record(z.string(), z.unknown()),
})

/** The fields read whole. */
export const fields = {
  session: sessionSchema,
  apps: v0.fields.apps,
  counters: v0.countersSchema,
  settings: settingsSchema,
  health: healthSchema,
}

/** The array fields read element by element, besides `queries`. */
export const arrays = {
  findings: findingSchema,
  insights: insightSchema,
  metrics: metricSampleSchema,
}

/** The fields version 1 added to version 0: a "version 1" file with none of them is a v0 file. */
export const ADDED_FIELDS = ['settings', 'findings', 'insights', 'health', 'metrics'] as const

export const REQUIRED_FIELDS = [
  'format',
  'version',
  'session',
  'apps',
  'counters',
  'settings',
  'queries',
  'findings',
  'insights',
  'health',
  'metrics',
] as const

export type SessionMetaV1 = z.infer<typeof sessionSchema>
export type MetricSampleV1 = z.infer<typeof metricSampleSchema>

export interface EnvelopeV1 {
  format: 'fastorm-profiler-session'
  version: 1
  session: SessionMetaV1
  apps: z.infer<typeof v0.appSchema>[]
  counters: z.infer<typeof v0.countersSchema>
  settings: z.infer<typeof settingsSchema>
  findings: z.infer<typeof findingSchema>[]
  insights: z.infer<typeof insightSchema>[]
  health: z.infer<typeof healthSchema>
  metrics: MetricSampleV1[]
}

/** Marks what `up` could not carry over and the reader must derive from the queries. */
export const DERIVED_FROM_QUERIES = ['findings', 'insights'] as const

/** Version 0 → 1. Queries are unchanged. */
export function up(old: v0.EnvelopeV0): EnvelopeV1 {
  return {
    format: old.format,
    version: 1,
    session: old.session,
    apps: old.apps,
    counters: old.counters,
    settings: { ...v0.PRE_RELEASE_SETTINGS },
    findings: [],
    insights: [],
    health: null,
    metrics: [],
  }
}
