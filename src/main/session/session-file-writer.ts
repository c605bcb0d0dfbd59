/**
 * Saving a session file: the current version, written atomically and streamed.
 *
 * The file goes to a temp file beside the target (mode 0600: parameters can hold secrets),
 * is fsynced, then renamed over the target, and the folder is fsynced: a crash leaves the
 * old file or the new one, never half of one. Queries are written one per line as they come
 * from the iterable (the live session, a page-by-page store read), so a session is never one
 * string nor all in memory. Field order puts the small fields first and the large arrays
 * last: readers can show the session before its queries have loaded.
 *
 * Everything written is checked against the format first (the fast check for queries), so
 * a file this writes is a file the reader loads. Redaction, when asked for, applies to each
 * query (and to the SQL the findings quote) before it is written.
 */
import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { ZodType } from 'zod'
import { DEFAULT_ANALYSIS_SETTINGS } from '../../shared/analysis'
import type { QueryContext, QueryRecord, StackFrame } from '../../shared/domain'
import { analyzeSession } from '../analysis/analyzer'
import { v1 } from './format'
import { isValidQuery } from './format/query-check'
import { createRedactor, type RedactionOptions } from './redaction'
import { StreamingAnalysis } from './session-file-analysis'
import { describeIssues } from './session-file-reader'
import {
  SESSION_FORMAT,
  SESSION_VERSION,
  SessionFileError,
  type SessionFileHeader,
  type SessionHeader,
} from './session-file-types'

export interface WriteOptions {
  /** Redact parameters (and inlined values of the same columns) as they are written. */
  redact?: RedactionOptions
  /**
   * When the header has no findings, find them (with `header.settings`) from the queries
   * being written. Default true; false writes empty findings and insights.
   */
  analyze?: boolean
  /** After each write to the file. */
  onProgress?: (progress: { queries: number; bytes: number }) => void
}

export interface WriteResult {
  queries: number
  bytes: number
}

/** Bytes gathered before each write to the file. */
const WRITE_BYTES = 1024 * 1024

/**
 * Writes a session file atomically. `queries` in id order (increasing); an array is analyzed
 * whole, any other iterable as it streams past (see StreamingAnalysis). Rejects with a
 * SessionFileError, leaving any existing file at `path` as it was.
 */
export async function writeSessionFile(
  path: string,
  header: SessionFileHeader,
  queries: Iterable<QueryRecord> | AsyncIterable<QueryRecord>,
  options: WriteOptions = {},
): Promise<WriteResult> {
  const settings = { ...DEFAULT_ANALYSIS_SETTINGS, ...header.settings }
  const redact = options.redact ? createRedactor(options.redact) : undefined
  let analysis: StreamingAnalysis | undefined
  let findings = header.findings
  let insights = header.insights
  if (findings === undefined && options.analyze !== false) {
    if (Array.isArray(queries)) {
      ;({ findings, insights } = analyzeSession(queries, header.apps, settings).findingsResult())
    } else {
      analysis = new StreamingAnalysis(settings, header.apps)
    }
  }

  const head: Omit<SessionHeader, 'findings' | 'insights' | 'health' | 'metrics'> = {
    format: SESSION_FORMAT,
    version: SESSION_VERSION,
    session: header.session,
    apps: header.apps,
    counters: header.counters,
    settings,
  }
  checkHeaderField(path, 'session', v1.sessionSchema, head.session)
  checkHeaderField(path, 'apps', v1.fields.apps, head.apps)
  checkHeaderField(path, 'counters', v1.countersSchema, head.counters)
  checkHeaderField(path, 'settings', v1.settingsSchema, head.settings)
  checkHeaderField(path, 'health', v1.healthSchema, header.health ?? null)

  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`)
  let handle
  try {
    handle = await open(temp, 'w', 0o600)
  } catch (error) {
    throw new SessionFileError(path, `cannot write: ${(error as Error).message}`)
  }
  let written = 0
  let count = 0
  try {
    let text = '{\n'
    for (const [key, value] of Object.entries(head)) text += `  "${key}": ${indented(value)},\n`
    text += '  "queries": ['
    const serializer = new QuerySerializer()
    let lastId = 0
    /** Adds one query to the text; true when the text is due to be written. */
    const take = (query: QueryRecord): boolean => {
      const source = redact ? redact(query) : query
      const record = serializer.clean(source)
      const stack = source.stack === undefined ? undefined : serializer.stack(source.stack)
      if (!isValidQuery(record) || stack?.valid === false || record.id <= lastId) {
        badQuery(path, stack ? { ...record, stack: stack.clean } : record, count, lastId)
      }
      lastId = record.id
      analysis?.add(query)
      const json = JSON.stringify(record)
      text += count === 0 ? '\n    ' : ',\n    '
      text += stack ? `${json.slice(0, -1)},"stack":${stack.json}}` : json
      count++
      return text.length >= WRITE_BYTES
    }
    const flush = async () => {
      written += await writeText(handle!, text)
      text = ''
      options.onProgress?.({ queries: count, bytes: written })
    }
    // Awaiting only to write: a promise per query would cost more than the query's JSON.
    if (Symbol.iterator in queries) {
      for (const query of queries) if (take(query)) await flush()
    } else {
      for await (const query of queries) if (take(query)) await flush()
    }
    text += count === 0 ? '],\n' : '\n  ],\n'

    if (analysis) ({ findings, insights } = analysis.finish())
    const quoted = (findings ?? []).map((finding) =>
      redact && finding.sourceSql !== undefined
        ? { ...finding, sourceSql: redact.sql(finding.sourceSql) }
        : finding,
    )
    text += arrayField(path, 'findings', v1.findingSchema, quoted) + ',\n'
    text += arrayField(path, 'insights', v1.insightSchema, insights ?? []) + ',\n'
    text += `  "health": ${indented(header.health ?? null)},\n`
    text += arrayField(path, 'metrics', v1.metricSampleSchema, header.metrics ?? []) + '\n}\n'
    written += await writeText(handle, text)
    options.onProgress?.({ queries: count, bytes: written })
    await handle.sync()
    await handle.close()
    await rename(temp, path)
  } catch (error) {
    await handle.close().catch(() => {})
    await rm(temp, { force: true })
    if (error instanceof SessionFileError) throw error
    throw new SessionFileError(path, `cannot write: ${(error as Error).message}`)
  }
  await syncFolder(dirname(path))
  return { queries: count, bytes: written }
}

async function writeText(handle: Awaited<ReturnType<typeof open>>, text: string): Promise<number> {
  const data = Buffer.from(text, 'utf8')
  await handle.write(data)
  return data.length
}

/** The rename is durable once the folder's entry is: fsync it (not possible on Windows). */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    // Windows cannot open a folder for fsync; its rename is as durable as it gets.
  }
}

function checkHeaderField(path: string, key: string, schema: ZodType, value: unknown): void {
  const parsed = schema.safeParse(value)
  if (parsed.success) return
  const { text, path: at } = describeIssues(parsed.error)
  throw new SessionFileError(path, `cannot write: ${key}: ${text}`, {
    path: at ? `${key}.${at}`.replace('.[', '[') : key,
  })
}

function arrayField(
  path: string,
  key: string,
  schema: ZodType,
  values: readonly unknown[],
): string {
  if (values.length === 0) return `  "${key}": []`
  values.forEach((value, index) => checkHeaderField(path, `${key}[${index}]`, schema, value))
  return `  "${key}": [\n    ${values.map((value) => JSON.stringify(value)).join(',\n    ')}\n  ]`
}

/** A value as pretty JSON, indented to sit under a top-level key. */
function indented(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/\n/g, '\n  ')
}

function badQuery(path: string, record: QueryRecord, index: number, lastId: number): never {
  const where = `queries[${index}]`
  if (typeof record.id === 'number' && record.id <= lastId && isValidQuery(record)) {
    throw new SessionFileError(
      path,
      `cannot write: ${where}: id ${record.id} does not follow ${lastId} (ids must increase)`,
      { path: `${where}.id` },
    )
  }
  const parsed = v1.querySchema.safeParse(record)
  const { text, path: at } = parsed.success
    ? { text: 'not a valid query', path: '' }
    : describeIssues(parsed.error)
  throw new SessionFileError(path, `cannot write: ${where}: ${text}`, {
    path: at ? `${where}${at.startsWith('[') ? '' : '.'}${at}` : where,
  })
}

/** The least valid query: what a stack is checked inside of. */
const PROBE: QueryRecord = { id: 1, appId: '', sql: '', startTime: 0, durationMs: 0 }

interface CleanStack {
  clean: StackFrame[]
  json: string
  valid: boolean
}

/**
 * Queries as the format has them: only its fields, in a fixed order. Apps repeat the same few
 * stacks and contexts (the live session and the store keep one object per distinct one), so
 * their clean copies, their JSON and their check are made once per object.
 */
class QuerySerializer {
  private stacks = new WeakMap<StackFrame[], CleanStack>()
  private contexts = new WeakMap<QueryContext, QueryContext>()

  /** The record without its stack (see `stack`). */
  clean(query: QueryRecord): QueryRecord {
    // In QueryRecord's order, as docs/session-format.md lists the fields.
    const record = { id: query.id, appId: query.appId, sql: query.sql } as QueryRecord
    if (query.params !== undefined) record.params = query.params
    record.startTime = query.startTime
    record.durationMs = query.durationMs
    if (query.rows !== undefined) record.rows = query.rows
    const error = query.error
    if (error !== undefined) {
      record.error =
        typeof error !== 'object' || error === null || error.type === undefined
          ? { message: error?.message }
          : { type: error.type, message: error.message }
    }
    if (query.connectionId !== undefined) record.connectionId = query.connectionId
    if (query.context !== undefined) record.context = this.context(query.context)
    return record
  }

  stack(stack: StackFrame[]): CleanStack {
    if (!Array.isArray(stack)) return { clean: stack, json: '', valid: false }
    let entry = this.stacks.get(stack)
    if (entry === undefined) {
      const clean = stack.map((frame) => {
        if (typeof frame !== 'object' || frame === null) return frame
        const copy: StackFrame = { file: frame.file }
        if (frame.function !== undefined) copy.function = frame.function
        if (frame.line !== undefined) copy.line = frame.line
        if (frame.column !== undefined) copy.column = frame.column
        return copy
      })
      const valid = isValidQuery({ ...PROBE, stack: clean })
      entry = { clean, json: JSON.stringify(clean), valid }
      this.stacks.set(stack, entry)
    }
    return entry
  }

  private context(context: QueryContext): QueryContext {
    if (typeof context !== 'object' || context === null) return context
    let clean = this.contexts.get(context)
    if (clean === undefined) {
      clean =
        context.name === undefined ? { id: context.id } : { id: context.id, name: context.name }
      this.contexts.set(context, clean)
    }
    return clean
  }
}
