/**
 * A stand-in profiler for the agent's tests: a real `ws` server on a free port that checks
 * the bearer token, records every message, validates it against the profiler's own
 * protocol schemas (src/shared/protocol/v1.ts) and answers as the profiler does: a welcome
 * after the hello, an error reply for a bad message or event. Its welcome lists the optional
 * `features` it is started with (none by default, as an older profiler); an optional event
 * it did not list counts as invalid.
 */
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import {
  agentEventSchema,
  batchEnvelopeSchema,
  helloSchema,
  type ContextEndEvent,
  type HelloMessage,
  type QueryEvent,
} from '../../../src/shared/protocol/v1'

export interface RecordedBatch {
  seq?: number
  dropped?: number
  events: QueryEvent[]
}

export class RecordingProfiler {
  readonly hellos: HelloMessage[] = []
  readonly batches: RecordedBatch[] = []
  /** Context ends received, with the number of query events received before each. */
  readonly contextEnds: (ContextEndEvent & { after: number })[] = []
  /** Messages or events the schemas rejected: a test expects none. */
  readonly invalid: string[] = []
  readonly authorizations: (string | undefined)[] = []
  readonly extensions: (string | undefined)[] = []
  connections = 0
  /** When set, every batch is answered with an error reply (as for a rejected event). */
  rejectBatches = false
  private readonly sockets = new Set<WebSocket>()

  private constructor(
    private readonly server: WebSocketServer,
    readonly port: number,
    private readonly features: string[],
  ) {}

  static async start(
    options: { port?: number; token?: string; features?: string[] } = {},
  ): Promise<RecordingProfiler> {
    const server = new WebSocketServer({
      host: '127.0.0.1',
      port: options.port ?? 0,
      path: '/agent',
      perMessageDeflate: false,
      verifyClient: (info: { req: { headers: Record<string, string | string[] | undefined> } }) =>
        options.token === undefined || info.req.headers.authorization === `Bearer ${options.token}`,
    })
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve)
      server.once('error', reject)
    })
    const profiler = new RecordingProfiler(
      server,
      (server.address() as AddressInfo).port,
      options.features ?? [],
    )
    server.on('connection', (socket, request) => profiler.accept(socket, request.headers))
    return profiler
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/agent`
  }

  get events(): QueryEvent[] {
    return this.batches.flatMap((batch) => batch.events)
  }

  /** Resolves once `ready()` holds; rejects after `timeoutMs` with what was seen so far. */
  async waitFor(ready: () => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!ready()) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out: ${this.hellos.length} hellos, ${this.batches.length} batches, ` +
            `${this.events.length} events`,
        )
      }
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }

  /** Stops reading from the agents' sockets, as a profiler too busy to keep up would. */
  pauseReading(): void {
    for (const socket of this.sockets) socket.pause()
  }

  resumeReading(): void {
    for (const socket of this.sockets) socket.resume()
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.terminate()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private accept(socket: WebSocket, headers: Record<string, string | string[] | undefined>): void {
    this.connections++
    this.sockets.add(socket)
    this.authorizations.push(headers.authorization as string | undefined)
    this.extensions.push(headers['sec-websocket-extensions'] as string | undefined)
    socket.on('close', () => this.sockets.delete(socket))
    socket.on('message', (data) => {
      let parsed: { type?: string }
      try {
        parsed = JSON.parse(data.toString()) as { type?: string }
      } catch {
        this.invalid.push(`not JSON: ${data.toString().slice(0, 300)}`)
        return
      }
      if (parsed.type === 'hello') {
        const hello = helloSchema.safeParse(parsed)
        if (!hello.success) {
          this.invalid.push(`hello: ${hello.error.message}`)
          socket.send(JSON.stringify({ type: 'error', code: 'bad-message', message: 'bad hello' }))
          return
        }
        this.hellos.push(hello.data)
        socket.send(
          JSON.stringify({
            type: 'welcome',
            protocol: 1,
            appId: 'app-1',
            sessionId: 'session-1',
            maxPayload: 16 * 1024 * 1024,
            features: this.features,
          }),
        )
        return
      }
      const envelope = batchEnvelopeSchema.safeParse(parsed)
      if (!envelope.success) {
        this.invalid.push(`batch: ${envelope.error.message}`)
        return
      }
      const events: QueryEvent[] = []
      const before = this.events.length
      envelope.data.events.forEach((event, index) => {
        const checked = agentEventSchema.safeParse(event)
        if (
          checked.success &&
          checked.data.type === 'context-end' &&
          this.features.includes('context-end')
        ) {
          this.contextEnds.push({ ...checked.data, after: before + events.length })
          return
        }
        if (!checked.success || checked.data.type !== 'query') {
          this.invalid.push(`event ${index}: ${JSON.stringify(event).slice(0, 300)}`)
          socket.send(
            JSON.stringify({
              type: 'error',
              code: 'bad-event',
              message: 'bad event',
              seq: envelope.data.seq,
              index,
            }),
          )
          return
        }
        events.push(checked.data)
      })
      this.batches.push({ seq: envelope.data.seq, dropped: envelope.data.dropped, events })
      if (this.rejectBatches) {
        socket.send(
          JSON.stringify({
            type: 'error',
            code: 'bad-event',
            message: 'refused',
            seq: envelope.data.seq,
          }),
        )
      }
    })
  }
}
