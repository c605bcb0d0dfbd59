/**
 * The browser-mode transport of the shared API: request frames `{id, channel, args}` answered
 * with `{id, result}` or `{id, error}`, and pushed events `{event, payload}`. Arguments are
 * validated here, at the trust boundary, with the same schemas the IPC bridge uses.
 */
import type { WebSocket, RawData } from 'ws'
import { EVENT_CHANNELS, type RequestChannel } from '../../shared/api'
import { isRequestChannel, requestArgsSchemas } from '../../shared/api-schemas'
import type { Profiler } from '../core/profiler'
import { describeZodError } from '../ingest/agent-connection'

/** Socket buffer above which pushed events are skipped (the UI refetches on the next one). */
const MAX_BUFFERED_FOR_EVENTS = 4 * 1024 * 1024

export function handleRpcConnection(socket: WebSocket, profiler: Profiler): void {
  const send = (message: unknown): void => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message))
  }

  const unsubscribers = EVENT_CHANNELS.map((channel) =>
    profiler.onEvent(channel, (payload) => {
      if (socket.bufferedAmount < MAX_BUFFERED_FOR_EVENTS) send({ event: channel, payload })
    }),
  )
  socket.on('close', () => unsubscribers.forEach((off) => off()))
  socket.on('error', () => {})

  socket.on('message', (data: RawData) => {
    let frame: { id?: unknown; channel?: unknown; args?: unknown }
    try {
      frame = JSON.parse(data.toString())
    } catch {
      send({ id: null, error: 'request is not JSON' })
      return
    }
    const id = typeof frame?.id === 'number' ? frame.id : null
    if (!isRequestChannel(frame?.channel)) {
      send({ id, error: `unknown channel ${JSON.stringify(frame?.channel)}` })
      return
    }
    const channel: RequestChannel = frame.channel
    const args = requestArgsSchemas[channel].safeParse(frame.args ?? [])
    if (!args.success) {
      send({ id, error: `${channel}: ${describeZodError(args.error)}` })
      return
    }
    invoke(profiler, channel, args.data as unknown[]).then(
      (result) => send({ id, result: result ?? null }),
      (error: unknown) =>
        send({ id, error: error instanceof Error ? error.message : String(error) }),
    )
  })
}

/** Calls the handler for a channel whose arguments were validated. */
export async function invoke(
  profiler: Profiler,
  channel: RequestChannel,
  args: unknown[],
): Promise<unknown> {
  const handler = profiler.handlers[channel] as (...a: unknown[]) => unknown
  return handler(...args)
}
