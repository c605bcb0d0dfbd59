/**
 * The agent: what an app's code calls, and the queue between that and the profiler.
 *
 *   recordQuery / the TypeORM wrapper ──enqueue──▶ bounded queue ──drain──▶ Connection (ws)
 *        (hot path: one object, no JSON)              (full: count a drop)   (serialise here,
 *                                                                             by size and time)
 *
 * The hot path only builds a `PendingQuery` and pushes it; parameters, errors and stacks are
 * turned into JSON when a batch is sent, by size (`batchSize`) or time (`flushIntervalMs`).
 * When the profiler is absent, events wait in the queue until it comes back; past
 * `queueCapacity` they are dropped and counted, and the count travels in every batch.
 * Nothing in here throws into the app: every entry point catches.
 */
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { basename, extname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { callSiteFrames, captureCallSite, type CapturedCallSite } from './call-site'
import { Connection } from './connection'
import { currentContext, runInContext, type QueryContext } from './context'
import {
  CONTEXT_END_FEATURE,
  MAX_QUERY_TEXT,
  MAX_STACK_FRAMES,
  PROTOCOL_VERSION,
  type BatchMessage,
  type ContextEndEvent,
  type HelloMessage,
  type NameAndVersion,
  type ProfilerReply,
  type QueryEvent,
  type StackFrame,
} from './protocol'
import { toWireError, toWireParameters, truncate, type ErrorLike } from './serialize'
import { instrumentTypeORM, type DataSourceLike, type InstrumentTypeORMOptions } from './typeorm'

export const AGENT_NAME = 'fastorm-profiler-agent'
/** Kept equal to package.json's version (a test checks). */
export const AGENT_VERSION = '0.1.0'
export const DEFAULT_URL = 'ws://127.0.0.1:7420/agent'

/**
 * How call sites are captured. A stack capture costs a few microseconds, more than the rest
 * of `recordQuery` together, so `sampled` takes one for every failed query, every query of
 * 1 ms or more, the first 4 times each SQL text is seen and every 256th time after that: the
 * places that issue a repeated query are still found, at a fraction of the cost.
 */
export type CallSiteMode = 'all' | 'sampled' | 'off'

export interface AgentOptions {
  /** Profiler endpoint; default `FASTORM_PROFILER_URL`, else `ws://127.0.0.1:7420/agent`. */
  url?: string
  /** Bearer token; default `FASTORM_PROFILER_TOKEN`. */
  token?: string
  /** Name shown in the profiler; default the `name` in the working directory's package.json, else the script's name. */
  appName?: string
  /** OpenTelemetry `db.system.name` (`postgresql`, `sqlite`, `mysql`, ...); `instrumentTypeORM` fills it from the driver. */
  dbSystem?: string
  /** The ORM in use; `instrumentTypeORM` fills it in. */
  orm?: NameAndVersion
  /** False (or env `FASTORM_PROFILER_ENABLED=0`) makes every call a no-op. */
  enabled?: boolean
  /** Events per batch message. Default 200. */
  batchSize?: number
  /** Longest an event waits before its batch is sent, ms. Default 100. */
  flushIntervalMs?: number
  /** Events kept while the profiler is slow or absent; past this they are dropped and counted. Default 10,000. */
  queueCapacity?: number
  /** Bytes the socket may hold unsent before the agent stops handing it more. Default 4 MiB. */
  maxBufferedBytes?: number
  /** First reconnect delay, ms; doubles per failure, with jitter. Default 250. */
  reconnectMinDelayMs?: number
  /** Longest reconnect delay, ms. Default 10,000. */
  reconnectMaxDelayMs?: number
  /** Longest `flush()` and `close()` wait for the profiler, ms. Default 5,000. */
  flushTimeoutMs?: number
  /** Call sites for `recordQuery` (see `CallSiteMode`). Default `sampled`. */
  callSites?: CallSiteMode
  /** Debug lines: true for `console.debug`, or a function. Default: env `FASTORM_PROFILER_DEBUG`. */
  debug?: boolean | ((message: string) => void)
}

/** One query, as `recordQuery` takes it. */
export interface QueryRecord {
  sql: string
  /** Positional or named parameters; read when the batch is sent, so do not reuse the array. */
  params?: unknown[] | Record<string, unknown>
  /** When the query started, epoch milliseconds (fractional); default now minus `durationMs`. */
  startedAt?: number
  durationMs: number
  /** Rows returned or affected. */
  rows?: number
  error?: ErrorLike
  connectionId?: string | number
  /** The call-site stack, innermost first; captured here when omitted. */
  stack?: StackFrame[]
}

export interface AgentStats {
  /** Events waiting to be sent. */
  queued: number
  /** Events handed to the socket. */
  sent: number
  /**
   * Events dropped: the queue was full, one event alone was too big to send, or the events
   * were still queued at `close()` because the profiler was down.
   */
  dropped: number
  connected: boolean
  /** Error replies from the profiler (a rejected message or event). */
  errorsFromProfiler: number
}

export interface Agent {
  /** Records one query. Cheap, never throws, never waits. */
  recordQuery(query: QueryRecord): void
  /**
   * Runs `fn` in a new request or job context (unique id plus `name`) that follows its awaits;
   * returns what `fn` returns (for a promise, one that settles the same way once the context
   * is ended). When `fn` settles the profiler is told the context has ended.
   */
  withContext<T>(name: string, fn: () => T): T
  /** Records every query a TypeORM DataSource runs, before or after `initialize()`; returns it. */
  instrumentTypeORM<T extends object>(dataSource: T, options?: InstrumentTypeORMOptions): T
  /** Resolves once queued events are written to the socket, or the profiler is known to be down. */
  flush(): Promise<void>
  /** Flushes, then closes the connection; later calls record nothing. */
  close(): Promise<void>
  stats(): AgentStats
}

/** A query as the hot path leaves it; made JSON when sent. One shape, so V8 keeps it fast. */
class PendingQuery {
  constructor(
    readonly sql: unknown,
    readonly params: unknown,
    readonly startTime: number,
    readonly durationMs: number,
    readonly rows: unknown,
    readonly error: unknown,
    readonly connectionId: unknown,
    readonly context: QueryContext | undefined,
    readonly stack: StackFrame[] | undefined,
    readonly site: CapturedCallSite | undefined,
  ) {}
}

/** The end of a context a query was recorded in; made JSON when sent. */
class PendingContextEnd {
  constructor(
    readonly contextId: string,
    readonly time: number,
  ) {}
}

type PendingEvent = PendingQuery | PendingContextEnd

/** Queries at least this slow always get their call site: the capture is noise next to them. */
const ALWAYS_CAPTURE_FROM_MS = 1
/** `sampled` mode: call sites for the first N sightings of a SQL text, then one in 256. */
const SAMPLE_FIRST = 4
const SAMPLE_EVERY_MASK = 255
/** Distinct SQL texts counted before the counts start over (texts with inlined literals). */
const MAX_COUNTED_TEXTS = 10_000
/** Frames captured above `recordQuery`: its caller, and a few more in case that is a helper. */
const RECORD_QUERY_STACK_LIMIT = 12
/** Before the welcome says otherwise, keep messages under what any profiler accepts. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024
/** Without ORM details yet, the hello waits this long for `instrumentTypeORM` (or a first batch). */
const HELLO_DELAY_MS = 250
const FLUSH_POLL_MS = 5
/** Longest an exiting app waits for a connection that is still opening. */
const EXIT_WAIT_MS = 2_000

export class ProfilerAgent implements Agent {
  private readonly enabled: boolean
  private readonly connection: Connection | undefined
  private readonly log: (message: string) => void
  private readonly batchSize: number
  private readonly flushIntervalMs: number
  private readonly queueCapacity: number
  private readonly maxBufferedBytes: number
  private readonly flushTimeoutMs: number
  private readonly callSites: CallSiteMode
  private readonly appName: string
  private dbSystem: string | undefined
  private orm: NameAndVersion | undefined
  private ormKnown: boolean

  // Queue: live events are queue[head..]; the sent prefix is trimmed now and then.
  private queue: PendingEvent[] = []
  private head = 0
  private sentCount = 0
  private droppedCount = 0
  private profilerErrors = 0
  private seq = 0
  private maxPayload = DEFAULT_MAX_PAYLOAD
  /** Whether the profiler on this connection said it takes context ends (in its welcome). */
  private contextEndTaken = false
  private readonly sqlSightings = new Map<unknown, number>()

  private timer: NodeJS.Timeout | undefined
  private immediate: NodeJS.Immediate | undefined
  private helloTimer: NodeJS.Timeout | undefined
  private exitWait: NodeJS.Timeout | undefined
  private helloSent = false
  private closed = false
  private readonly onBeforeExit = (): void => this.drainOnExit()

  constructor(options: AgentOptions = {}) {
    const env = process.env
    this.log = makeLogger(options.debug, env.FASTORM_PROFILER_DEBUG)
    this.enabled = options.enabled ?? !isFalse(env.FASTORM_PROFILER_ENABLED)
    this.batchSize = positiveInt(options.batchSize, 200)
    this.flushIntervalMs = positiveInt(options.flushIntervalMs, 100)
    this.queueCapacity = positiveInt(options.queueCapacity, 10_000)
    this.maxBufferedBytes = positiveInt(options.maxBufferedBytes, 4 * 1024 * 1024)
    this.flushTimeoutMs = positiveInt(options.flushTimeoutMs, 5_000)
    this.callSites = options.callSites ?? 'sampled'
    this.appName = (options.appName || defaultAppName()).slice(0, 200)
    this.dbSystem = options.dbSystem
    this.orm = options.orm
    this.ormKnown = options.orm !== undefined
    if (!this.enabled) return
    const url = options.url || env.FASTORM_PROFILER_URL || DEFAULT_URL
    this.connection = new Connection({
      url,
      token: options.token ?? env.FASTORM_PROFILER_TOKEN,
      reconnectMinDelayMs: positiveInt(options.reconnectMinDelayMs, 250),
      reconnectMaxDelayMs: positiveInt(options.reconnectMaxDelayMs, 10_000),
      log: this.log,
      onOpen: () => this.onOpen(),
      onMessage: (text) => this.onReply(text),
      onStateChange: () => {
        if (this.connection?.state !== 'open') this.helloSent = false
        if (this.exitWait) clearTimeout(this.exitWait)
        this.exitWait = undefined
      },
    })
    this.connection.start()
    process.on('beforeExit', this.onBeforeExit)
  }

  // Arrow properties: the methods work detached (`const { recordQuery } = agent`), and
  // `recordQuery` is the frame the call-site capture starts above.
  readonly recordQuery = (query: QueryRecord): void => {
    try {
      if (this.closed || !this.enabled) return
      const durationMs = query.durationMs
      const startedAt = query.startedAt
      const startTime =
        startedAt === undefined
          ? performance.timeOrigin + performance.now() - durationMs
          : startedAt
      let site: CapturedCallSite | undefined
      if (query.stack === undefined && this.wantsCallSite(query.sql, durationMs, query.error)) {
        site = captureCallSite(RECORD_QUERY_STACK_LIMIT, this.recordQuery)
      }
      this.enqueue(
        query.sql,
        query.params,
        startTime,
        durationMs,
        query.rows,
        query.error,
        query.connectionId,
        query.stack,
        site,
      )
    } catch (error) {
      this.log(`recordQuery failed: ${describe(error)}`)
    }
  }

  readonly withContext = <T>(name: string, fn: () => T): T =>
    runInContext(name, fn, this.contextEnded)

  /**
   * Queues the end of a context that had queries, when the profiler takes it. Left out when
   * the queue is half full (its room is for queries) or no profiler that takes it is
   * connected: the profiler then closes the context once it is idle.
   */
  private readonly contextEnded = (context: QueryContext): void => {
    try {
      if (this.closed || !this.enabled || !context.recorded || !this.contextEndTaken) return
      if (this.queue.length - this.head >= this.queueCapacity >> 1) return
      this.queue.push(new PendingContextEnd(context.id, performance.timeOrigin + performance.now()))
      this.armBatch()
    } catch (error) {
      this.log(`ending a context failed: ${describe(error)}`)
    }
  }

  readonly instrumentTypeORM = <T extends object>(
    dataSource: T,
    options?: InstrumentTypeORMOptions,
  ): T => {
    try {
      if (!this.enabled || this.closed) return dataSource
      const found = instrumentTypeORM(this, dataSource as DataSourceLike, options)
      if (found) {
        this.orm ??= found.orm
        this.dbSystem ??= found.dbSystem
        if (this.helloSent && !this.ormKnown) {
          this.log(
            'instrumentTypeORM after the hello: ORM and database show from the next connection',
          )
        }
        this.ormKnown = true
        if (this.helloTimer && this.connection?.isOpen) this.sendHello()
      }
    } catch (error) {
      this.log(`instrumentTypeORM failed: ${describe(error)}`)
    }
    return dataSource
  }

  readonly flush = async (): Promise<void> => {
    try {
      const connection = this.connection
      if (!connection) return
      const deadline = Date.now() + this.flushTimeoutMs
      this.drain()
      while (Date.now() < deadline) {
        const state = connection.state
        // Down (or waiting to retry): the events stay queued for the next connection.
        if (state === 'waiting' || state === 'closed') return
        if (state === 'open') {
          if (this.queued === 0 && connection.bufferedAmount === 0) return
          if (this.queued > 0) this.drain()
        }
        await sleep(FLUSH_POLL_MS)
      }
      this.log(`flush gave up after ${this.flushTimeoutMs} ms (${this.queued} events still queued)`)
    } catch (error) {
      this.log(`flush failed: ${describe(error)}`)
    }
  }

  readonly close = async (): Promise<void> => {
    if (this.closed) return
    try {
      await this.flush()
    } finally {
      this.closed = true
      // Whatever the profiler never got (it is down) can no longer go: free it, count it.
      this.droppedCount += queriesIn(this.queue.slice(this.head))
      this.queue = []
      this.head = 0
      this.clearTimers()
      process.removeListener('beforeExit', this.onBeforeExit)
      await this.connection?.stop().catch(() => undefined)
    }
  }

  readonly stats = (): AgentStats => ({
    queued: this.queued,
    sent: this.sentCount,
    dropped: this.droppedCount,
    connected: this.connection?.isOpen ?? false,
    errorsFromProfiler: this.profilerErrors,
  })

  /**
   * The hot path shared by `recordQuery` and the ORM wrappers: checks the bounds, keeps the
   * values as they are, and arms the batch timer. No JSON, no stack text.
   */
  enqueue(
    sql: unknown,
    params: unknown,
    startTime: number,
    durationMs: number,
    rows: unknown,
    error: unknown,
    connectionId: unknown,
    stack: StackFrame[] | undefined,
    site: CapturedCallSite | undefined,
  ): void {
    if (this.closed || !this.enabled) return
    if (this.queue.length - this.head >= this.queueCapacity) {
      this.droppedCount++
      return
    }
    const context = currentContext()
    if (context !== undefined) context.recorded = true
    this.queue.push(
      new PendingQuery(
        sql,
        params,
        startTime,
        durationMs,
        rows,
        error,
        connectionId,
        context,
        stack,
        site,
      ),
    )
    this.armBatch()
  }

  /** Sends a full batch on the next turn, or any batch once the flush interval is up. */
  private armBatch(): void {
    if (this.queue.length - this.head >= this.batchSize) {
      // A full batch goes out on the next turn, not inside the app's call.
      if (this.immediate === undefined && this.connection?.isOpen) {
        this.immediate = setImmediate(this.drain)
      }
    } else if (this.timer === undefined) {
      this.timer = setTimeout(this.drain, this.flushIntervalMs)
      this.timer.unref()
    }
  }

  /** Whether this query should get a stack, per the `callSites` mode. */
  wantsCallSite(sql: unknown, durationMs: number, error: unknown, mode = this.callSites): boolean {
    if (mode === 'all') return true
    if (mode === 'off') return false
    if (error !== undefined || durationMs >= ALWAYS_CAPTURE_FROM_MS) return true
    const seen = this.sqlSightings.get(sql)
    if (seen === undefined) {
      if (this.sqlSightings.size >= MAX_COUNTED_TEXTS) this.sqlSightings.clear()
      this.sqlSightings.set(sql, 1)
      return true
    }
    this.sqlSightings.set(sql, seen + 1)
    return seen < SAMPLE_FIRST || (seen & SAMPLE_EVERY_MASK) === 0
  }

  private get queued(): number {
    return this.queue.length - this.head
  }

  private onOpen(): void {
    this.helloSent = false
    this.contextEndTaken = false
    if (this.ormKnown || this.queued > 0) {
      this.sendHello()
      this.drain()
      return
    }
    // instrumentTypeORM may still come (after `await dataSource.initialize()`, say): give it
    // a moment, so the hello can name the ORM and database.
    this.helloTimer = setTimeout(() => {
      this.helloTimer = undefined
      if (this.connection?.isOpen && !this.helloSent) this.sendHello()
    }, HELLO_DELAY_MS)
    this.helloTimer.unref()
  }

  private sendHello(): void {
    if (this.helloTimer) clearTimeout(this.helloTimer)
    this.helloTimer = undefined
    const hello: HelloMessage = {
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      app: { name: this.appName },
      runtime: { name: 'node', version: process.versions.node },
      pid: process.pid,
      host: safeHostname(),
      agent: { name: AGENT_NAME, version: AGENT_VERSION },
    }
    if (this.orm) hello.orm = cleanNameAndVersion(this.orm)
    if (this.dbSystem) hello['db.system.name'] = String(this.dbSystem).slice(0, 100)
    if (this.connection?.send(JSON.stringify(hello), this.onWritten)) {
      this.helloSent = true
      this.log(`hello sent as "${this.appName}"`)
    }
  }

  private onReply(text: string): void {
    let reply: ProfilerReply
    try {
      reply = JSON.parse(text) as ProfilerReply
    } catch {
      this.log('profiler sent a message that is not JSON')
      return
    }
    if (reply?.type === 'welcome') {
      if (typeof reply.maxPayload === 'number' && reply.maxPayload > 1024) {
        this.maxPayload = reply.maxPayload
      }
      this.contextEndTaken =
        Array.isArray(reply.features) && reply.features.includes(CONTEXT_END_FEATURE)
      this.log(`profiler welcomed us (session ${reply.sessionId})`)
    } else if (reply?.type === 'error') {
      this.profilerErrors++
      const where =
        reply.seq !== undefined
          ? ` (batch ${reply.seq}${reply.index !== undefined ? `, event ${reply.index}` : ''})`
          : ''
      this.log(`profiler rejected a message: ${reply.code}: ${reply.message}${where}`)
    }
  }

  /** Sends whole batches while the socket is open and not backed up. */
  private readonly drain = (): void => {
    try {
      if (this.timer) clearTimeout(this.timer)
      if (this.immediate) clearImmediate(this.immediate)
      this.timer = undefined
      this.immediate = undefined
      const connection = this.connection
      if (!connection?.isOpen) return
      if (!this.helloSent) this.sendHello()
      let count = this.batchSize
      while (this.queued > 0) {
        // A slow profiler: leave the rest queued (bounded) rather than pile it in memory
        // as socket buffers; `onWritten` resumes once the socket has caught up.
        if (connection.bufferedAmount >= this.maxBufferedBytes) return
        const end = Math.min(this.head + count, this.queue.length)
        const events = this.queue.slice(this.head, end)
        const text = this.serializeBatch(events)
        if (text === null) {
          this.advance(end)
          continue
        }
        if (text === undefined) {
          this.droppedCount += queriesIn(events)
          this.advance(end)
          continue
        }
        if (Buffer.byteLength(text) > this.maxPayload) {
          if (events.length > 1) {
            count = Math.max(1, events.length >> 1)
            continue
          }
          this.log('dropped one event larger than the profiler accepts')
          this.droppedCount += queriesIn(events)
          this.advance(end)
          continue
        }
        if (!connection.send(text, this.onWritten)) return
        this.seq++
        this.sentCount += queriesIn(events)
        this.advance(end)
        count = this.batchSize
      }
    } catch (error) {
      this.log(`sending failed: ${describe(error)}`)
    }
  }

  private advance(end: number): void {
    this.head = end
    if (this.head === this.queue.length) {
      this.queue = []
      this.head = 0
    } else if (this.head > 1024 && this.head > this.queue.length >> 1) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
  }

  private readonly onWritten = (error?: Error): void => {
    if (error) {
      this.log(`write failed: ${error.message}`)
      return
    }
    if (
      this.queued > 0 &&
      this.immediate === undefined &&
      this.connection &&
      this.connection.bufferedAmount < this.maxBufferedBytes
    ) {
      this.immediate = setImmediate(this.drain)
    }
  }

  /**
   * A short script that never calls flush(): send what is left while the loop winds down.
   * If the connection is still opening, hold the exit for it (at most EXIT_WAIT_MS);
   * if the profiler is down, exit at once.
   */
  private drainOnExit(): void {
    const connection = this.connection
    if (this.queued === 0 || !connection) return
    if (connection.isOpen) this.drain()
    else if (connection.state === 'connecting' && this.exitWait === undefined) {
      this.exitWait = setTimeout(() => (this.exitWait = undefined), EXIT_WAIT_MS)
    }
  }

  /**
   * The batch message. Context ends go only to a profiler that said it takes them; before its
   * welcome (or from an older one) they are left out, and it closes those contexts once idle.
   * Null when nothing is left to send; undefined when the batch cannot be serialised.
   */
  private serializeBatch(pending: PendingEvent[]): string | null | undefined {
    const events: (QueryEvent | ContextEndEvent)[] = []
    for (const item of pending) {
      if (item instanceof PendingContextEnd) {
        if (this.contextEndTaken) {
          events.push({ type: 'context-end', context: { id: item.contextId }, time: item.time })
        }
        continue
      }
      const event = toWireEvent(item)
      if (event) events.push(event)
      else this.droppedCount++
    }
    // Only context ends the profiler does not take: nothing to send.
    if (events.length === 0) return null
    const batch: BatchMessage = {
      type: 'batch',
      seq: this.seq + 1,
      dropped: this.droppedCount,
      events,
    }
    try {
      return JSON.stringify(batch)
    } catch (error) {
      this.log(`could not serialise a batch: ${describe(error)}`)
      return undefined
    }
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer)
    if (this.immediate) clearImmediate(this.immediate)
    if (this.helloTimer) clearTimeout(this.helloTimer)
    if (this.exitWait) clearTimeout(this.exitWait)
    this.timer = undefined
    this.immediate = undefined
    this.helloTimer = undefined
    this.exitWait = undefined
  }
}

/** How many of these events are queries (what the counts in `stats()` count). */
function queriesIn(events: PendingEvent[]): number {
  let queries = 0
  for (const event of events) if (event instanceof PendingQuery) queries++
  return queries
}

/** The protocol's query event; undefined only if the event cannot be read at all. */
function toWireEvent(query: PendingQuery): QueryEvent | undefined {
  try {
    const durationMs = nonNegative(query.durationMs) ?? 0
    const startTime = nonNegative(query.startTime) ?? Date.now() - durationMs
    const event: QueryEvent = {
      type: 'query',
      'db.query.text': truncate(
        typeof query.sql === 'string' ? query.sql : String(query.sql),
        MAX_QUERY_TEXT,
      ),
      startTime,
      durationMs,
    }
    const params = safeParameters(query.params)
    if (params !== undefined) event['db.query.parameters'] = params
    const rows = nonNegative(query.rows)
    if (rows !== undefined) event['db.response.returned_rows'] = Math.round(rows)
    if (query.error !== undefined && query.error !== null) event.error = toWireError(query.error)
    const connectionId = query.connectionId
    if (typeof connectionId === 'number' && Number.isFinite(connectionId)) {
      event.connectionId = connectionId
    } else if (connectionId !== undefined && connectionId !== null) {
      event.connectionId = String(connectionId).slice(0, 200)
    }
    if (query.context) {
      event.context = { id: query.context.id }
      if (query.context.name !== undefined) event.context.name = query.context.name.slice(0, 500)
    }
    const stack = query.stack ? cleanFrames(query.stack) : query.site && callSiteFrames(query.site)
    if (stack && stack.length > 0) event.stack = stack
    return event
  } catch {
    return undefined
  }
}

function safeParameters(params: unknown): QueryEvent['db.query.parameters'] {
  try {
    return toWireParameters(params)
  } catch {
    return ['[unserialisable parameters]']
  }
}

/** A stack the app passed in: kept only as far as it has the protocol's shape. */
function cleanFrames(frames: unknown): StackFrame[] | undefined {
  if (!Array.isArray(frames)) return undefined
  const out: StackFrame[] = []
  for (const frame of frames.slice(0, MAX_STACK_FRAMES)) {
    const f = frame as Partial<StackFrame> | null
    if (!f || typeof f.file !== 'string') continue
    const clean: StackFrame = { file: f.file.slice(0, 4096) }
    if (typeof f.function === 'string') clean.function = f.function.slice(0, 1000)
    const line = nonNegative(f.line)
    const column = nonNegative(f.column)
    if (line !== undefined) clean.line = Math.floor(line)
    if (column !== undefined) clean.column = Math.floor(column)
    out.push(clean)
  }
  return out
}

function cleanNameAndVersion(value: NameAndVersion): NameAndVersion | undefined {
  const name = typeof value?.name === 'string' ? value.name.slice(0, 200) : ''
  if (!name) return undefined
  const out: NameAndVersion = { name }
  if (typeof value.version === 'string') out.version = value.version.slice(0, 100)
  return out
}

function nonNegative(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined
}

function positiveInt(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 1
    ? Math.floor(value)
    : fallback
}

function isFalse(value: string | undefined): boolean {
  return value !== undefined && /^(0|false|no|off)$/i.test(value.trim())
}

function makeLogger(
  debug: AgentOptions['debug'],
  envDebug: string | undefined,
): (message: string) => void {
  if (typeof debug === 'function') {
    return (message) => {
      try {
        debug(message)
      } catch {
        // A broken logger must not break the app either.
      }
    }
  }
  const on = debug ?? (envDebug !== undefined && envDebug !== '' && !isFalse(envDebug))
  return on ? (message) => console.debug(`[${AGENT_NAME}] ${message}`) : () => undefined
}

/** The app's package name, else the script's file name, else `node-app`. */
function defaultAppName(): string {
  try {
    const manifest = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as {
      name?: unknown
    }
    if (typeof manifest.name === 'string' && manifest.name) return manifest.name
  } catch {
    // No package.json here: fall back to the script name.
  }
  const script = process.argv[1]
  if (script) return basename(script, extname(script)) || 'node-app'
  return 'node-app'
}

function safeHostname(): string | undefined {
  try {
    return hostname().slice(0, 255)
  } catch {
    return undefined
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function sleep(ms: number): Promise<void> {
  // Not unref'd: an app awaiting flush() must not exit in the middle of it.
  return new Promise((resolve) => setTimeout(resolve, ms))
}
