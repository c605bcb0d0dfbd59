/**
 * The WebSocket to the profiler, kept up for as long as the agent runs: when the profiler is
 * absent, stops or restarts, the connection retries with exponential backoff and jitter.
 * Its socket and timers are unref'd, so it never keeps the app alive on its own; it never
 * throws: failures become state changes and debug lines.
 */
import { connect as netConnect, isIP, type NetConnectOpts, type Socket } from 'node:net'
import { connect as tlsConnect, type ConnectionOptions as ConnectionOptionsTls } from 'node:tls'
import WebSocket from 'ws'

export type ConnectionState = 'connecting' | 'open' | 'waiting' | 'closed'

export interface ConnectionOptions {
  url: string
  token: string | undefined
  reconnectMinDelayMs: number
  reconnectMaxDelayMs: number
  log: (message: string) => void
  /** The socket is open: time to say hello and send what is queued. */
  onOpen: () => void
  /** A text message from the profiler. */
  onMessage: (text: string) => void
  /** The socket is down (before a retry is scheduled), or the state changed otherwise. */
  onStateChange: () => void
}

/** Long enough for a busy profiler, short enough that a black-holed address is given up. */
const HANDSHAKE_TIMEOUT_MS = 5_000
/** How long `close()` waits for the profiler's close frame before cutting the socket. */
const CLOSE_GRACE_MS = 1_000

export class Connection {
  state: ConnectionState = 'closed'
  private socket: WebSocket | undefined
  private retryTimer: NodeJS.Timeout | undefined
  private failures = 0
  private stopped = false
  private lastLoggedFailure = ''

  constructor(private readonly options: ConnectionOptions) {}

  start(): void {
    this.stopped = false
    this.open()
  }

  /** True when `send` would put data on the wire now. */
  get isOpen(): boolean {
    return this.state === 'open' && this.socket?.readyState === WebSocket.OPEN
  }

  /** Bytes handed to the socket that the kernel has not taken yet. */
  get bufferedAmount(): number {
    try {
      return this.socket?.bufferedAmount ?? 0
    } catch {
      return 0
    }
  }

  /** Sends a text frame; `done` runs once it is written (or failed). False if not open. */
  send(text: string, done: (error?: Error) => void): boolean {
    const socket = this.socket
    if (!socket || !this.isOpen) return false
    try {
      socket.send(text, (error) => done(error ?? undefined))
      return true
    } catch (error) {
      this.options.log(`send failed: ${(error as Error).message}`)
      return false
    }
  }

  /** Stops retrying and closes the socket; resolves once it is closed. */
  stop(): Promise<void> {
    this.stopped = true
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = undefined
    const socket = this.socket
    this.socket = undefined
    this.setState('closed')
    if (!socket || socket.readyState === WebSocket.CLOSED) return Promise.resolve()
    return new Promise((resolve) => {
      const cut = setTimeout(() => {
        safely(() => socket.terminate())
        resolve()
      }, CLOSE_GRACE_MS)
      socket.once('close', () => {
        clearTimeout(cut)
        resolve()
      })
      if (socket.readyState === WebSocket.CONNECTING) safely(() => socket.terminate())
      else safely(() => socket.close(1000, 'agent closed'))
    })
  }

  private open(): void {
    if (this.stopped) return
    this.setState('connecting')
    let socket: WebSocket
    try {
      const headers: Record<string, string> = {}
      if (this.options.token) headers.Authorization = `Bearer ${this.options.token}`
      socket = new WebSocket(this.options.url, {
        headers,
        // The profiler does not compress; compressing here would only cost the app CPU and
        // memory (zlib contexts fragment the heap).
        perMessageDeflate: false,
        // Masking guards proxies against frames crafted by untrusted page scripts; an agent
        // talking to a local profiler has none, and an all-zero mask lets ws skip XOR-ing
        // every byte it sends (a tenth of the agent's CPU, measured).
        generateMask: (mask: Buffer) => void mask.fill(0),
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
        createConnection: this.options.url.startsWith('wss:')
          ? unrefTlsConnection
          : unrefConnection,
      })
    } catch (error) {
      // A malformed URL throws synchronously: retrying will not fix it, but it is logged
      // once and retried slowly rather than thrown into the app.
      this.noteFailure(`cannot connect to ${this.options.url}: ${(error as Error).message}`)
      this.scheduleRetry()
      return
    }
    this.socket = socket
    socket.on('open', () => {
      if (this.socket !== socket) return
      this.failures = 0
      this.lastLoggedFailure = ''
      this.options.log(`connected to ${this.options.url}`)
      this.setState('open')
      safely(() => this.options.onOpen())
    })
    socket.on('message', (data, isBinary) => {
      if (this.socket !== socket || isBinary) return
      safely(() => this.options.onMessage(data.toString()))
    })
    socket.on('unexpected-response', (_request, response) => {
      // A 401 (wrong token) or 404 (wrong path): say so once, keep retrying slowly.
      this.noteFailure(`profiler refused the connection: HTTP ${response.statusCode}`)
      safely(() => socket.terminate())
    })
    socket.on('error', (error) => {
      // After a refused upgrade, ws reports its own abort too: the refusal already said it.
      if (error.message.includes('closed before the connection was established')) return
      this.noteFailure(`connection error: ${error.message}`)
    })
    socket.on('close', () => {
      if (this.socket !== socket) return
      this.socket = undefined
      if (this.state === 'open') this.options.log('connection to the profiler closed')
      this.scheduleRetry()
    })
  }

  private scheduleRetry(): void {
    if (this.stopped) return
    this.setState('waiting')
    const base = Math.min(
      this.options.reconnectMaxDelayMs,
      this.options.reconnectMinDelayMs * 2 ** Math.min(this.failures, 20),
    )
    this.failures++
    // Jitter spreads the retries of many app processes after a profiler restart.
    const delay = base / 2 + Math.random() * (base / 2)
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      this.open()
    }, delay)
    this.retryTimer.unref()
  }

  private noteFailure(message: string): void {
    // The same failure every few seconds says nothing new.
    if (message === this.lastLoggedFailure) return
    this.lastLoggedFailure = message
    this.options.log(message)
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return
    this.state = state
    safely(() => this.options.onStateChange())
  }
}

/**
 * ws's own connectors, with the socket unref'd: a profiler connection must never be the
 * reason an app that has finished its work keeps running.
 */
function unrefConnection(options: object): Socket {
  const opts = options as NetConnectOpts & { socketPath?: string }
  // As ws does: a `ws+unix:` URL puts the socket path in `socketPath`.
  const socket = netConnect({ ...opts, path: opts.socketPath } as NetConnectOpts)
  socket.unref()
  return socket
}

function unrefTlsConnection(options: object): Socket {
  const opts = options as { host?: string; servername?: string }
  const servername = opts.servername ?? (opts.host && !isIP(opts.host) ? opts.host : '')
  const socket = tlsConnect({ ...opts, path: undefined, servername } as ConnectionOptionsTls)
  socket.unref()
  return socket
}

function safely(fn: () => void): void {
  try {
    fn()
  } catch {
    // Nothing from the connection may reach the app.
  }
}
