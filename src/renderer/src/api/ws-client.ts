/**
 * The browser-mode transport: the shared API over one WebSocket to the core's `/rpc`.
 *
 *   client -> server  {"id": 7, "channel": "queries.page", "args": [...]}
 *   server -> client  {"id": 7, "result": ...}  or  {"id": 7, "error": "message"}
 *   server -> client  {"event": "status", "payload": ...}   (pushed, no id)
 *
 * Replies are matched to requests by id, so they may arrive in any order. Requests made
 * while the line is down wait for the next open; requests in flight when it drops are
 * rejected (their replies can never come). The socket reconnects with capped exponential
 * backoff and jitter, so a restarted core is picked up without a reload.
 *
 * A request with no reply in `requestTimeoutMs` (30 s) is rejected, except the long-running
 * ones (`LONG_RUNNING_CHANNELS`: an export, opening or comparing sessions, loading a file),
 * which take as long as the session is large and report progress: they are rejected only
 * after `longRequestIdleMs` without a reply or a progress event.
 */
import {
  LONG_RUNNING_CHANNELS,
  PROGRESS_EVENTS,
  type EventChannel,
  type EventChannels,
  type RequestArgs,
  type RequestChannel,
  type RequestResult,
} from '@shared/api'
import type { RendererClient, TransportState } from './transport'

/**
 * The part of a WebSocket this client uses; the browser's and the `ws` package's both fit.
 * Handlers take `never` so that either implementation's event type is accepted.
 */
export interface WebSocketLike {
  readonly readyState: number
  onopen: ((event: never) => void) | null
  onmessage: ((event: never) => void) | null
  onclose: ((event: never) => void) | null
  onerror: ((event: never) => void) | null
  send(data: string): void
  close(code?: number, reason?: string): void
}

export interface WsClientOptions {
  /** `ws://host:port/rpc?token=...` */
  url: string
  /** Opens a socket; the browser's `WebSocket` unless a test injects another. */
  createSocket?: (url: string) => WebSocketLike
  /** First reconnect delay; doubles per failed attempt up to `maxBackoffMs`. */
  initialBackoffMs?: number
  maxBackoffMs?: number
  /** A request with no reply after this long is rejected (the socket stays up). */
  requestTimeoutMs?: number
  /** A long-running request is rejected after this long without a reply or progress. */
  longRequestIdleMs?: number
}

interface PendingRequest {
  resolve: (value: unknown) => void
  reject: (error: Error) => void
  timer: ReturnType<typeof setTimeout>
  /** Starts (again) the timer of a long-running request; absent for the others. */
  rearm?: () => void
}

const OPEN = 1
const longRunning = new Set<string>(LONG_RUNNING_CHANNELS)
const progressEvents = new Set<string>(PROGRESS_EVENTS)

export function createWsClient(options: WsClientOptions): RendererClient {
  const createSocket = options.createSocket ?? ((url: string): WebSocketLike => new WebSocket(url))
  const initialBackoffMs = options.initialBackoffMs ?? 250
  const maxBackoffMs = options.maxBackoffMs ?? 5000
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000
  const longRequestIdleMs = options.longRequestIdleMs ?? 5 * 60_000

  let socket: WebSocketLike | null = null
  let state: TransportState = 'connecting'
  let closed = false
  let attempt = 0
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null
  let nextId = 1
  const pending = new Map<number, PendingRequest>()
  /** Frames of requests made while the line was down, sent on the next open. */
  const outbox: { id: number; frame: string }[] = []
  const eventListeners = new Map<string, Set<(payload: unknown) => void>>()
  const stateListeners = new Set<(state: TransportState) => void>()

  function setState(next: TransportState): void {
    if (next === state) return
    state = next
    for (const listener of [...stateListeners]) listener(next)
  }

  function connect(): void {
    reconnectTimer = null
    let current: WebSocketLike
    try {
      current = createSocket(options.url)
    } catch {
      scheduleReconnect()
      return
    }
    socket = current
    current.onopen = () => {
      if (socket !== current) return
      attempt = 0
      setState('open')
      for (const { frame } of outbox.splice(0)) current.send(frame)
    }
    current.onmessage = (event: { data: unknown }) => {
      if (socket === current) handleFrame(event.data)
    }
    current.onclose = () => {
      if (socket !== current) return
      socket = null
      failPending('disconnected from the profiler')
      if (!closed) scheduleReconnect()
    }
    // An error is always followed by a close; the close does the work.
    current.onerror = () => {}
  }

  function scheduleReconnect(): void {
    setState('disconnected')
    const base = Math.min(maxBackoffMs, initialBackoffMs * 2 ** attempt)
    attempt += 1
    // Jitter, so several tabs do not hammer a restarting core in step.
    const delay = base / 2 + Math.random() * (base / 2)
    reconnectTimer = setTimeout(connect, delay)
  }

  function failPending(message: string): void {
    for (const [id, request] of pending) {
      // Requests still in the outbox were never sent: they wait for the next open.
      if (outbox.some((queued) => queued.id === id)) continue
      clearTimeout(request.timer)
      pending.delete(id)
      request.reject(new Error(message))
    }
  }

  function handleFrame(data: unknown): void {
    if (typeof data !== 'string') return
    let frame: unknown
    try {
      frame = JSON.parse(data)
    } catch {
      return
    }
    if (typeof frame !== 'object' || frame === null) return
    const message = frame as Record<string, unknown>
    if (typeof message.event === 'string') {
      // Work is under way in the core: long-running requests get their full time again.
      if (progressEvents.has(message.event)) {
        for (const request of pending.values()) request.rearm?.()
      }
      const listeners = eventListeners.get(message.event)
      if (!listeners) return
      for (const listener of [...listeners]) {
        try {
          listener(message.payload)
        } catch (error) {
          // One broken listener must not starve the others of the event.
          console.error(`listener for ${message.event} failed`, error)
        }
      }
      return
    }
    if (typeof message.id !== 'number') return
    const request = pending.get(message.id)
    if (!request) return
    pending.delete(message.id)
    clearTimeout(request.timer)
    if (typeof message.error === 'string') request.reject(new Error(message.error))
    else request.resolve(message.result)
  }

  function request<C extends RequestChannel>(
    channel: C,
    ...args: RequestArgs<C>
  ): Promise<RequestResult<C>> {
    if (closed) return Promise.reject(new Error('the profiler client is closed'))
    const id = nextId++
    const frame = JSON.stringify({ id, channel, args })
    const long = longRunning.has(channel)
    const timeoutMs = long ? longRequestIdleMs : requestTimeoutMs
    return new Promise<RequestResult<C>>((resolve, reject) => {
      const expire = () => {
        pending.delete(id)
        const queued = outbox.findIndex((entry) => entry.id === id)
        if (queued >= 0) outbox.splice(queued, 1)
        reject(
          new Error(
            long
              ? `${channel} timed out: no reply or progress for ${timeoutMs} ms`
              : `${channel} timed out after ${timeoutMs} ms`,
          ),
        )
      }
      const entry: PendingRequest = {
        resolve: resolve as (value: unknown) => void,
        reject,
        timer: setTimeout(expire, timeoutMs),
      }
      if (long) {
        entry.rearm = () => {
          clearTimeout(entry.timer)
          entry.timer = setTimeout(expire, timeoutMs)
        }
      }
      pending.set(id, entry)
      if (socket && socket.readyState === OPEN) socket.send(frame)
      else outbox.push({ id, frame })
    })
  }

  function on<C extends EventChannel>(
    channel: C,
    listener: (payload: EventChannels[C]) => void,
  ): () => void {
    let listeners = eventListeners.get(channel)
    if (!listeners) {
      listeners = new Set()
      eventListeners.set(channel, listeners)
    }
    const untyped = listener as (payload: unknown) => void
    listeners.add(untyped)
    return () => listeners.delete(untyped)
  }

  function close(): void {
    if (closed) return
    closed = true
    if (reconnectTimer) clearTimeout(reconnectTimer)
    outbox.length = 0
    const current = socket
    socket = null
    current?.close()
    for (const [, entry] of pending) {
      clearTimeout(entry.timer)
      entry.reject(new Error('the profiler client is closed'))
    }
    pending.clear()
    setState('disconnected')
  }

  connect()

  return {
    get state() {
      return state
    },
    request,
    on,
    onStateChange(listener) {
      stateListeners.add(listener)
      return () => stateListeners.delete(listener)
    },
    close,
  }
}
