/**
 * Loading a session file: streamed, validated, migrated, and all-or-nothing.
 *
 *   fs.createReadStream (chunks) ─▶ JsonEnvelopeStream ─▶ SessionFileChecker
 *                                    (format/json-stream)   format, version: checked at once
 *                                                          session, apps, ...: zod, as they come
 *                                                          queries: fast check (zod for the
 *                                                            message), ids increasing, a limit
 *        ◀── yield to the event loop between chunks; progress after each ──┘
 *                                                               │ validated batches
 *                                                               ▼
 *                                       sink.begin → sink.queries(batch)… → sink.commit
 *                                                           or, on any error, sink.rollback
 *
 * The file is never one string: only the bytes of the value being read are held. Which
 * version a file is, and so which schemas apply, is known once `version` is read (writers put
 * it second); a file whose `queries` come before its `version` (keys sorted by a tool) is
 * read twice: once to find the envelope, once for the queries.
 *
 * All-or-nothing, in one of two modes (`LoadOptions.mode`):
 * - `transaction` (default, one pass): the sink gets each batch once it is validated and must
 *   only stage it; `commit` comes after the whole file checked out, `rollback` instead if
 *   anything did not. A SQLite transaction, or arrays swapped in on commit, fit this.
 * - `validate-first` (two passes): the whole file is checked before the sink hears anything;
 *   then it is read again to feed the sink. For sinks that cannot take a batch back; costs a
 *   second read, and a file changed between the passes still ends in `rollback`.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import type { ZodError, ZodType } from 'zod'
import { DEFAULT_ANALYSIS_SETTINGS } from '../../shared/analysis'
import type { AppInfo, QueryRecord } from '../../shared/domain'
import {
  CURRENT_VERSION,
  effectiveVersion,
  KNOWN_FIELDS,
  migrateEnvelope,
  SESSION_FORMAT,
  v0,
  VERSIONS,
  type FormatVersion,
} from './format'
import {
  JsonEnvelopeStream,
  JsonStreamError,
  type EnvelopeHandler,
  type FieldMode,
  type JsonStreamLimits,
  type OffsetOf,
} from './format/json-stream'
import { isValidQuery } from './format/query-check'
import { StreamingAnalysis } from './session-file-analysis'
import { SessionFileError, type SessionHeader } from './session-file-types'

export interface SessionFileLimits extends JsonStreamLimits {
  /** Most queries a file may hold. */
  maxQueries: number
}

export const DEFAULT_LIMITS: SessionFileLimits = {
  maxQueries: 20_000_000,
  // The agent protocol takes messages of up to 16 MiB: no single text of a session is larger.
  maxStringBytes: 16 * 1024 * 1024,
  maxValueBytes: 32 * 1024 * 1024,
}

export interface LoadProgress {
  /** Bytes of the file read in this pass. */
  bytesRead: number
  totalBytes: number
  /** Queries validated so far in this pass. */
  queries: number
  /** 1, or 2 for the second read (`validate-first`, or `queries` before `version`). */
  pass: 1 | 2
}

/** Where loaded queries go. Every method may return a promise; the reader waits for it. */
export interface SessionSink {
  /**
   * Called once, before the first batch (or before `commit` when there are no queries),
   * with the envelope fields read by then: writers put session, apps, counters and settings
   * before the queries, and findings, insights, health and metrics after them.
   */
  begin?(header: Partial<SessionHeader>): unknown
  /** Validated queries, in file order, about a chunk's worth at a time. */
  queries(batch: QueryRecord[]): unknown
  /** The whole file checked out: keep what was staged. */
  commit?(header: SessionHeader): unknown
  /**
   * It did not, or could not be read, or the sink itself threw: drop what was staged. Called
   * only after `begin`. `error` is what `loadSessionFile` then rejects with.
   */
  rollback?(error: unknown): unknown
}

export interface LoadOptions {
  sink?: SessionSink
  /** All-or-nothing by staging (`transaction`, default) or by checking first (`validate-first`). */
  mode?: 'transaction' | 'validate-first'
  /** After each chunk (and so never more often than every `chunkBytes`). */
  onProgress?: (progress: LoadProgress) => void
  limits?: Partial<SessionFileLimits>
  /** Bytes per read; the event loop gets a turn between reads (default 512 KiB). */
  chunkBytes?: number
  signal?: AbortSignal
}

export interface LoadResult {
  header: SessionHeader
  queries: number
  bytes: number
  /** The version the file was written in (the header is always the current one). */
  fileVersion: number
  /** Fields that were not in the file and were derived from the queries (a migrated file). */
  derived: readonly string[]
  passes: 1 | 2
}

const DEFAULT_CHUNK_BYTES = 512 * 1024

/**
 * Reads, validates and migrates a session file, feeding its queries to `options.sink`.
 * Resolves once the sink has committed; rejects with a SessionFileError naming the problem
 * and where, after the sink's rollback. An error thrown by the sink itself is rethrown as it
 * is, also after the rollback.
 */
export async function loadSessionFile(
  path: string,
  options: LoadOptions = {},
): Promise<LoadResult> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits }
  const sink = options.sink
  let began = false
  const begin = async (header: Partial<SessionHeader>) => {
    if (began) return
    began = true
    await sink?.begin?.(header)
  }
  const feed = (checker: SessionFileChecker) => async (batch: QueryRecord[]) => {
    try {
      await begin(checker.headerSoFar())
      await sink?.queries(batch)
    } catch (error) {
      throw new SinkError(error)
    }
  }
  try {
    const size = await fileSize(path)
    const first = new SessionFileChecker(limits, 1, undefined)
    // In transaction mode the sink is fed during the first pass.
    if (options.mode !== 'validate-first') first.deliver = feed(first)
    await readPass(path, size, first, options)
    first.checkComplete(size)
    let last = first
    if (first.needsSecondPass || options.mode === 'validate-first') {
      last = new SessionFileChecker(limits, 2, first)
      last.deliver = feed(last)
      await readPass(path, size, last, options)
    }
    const result = first.finish(last, size)
    try {
      await begin(result.header)
      await sink?.commit?.(result.header)
    } catch (error) {
      throw new SinkError(error)
    }
    return { ...result, passes: last.pass }
  } catch (error) {
    const failure = error instanceof SinkError ? error.cause : asSessionFileError(path, error)
    if (began) await sink?.rollback?.(failure)
    throw failure
  }
}

/** What a sink threw: rethrown as it is, after the rollback. */
class SinkError extends Error {
  constructor(override readonly cause: unknown) {
    super('the sink failed')
  }
}

async function fileSize(path: string): Promise<number> {
  let info
  try {
    info = await stat(path)
  } catch (error) {
    throw new SessionFileError(path, `cannot read: ${(error as Error).message}`)
  }
  if (!info.isFile()) throw new SessionFileError(path, 'cannot read: not a file')
  return info.size
}

async function readPass(
  path: string,
  size: number,
  checker: SessionFileChecker,
  options: LoadOptions,
): Promise<void> {
  const json = new JsonEnvelopeStream(checker, checker.limits)
  const stream = createReadStream(path, {
    highWaterMark: options.chunkBytes ?? DEFAULT_CHUNK_BYTES,
  })
  let read = 0
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (options.signal?.aborted) throw new SessionFileError(path, 'loading was cancelled')
      read += chunk.length
      json.write(chunk)
      const batch = checker.takeBatch()
      if (batch.length > 0) await checker.deliver?.(batch)
      options.onProgress?.({
        bytesRead: read,
        totalBytes: size,
        queries: checker.queryCount,
        pass: checker.pass,
      })
      // Reading from the stream's buffer resolves without a turn of the event loop: give one.
      await yieldToEventLoop()
    }
  } catch (error) {
    stream.destroy()
    if (
      error instanceof SessionFileError ||
      error instanceof JsonStreamError ||
      error instanceof FieldError ||
      error instanceof SinkError
    ) {
      throw error
    }
    throw new SessionFileError(path, `cannot read: ${(error as Error).message}`)
  }
  if (checker.pass === 2 && read !== size) {
    throw new SessionFileError(path, 'the file changed while it was being read')
  }
  json.end()
}

/** A problem found by the checker, located; turned into a SessionFileError by the loader. */
class FieldError extends Error {
  constructor(
    readonly problem: string,
    readonly path: string,
    readonly offset?: number,
  ) {
    super(problem)
  }
}

function asSessionFileError(path: string, error: unknown): SessionFileError {
  if (error instanceof SessionFileError) return error
  if (error instanceof JsonStreamError) {
    return new SessionFileError(path, error.problem, { path: error.path, offset: error.offset })
  }
  if (error instanceof FieldError) {
    return new SessionFileError(path, error.problem, { path: error.path, offset: error.offset })
  }
  return new SessionFileError(path, `cannot read: ${(error as Error).message}`)
}

/** zod's issues as `field: what is wrong`, the way the rest of the profiler words them. */
export function describeIssues(error: ZodError): { text: string; path: string } {
  const issues = error.issues.slice(0, 3).map((issue) => {
    const path = jsonPath(issue.path as readonly PropertyKey[])
    const message = issue.message.replace(/^Invalid input: /, '')
    return { path, text: path ? `${path}: ${message}` : message }
  })
  return { text: issues.map((issue) => issue.text).join('; '), path: issues[0]?.path ?? '' }
}

function jsonPath(parts: readonly PropertyKey[]): string {
  return parts
    .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
    .join('')
    .replace(/^\./, '')
}

/** `queries[3]` + `durationMs` → `queries[3].durationMs`. */
function join(base: string, path: string): string {
  if (path === '') return base
  return path.startsWith('[') ? `${base}${path}` : `${base}.${path}`
}

type Envelope = Record<string, unknown>

/**
 * Checks what the tokenizer reads, field by field, and collects the validated queries of
 * each chunk. One per pass; the second pass gets the first one's envelope.
 */
class SessionFileChecker implements EnvelopeHandler {
  deliver?: (batch: QueryRecord[]) => Promise<void>
  needsSecondPass = false
  queryCount = 0

  private format: unknown = undefined
  private declared?: number
  /** Field values not yet checked (the version was not known when they came). */
  private unchecked = new Map<string, { value: unknown; offset: number }>()
  private uncheckedArrays = new Map<string, { values: unknown[]; offsets: number[] }>()
  private envelope: Envelope = {}
  private present = new Set<string>()
  private lastId = 0
  private batch: QueryRecord[] = []
  private analysis?: StreamingAnalysis

  constructor(
    readonly limits: SessionFileLimits,
    readonly pass: 1 | 2,
    private readonly firstPass: SessionFileChecker | undefined,
  ) {
    if (firstPass) {
      this.format = firstPass.format
      this.declared = firstPass.declared
      this.envelope = firstPass.envelope
    }
  }

  private get versionSchemas(): FormatVersion {
    return VERSIONS[this.declared!]!
  }

  field(key: string, offset: number): FieldMode {
    if (this.present.has(key)) throw new FieldError(`the field "${key}" appears twice`, key, offset)
    this.present.add(key)
    if (this.pass === 2) {
      if (key !== 'queries') return 'skip'
      this.startQueries()
      return 'elements'
    }
    if (!KNOWN_FIELDS.has(key)) throw new FieldError(`unknown field "${key}"`, key, offset)
    if (this.declared !== undefined && !this.isFieldOf(key, this.versionSchemas)) {
      throw new FieldError(`"${key}" is not a field of version ${this.declared}`, key, offset)
    }
    if (key === 'queries') {
      if (this.declared === undefined || this.format === undefined) {
        // Which schemas apply is not known yet: find out, then read the queries again.
        this.needsSecondPass = true
        return 'skip'
      }
      this.startQueries()
      return 'elements'
    }
    return key === 'findings' || key === 'insights' || key === 'metrics' ? 'elements' : 'value'
  }

  value(key: string, value: unknown, offset: number): void {
    if (key === 'format') {
      this.format = value
      this.envelope.format = value
      if (value !== SESSION_FORMAT) {
        throw new FieldError(
          `not a FastORM Profiler session (format is ${JSON.stringify(value)}, expected "${SESSION_FORMAT}")`,
          'format',
          offset,
        )
      }
      return
    }
    if (key === 'version') {
      this.setVersion(value, offset)
      return
    }
    if (this.declared === undefined) {
      this.unchecked.set(key, { value, offset })
      return
    }
    this.checkField(key, value, offset)
  }

  elements(key: string, values: unknown[], firstIndex: number, offsetOf: OffsetOf): void {
    if (key === 'queries') {
      this.checkQueries(values, firstIndex, offsetOf)
      return
    }
    if (this.declared === undefined) {
      let held = this.uncheckedArrays.get(key)
      if (!held) this.uncheckedArrays.set(key, (held = { values: [], offsets: [] }))
      for (let k = 0; k < values.length; k++) {
        held.values.push(values[k])
        held.offsets.push(offsetOf(k))
      }
      return
    }
    this.checkArrayElements(key, values, firstIndex, offsetOf)
  }

  arrayEnd(key: string): void {
    if (key !== 'queries' && this.envelope[key] === undefined) this.envelope[key] = []
  }

  /** The queries validated since the last call. */
  takeBatch(): QueryRecord[] {
    const batch = this.batch
    if (batch.length > 0) this.batch = []
    return batch
  }

  /** What a sink's `begin` gets: the checked fields so far. */
  headerSoFar(): Partial<SessionHeader> {
    return { ...this.envelope } as Partial<SessionHeader>
  }

  // --- the envelope --------------------------------------------------------------------

  private isFieldOf(key: string, format: FormatVersion): boolean {
    return format.required.includes(key) || key in format.fields || key in format.arrays
  }

  private setVersion(value: unknown, offset: number): void {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new FieldError(
        `the version must be a whole number, found ${JSON.stringify(value)}`,
        'version',
        offset,
      )
    }
    if (value > CURRENT_VERSION) {
      throw new FieldError(
        `session format version ${value} is newer than this profiler reads (${CURRENT_VERSION}); update FastORM Profiler`,
        'version',
        offset,
      )
    }
    this.declared = value
    this.envelope.version = value
    for (const key of this.present) {
      if (!this.isFieldOf(key, this.versionSchemas)) {
        throw new FieldError(`"${key}" is not a field of version ${value}`, key)
      }
    }
    for (const [key, { value: held, offset: at }] of this.unchecked) this.checkField(key, held, at)
    this.unchecked.clear()
    for (const [key, held] of this.uncheckedArrays) {
      this.checkArrayElements(key, held.values, 0, (k) => held.offsets[k]!)
    }
    this.uncheckedArrays.clear()
  }

  private checkField(key: string, value: unknown, offset: number): void {
    const schema = this.versionSchemas.fields[key]
    if (schema === undefined) throw new FieldError(`unexpected field "${key}"`, key, offset)
    const parsed = schema.safeParse(value)
    if (!parsed.success) {
      const { text, path } = describeIssues(parsed.error)
      throw new FieldError(text ? `${key}: ${text}` : key, join(key, path), offset)
    }
    this.envelope[key] = parsed.data
    if (key === 'apps') this.analysis?.setApps(parsed.data as AppInfo[])
  }

  private checkArrayElements(
    key: string,
    values: unknown[],
    firstIndex: number,
    offsetOf: OffsetOf,
  ): void {
    const schema = this.versionSchemas.arrays[key] as ZodType
    let list = this.envelope[key] as unknown[] | undefined
    if (list === undefined) this.envelope[key] = list = []
    for (let k = 0; k < values.length; k++) {
      const parsed = schema.safeParse(values[k])
      if (!parsed.success) {
        const where = `${key}[${firstIndex + k}]`
        const { text, path } = describeIssues(parsed.error)
        throw new FieldError(`${where}: ${text}`, join(where, path), offsetOf(k))
      }
      list.push(parsed.data)
    }
  }

  // --- the queries ---------------------------------------------------------------------

  private startQueries(): void {
    // A file read as version 0 kept no findings: they are derived from its queries (with the
    // settings v1's `up` gives it), as they pass. In the first pass, before the envelope is
    // complete, a version-1 file without any of v1's fields so far may be one: analyze in case.
    const derive = this.firstPass
      ? this.firstPass.analysis === undefined && this.firstPass.readAsVersion() === 0
      : effectiveVersion(this.declared!, this.present) === 0
    if (derive) {
      this.analysis = new StreamingAnalysis(
        v0.PRE_RELEASE_SETTINGS,
        (this.envelope.apps as AppInfo[] | undefined) ?? [],
      )
    }
  }

  private readAsVersion(): number {
    return effectiveVersion(this.declared!, this.present)
  }

  private checkQueries(values: unknown[], firstIndex: number, offsetOf: OffsetOf): void {
    const batch = this.batch
    let lastId = this.lastId
    for (let k = 0; k < values.length; k++) {
      const query = values[k]
      if (!isValidQuery(query)) this.badQuery(query, firstIndex + k, offsetOf(k))
      if (query.id <= lastId) {
        throw new FieldError(
          `queries[${firstIndex + k}]: id ${query.id} does not follow ${lastId} (ids must increase)`,
          `queries[${firstIndex + k}].id`,
          offsetOf(k),
        )
      }
      lastId = query.id
      batch.push(query)
      this.analysis?.add(query)
    }
    this.lastId = lastId
    this.queryCount += values.length
    if (this.queryCount > this.limits.maxQueries) {
      const index = this.limits.maxQueries
      throw new FieldError(
        `more queries than the limit of ${this.limits.maxQueries.toLocaleString('en-US')}`,
        `queries[${index}]`,
        offsetOf(index - firstIndex),
      )
    }
  }

  private badQuery(query: unknown, index: number, offset: number): never {
    const parsed = this.versionSchemas.query.safeParse(query)
    const where = `queries[${index}]`
    if (parsed.success) {
      // The fast check and the schema disagree: a bug, but name the query all the same.
      throw new FieldError(`${where}: not a valid query`, where, offset)
    }
    const { text, path } = describeIssues(parsed.error)
    throw new FieldError(`${where}: ${text}`, join(where, path), offset)
  }

  // --- the end -------------------------------------------------------------------------

  /** After the first pass: every field the version needs is there. */
  checkComplete(size: number): void {
    if (this.format === undefined) {
      throw new FieldError('not a FastORM Profiler session (no "format" field)', '', size)
    }
    if (this.declared === undefined) throw new FieldError('missing field "version"', '', size)
    for (const field of VERSIONS[this.readAsVersion()]!.required) {
      if (!this.present.has(field)) throw new FieldError(`missing field "${field}"`, '', size)
    }
  }

  /** After the last pass (`last`, maybe this one): checks the envelope is complete, migrates it. */
  finish(last: SessionFileChecker, size: number): Omit<LoadResult, 'passes'> {
    const version = this.readAsVersion()
    const { envelope, from, derive } = migrateEnvelope(this.envelope, version)
    const header = envelope as unknown as SessionHeader
    if (derive.length > 0) {
      const derived = (this.analysis ?? last.analysis)?.finish() ?? { findings: [], insights: [] }
      header.findings = derived.findings
      header.insights = derived.insights
    }
    // A setting the analysis gained after the file was written takes its default.
    header.settings = { ...DEFAULT_ANALYSIS_SETTINGS, ...header.settings }
    return { header, queries: last.queryCount, bytes: size, fileVersion: from, derived: derive }
  }
}
