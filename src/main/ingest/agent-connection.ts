/**
 * One agent's WebSocket connection: hello first, then batches. Every message and every event
 * is validated on its own, so one bad event costs only itself: it is counted as rejected and
 * answered with an error naming the problem, while the good events around it are kept and
 * the connection stays open. Nothing an agent sends can throw out of this module.
 */
import type { WebSocket, RawData } from 'ws'
import type { ZodError } from 'zod'
import {
  FEATURES,
  PROTOCOL_VERSION,
  agentEventSchema,
  batchEnvelopeSchema,
  helloSchema,
  type BatchEnvelope,
  type ContextEndEvent,
  type ErrorCode,
  type HelloMessage,
  type ProfilerReply,
} from '../../shared/protocol/v1'
import {
  isBatchEnvelope,
  isValidContextEndEvent,
  readQueryEvent,
} from '../../shared/protocol/fast-check'
import type { AppInfo } from '../../shared/domain'
import type { NewQuery } from '../session/live-session'

/** What the connection feeds: the Profiler implements it. */
export interface IngestSink {
  readonly sessionId: string
  registerApp(hello: HelloMessage): AppInfo
  addQueries(app: AppInfo, queries: NewQuery[]): void
  /** These contexts of the app have ended (their ids, in the order they ended). */
  endContexts(app: AppInfo, contextIds: string[]): void
  countRejected(count: number): void
  reportAgentDropped(app: AppInfo, droppedSoFar: number): void
  appDisconnected(app: AppInfo): void
}

/** At most this many error replies per batch, so a batch of garbage cannot flood the agent. */
const MAX_ERRORS_PER_BATCH = 10

export function handleAgentConnection(
  socket: WebSocket,
  sink: IngestSink,
  maxPayload: number,
): void {
  let app: AppInfo | undefined

  const reply = (message: ProfilerReply): void => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message))
  }
  const fail = (code: ErrorCode, message: string, extra: { seq?: number; index?: number } = {}) =>
    reply({ type: 'error', code, message, ...extra })

  socket.on('message', (data: RawData) => {
    try {
      let parsed: unknown
      try {
        parsed = JSON.parse(rawToString(data))
      } catch (error) {
        sink.countRejected(1)
        fail('not-json', `message is not JSON: ${(error as Error).message}`)
        return
      }
      const type = (parsed as { type?: unknown } | null)?.type
      if (type === 'hello') {
        const hello = helloSchema.safeParse(parsed)
        if (!hello.success) {
          const protocol = (parsed as { protocol?: unknown }).protocol
          if (typeof protocol === 'number' && protocol !== PROTOCOL_VERSION) {
            fail(
              'unsupported-protocol',
              `protocol ${protocol} is not supported; this profiler speaks ${PROTOCOL_VERSION}`,
            )
          } else {
            fail('bad-message', `hello: ${describeZodError(hello.error)}`)
          }
          return
        }
        if (app) sink.appDisconnected(app)
        app = sink.registerApp(hello.data)
        reply({
          type: 'welcome',
          protocol: PROTOCOL_VERSION,
          appId: app.id,
          sessionId: sink.sessionId,
          maxPayload,
          features: [...FEATURES],
        })
        return
      }
      if (type === 'batch') {
        // The fast check for the common case; the schema judges (and explains) the rest.
        let envelope: BatchEnvelope
        if (isBatchEnvelope(parsed)) envelope = parsed
        else {
          const result = batchEnvelopeSchema.safeParse(parsed)
          if (!result.success) {
            const events = (parsed as { events?: unknown }).events
            sink.countRejected(Array.isArray(events) ? events.length : 1)
            fail('bad-message', `batch: ${describeZodError(result.error)}`)
            return
          }
          envelope = result.data
        }
        const { seq, events, dropped } = envelope
        if (!app) {
          sink.countRejected(events.length)
          fail('no-hello', 'send a hello before any batch; this batch was discarded', { seq })
          return
        }
        if (dropped !== undefined) sink.reportAgentDropped(app, dropped)
        ingestEvents(app, events, seq)
        return
      }
      sink.countRejected(1)
      fail(
        'bad-message',
        `unknown message type ${JSON.stringify(type)}; expected "hello" or "batch"`,
      )
    } catch (error) {
      // A bug of ours must not take the connection, let alone the process, down.
      fail('bad-message', `could not process message: ${(error as Error).message}`)
    }
  })

  socket.on('close', () => {
    if (app) sink.appDisconnected(app)
  })
  socket.on('error', () => {
    // ws closes the socket after an error (e.g. payload over the limit); 'close' follows.
  })

  /**
   * A batch's events. Contexts it ends are ended once its queries are taken in, so a query
   * of an ended context later in the same batch still joins that context's scope.
   */
  function ingestEvents(from: AppInfo, events: unknown[], seq: number | undefined): void {
    const queries: NewQuery[] = []
    let ended: string[] | undefined
    let rejected = 0
    const reject = (index: number, why: string): void => {
      rejected++
      if (rejected <= MAX_ERRORS_PER_BATCH)
        fail('bad-event', `events[${index}]: ${why}`, { seq, index })
    }
    for (let index = 0; index < events.length; index++) {
      const raw = events[index]
      // The fast paths for the common cases; the schema judges (and explains) everything else.
      const query = readQueryEvent(raw, from.id)
      if (query !== undefined) {
        queries.push(query)
        continue
      }
      if (isValidContextEndEvent(raw)) {
        ;(ended ??= []).push((raw as ContextEndEvent).context.id)
        continue
      }
      const result = agentEventSchema.safeParse(raw)
      if (!result.success) {
        reject(index, describeZodError(result.error))
        continue
      }
      const event = result.data
      if (event.type === 'query') {
        // Never so: the fast path and the schema agree (a test holds them to one verdict).
        reject(index, 'a query event the schema accepts but the fast check does not')
      } else if (event.type === 'context-end') (ended ??= []).push(event.context.id)
      // Metrics events are accepted now and stored by the Metrics and health work.
    }
    if (rejected > MAX_ERRORS_PER_BATCH) {
      fail('bad-event', `${rejected - MAX_ERRORS_PER_BATCH} more bad events in this batch`, { seq })
    }
    if (rejected > 0) sink.countRejected(rejected)
    if (queries.length > 0) sink.addQueries(from, queries)
    if (ended !== undefined) sink.endContexts(from, ended)
  }
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8')
  // Without arguments: Buffer's shortest path to UTF-8 text.
  return data.toString()
}

/** `field.path: problem` for the first few issues, readable in an agent's log. */
export function describeZodError(error: ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      const where = path.join('').replace(/^\./, '')
      return where ? `${where}: ${issue.message}` : issue.message
    })
    .join('; ')
}
