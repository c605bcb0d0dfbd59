/**
 * Validation of request arguments at the trust boundaries (IPC from the renderer, the
 * browser-mode RPC socket). Inside the core the plain types of `api.ts` are trusted.
 */
import { z } from 'zod'
import { MAX_PAGE_SIZE, type RequestChannel } from './api'
import { EXPORT_FORMATS, REPORT_KINDS, REPORT_SECTIONS } from './library'

const queryPageRequest = z.object({
  offset: z.number().int().nonnegative(),
  limit: z.number().int().min(0).max(MAX_PAGE_SIZE),
  filter: z.string().max(1000).optional(),
})

const listPageRequest = z.object({
  offset: z.number().int().nonnegative(),
  limit: z.number().int().min(0).max(MAX_PAGE_SIZE),
})

const fingerprintPageRequest = listPageRequest.extend({
  sortBy: z.enum(['totalMs', 'count', 'meanMs', 'p95Ms', 'maxMs', 'errors', 'lastSeen']).optional(),
  descending: z.boolean().optional(),
  filter: z.string().max(1000).optional(),
})

const positive = z.number().positive().max(1e9)
/** Analysis settings, any subset (the CLI's threshold flags are checked with it too). */
export const analysisSettingsSchema = z
  .object({
    nPlusOneThreshold: z.number().int().min(2).max(1_000_000),
    duplicateThreshold: z.number().int().min(2).max(1_000_000),
    writeLoopThreshold: z.number().int().min(2).max(1_000_000),
    slowQueryMs: positive,
    outlierFactor: z.number().min(1).max(1e6),
    outlierMinMs: z.number().nonnegative().max(1e9),
    burstGapMs: positive,
    recurringMinContexts: z.number().int().min(2).max(1_000_000),
  })
  .partial()
  .strict()

const timelineRequest = z.object({
  from: z.number().nonnegative(),
  to: z.number().nonnegative(),
  laneOffset: z.number().int().nonnegative(),
  laneLimit: z.number().int().min(1).max(500),
  maxBars: z.number().int().min(1).max(100_000),
})

const sessionId = z.string().min(1).max(200)

const libraryListOptions = z
  .object({
    search: z.string().max(1000).optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
  })
  .strict()

const retentionLimit = (max: number) => z.number().positive().max(max).nullable().optional()
const retentionSettings = z
  .object({
    maxAgeDays: retentionLimit(36_500),
    maxTotalBytes: retentionLimit(2 ** 50),
  })
  .strict()

const exportRequest = z
  .object({
    id: sessionId,
    format: z.enum(EXPORT_FORMATS),
    kind: z.enum(REPORT_KINDS).optional(),
    sections: z.array(z.enum(REPORT_SECTIONS)).max(REPORT_SECTIONS.length).optional(),
    redact: z.boolean().optional(),
    dropParams: z.boolean().optional(),
  })
  .strict()

const fileLoadRequest = z
  .object({
    action: z.enum(['open', 'import']),
    upload: z
      .string()
      .regex(/^[A-Za-z0-9_-]{16,64}$/)
      .optional(),
  })
  .strict()

export const requestArgsSchemas: { [C in RequestChannel]: z.ZodType } = {
  'status.get': z.tuple([]),
  'connect.info': z.tuple([]),
  'queries.page': z.tuple([queryPageRequest]),
  'queries.get': z.tuple([z.number().int().nonnegative()]),
  'session.clear': z.tuple([]),
  'demo.start': z.tuple([]),
  'analysis.summary': z.tuple([]),
  'analysis.fingerprints': z.tuple([fingerprintPageRequest]),
  'analysis.findings': z.tuple([]),
  'analysis.finding': z.tuple([z.string().max(500)]),
  'analysis.slow': z.tuple([listPageRequest]),
  'analysis.failed': z.tuple([listPageRequest]),
  'analysis.settings.get': z.tuple([]),
  'analysis.settings.set': z.tuple([analysisSettingsSchema]),
  'timeline.window': z.tuple([timelineRequest]),
  'library.list': z.tuple([libraryListOptions]),
  'library.get': z.tuple([sessionId]),
  'library.queries': z.tuple([
    sessionId,
    z.number().int().nonnegative(),
    z.number().int().min(0).max(MAX_PAGE_SIZE),
  ]),
  'library.query': z.tuple([sessionId, z.number().int().positive()]),
  // Lengths past the store's own limits are its to refuse, with its own message.
  'library.rename': z.tuple([sessionId, z.string().max(1000)]),
  'library.note': z.tuple([sessionId, z.string().max(100_000)]),
  'library.delete': z.tuple([sessionId]),
  'library.storage': z.tuple([]),
  'library.retention.set': z.tuple([retentionSettings]),
  'library.export': z.tuple([exportRequest]),
  'view.get': z.tuple([]),
  'view.open': z.tuple([sessionId]),
  'view.live': z.tuple([]),
  'file.load': z.tuple([fileLoadRequest]),
  'sessions.compare': z.tuple([sessionId, sessionId]),
}

export function isRequestChannel(value: unknown): value is RequestChannel {
  return typeof value === 'string' && Object.hasOwn(requestArgsSchemas, value)
}
