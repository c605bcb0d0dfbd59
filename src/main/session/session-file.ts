/**
 * Session files: the JSON a recorded session is saved as (`docs/session-format.md`).
 *
 * Writing streams one query per line into a temp file, fsyncs and renames, so a crash never
 * leaves a half-written file under the real name and a large session is never one huge
 * string. Reading validates the envelope and every query, naming the first problem found.
 */
import { randomBytes } from 'node:crypto'
import { open, readFile, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { z } from 'zod'
import type { AppInfo, QueryRecord, SessionCounters } from '../../shared/domain'
import { stackFrameSchema } from '../../shared/protocol/v1'
import { describeZodError } from '../ingest/agent-connection'

export const SESSION_FORMAT = 'fastorm-profiler-session'
export const SESSION_VERSION = 1

export interface SessionMeta {
  id: string
  name?: string
  startedAt: number
  endedAt: number
}

export interface SessionFile {
  format: typeof SESSION_FORMAT
  version: typeof SESSION_VERSION
  session: SessionMeta
  apps: AppInfo[]
  counters: SessionCounters
  queries: QueryRecord[]
}

export class SessionFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`)
  }
}

/** Writes a session atomically: temp file in the same folder, fsync, rename. */
export async function writeSessionFile(
  path: string,
  header: Omit<SessionFile, 'queries' | 'format' | 'version'>,
  queries: Iterable<QueryRecord>,
): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`)
  const handle = await open(temp, 'w', 0o600)
  try {
    const head = {
      format: SESSION_FORMAT,
      version: SESSION_VERSION,
      session: header.session,
      apps: header.apps,
      counters: header.counters,
    }
    const headText = JSON.stringify(head, null, 2)
    // Open the envelope, then append the queries one per line.
    await handle.write(headText.slice(0, -2) + ',\n  "queries": [')
    let chunk: string[] = []
    let first = true
    for (const query of queries) {
      chunk.push((first ? '\n    ' : ',\n    ') + JSON.stringify(query))
      first = false
      if (chunk.length >= 1000) {
        await handle.write(chunk.join(''))
        chunk = []
      }
    }
    chunk.push(first ? ']\n}\n' : '\n  ]\n}\n')
    await handle.write(chunk.join(''))
    await handle.sync()
    await handle.close()
    await rename(temp, path)
  } catch (error) {
    await handle.close().catch(() => {})
    await rm(temp, { force: true })
    throw error
  }
}

const queryRecordSchema = z.object({
  id: z.number().int().positive(),
  appId: z.string(),
  sql: z.string(),
  params: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]).optional(),
  startTime: z.number().nonnegative(),
  durationMs: z.number().nonnegative(),
  rows: z.number().int().nonnegative().optional(),
  error: z.object({ type: z.string().optional(), message: z.string() }).optional(),
  connectionId: z.string().optional(),
  context: z.object({ id: z.string(), name: z.string().optional() }).optional(),
  stack: z.array(stackFrameSchema).optional(),
})

const appSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    connectedAt: z.number(),
    received: z.number(),
    droppedByAgent: z.number(),
  })
  .passthrough()

const envelopeSchema = z.object({
  format: z.literal(SESSION_FORMAT),
  version: z.number().int(),
  session: z.object({
    id: z.string(),
    name: z.string().optional(),
    startedAt: z.number(),
    endedAt: z.number(),
  }),
  apps: z.array(appSchema),
  counters: z.object({
    received: z.number(),
    stored: z.number(),
    evicted: z.number(),
    rejected: z.number(),
    droppedByAgents: z.number(),
  }),
  queries: z.array(z.unknown()),
})

/** Reads and validates a session file; throws SessionFileError naming the problem. */
export async function readSessionFile(path: string): Promise<SessionFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new SessionFileError(path, `cannot read: ${(error as Error).message}`)
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new SessionFileError(path, `not valid JSON (${(error as Error).message})`)
  }
  const format = (data as { format?: unknown } | null)?.format
  if (format !== SESSION_FORMAT) {
    throw new SessionFileError(
      path,
      `not a FastORM Profiler session (format is ${JSON.stringify(format)})`,
    )
  }
  const version = (data as { version?: unknown }).version
  if (typeof version === 'number' && version > SESSION_VERSION) {
    throw new SessionFileError(
      path,
      `session format version ${version} is newer than this profiler reads (${SESSION_VERSION}); update FastORM Profiler`,
    )
  }
  const envelope = envelopeSchema.safeParse(data)
  if (!envelope.success) throw new SessionFileError(path, describeZodError(envelope.error))
  const queries: QueryRecord[] = []
  envelope.data.queries.forEach((raw, index) => {
    const query = queryRecordSchema.safeParse(raw)
    if (!query.success) {
      throw new SessionFileError(path, `queries[${index}]: ${describeZodError(query.error)}`)
    }
    queries.push(query.data as QueryRecord)
  })
  return { ...(envelope.data as Omit<SessionFile, 'queries'>), queries }
}
