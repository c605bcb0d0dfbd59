// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import type { AddressInfo } from 'node:net'
import { createWsClient, type WebSocketLike } from '@renderer/api/ws-client'
import type { RendererClient, TransportState } from '@renderer/api/transport'
import { rpcUrl, takeBrowserToken } from '@renderer/api/browser-token'
import { profilerStatus } from './fake-client'

interface Frame {
  id: number
  channel: string
  args: unknown[]
}

/** A real `ws` server on an ephemeral port, standing in for the core's `/rpc`. */
async function startServer(): Promise<{
  server: WebSocketServer
  url: string
  sockets: WebSocket[]
  frames: Frame[]
  nextFrame: () => Promise<{ socket: WebSocket; frame: Frame }>
}> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const sockets: WebSocket[] = []
  const frames: Frame[] = []
  const waiting: ((value: { socket: WebSocket; frame: Frame }) => void)[] = []
  const queued: { socket: WebSocket; frame: Frame }[] = []
  server.on('connection', (socket) => {
    sockets.push(socket)
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame
      frames.push(frame)
      const waiter = waiting.shift()
      if (waiter) waiter({ socket, frame })
      else queued.push({ socket, frame })
    })
  })
  const { port } = server.address() as AddressInfo
  return {
    server,
    url: `ws://127.0.0.1:${port}/rpc?token=t0ken`,
    sockets,
    frames,
    nextFrame: () => {
      const ready = queued.shift()
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve))
    },
  }
}

const nodeSocket = (url: string): WebSocketLike => new WebSocket(url)

function waitForState(client: RendererClient, state: TransportState): Promise<void> {
  if (client.state === state) return Promise.resolve()
  return new Promise((resolve) => {
    const off = client.onStateChange((next) => {
      if (next === state) {
        off()
        resolve()
      }
    })
  })
}

const cleanups: (() => void | Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function setup(
  options: {
    initialBackoffMs?: number
    requestTimeoutMs?: number
    longRequestIdleMs?: number
  } = {},
) {
  const harness = await startServer()
  const client = createWsClient({
    url: harness.url,
    createSocket: nodeSocket,
    initialBackoffMs: options.initialBackoffMs ?? 20,
    maxBackoffMs: 100,
    requestTimeoutMs: options.requestTimeoutMs,
    longRequestIdleMs: options.longRequestIdleMs,
  })
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of harness.sockets) socket.terminate()
        harness.server.close(() => resolve())
      }),
  )
  cleanups.push(() => client.close())
  return { ...harness, client }
}

describe('the WebSocket RPC client', () => {
  it('matches replies to requests by id, whatever order the server answers in', async () => {
    const { client, nextFrame } = await setup()
    const status = client.request('status.get')
    const page = client.request('queries.page', { offset: 0, limit: 10 })
    const first = await nextFrame()
    const second = await nextFrame()
    expect(first.frame.channel).toBe('status.get')
    expect(second.frame).toMatchObject({
      channel: 'queries.page',
      args: [{ offset: 0, limit: 10 }],
    })
    expect(first.frame.id).not.toBe(second.frame.id)

    // Answer the second request first.
    second.socket.send(
      JSON.stringify({ id: second.frame.id, result: { total: 0, offset: 0, rows: [] } }),
    )
    first.socket.send(JSON.stringify({ id: first.frame.id, result: profilerStatus() }))

    expect(await page).toEqual({ total: 0, offset: 0, rows: [] })
    expect((await status).sessionId).toBe('session-1')
  })

  it('rejects a request the server answers with an error, with its message', async () => {
    const { client, nextFrame } = await setup()
    const result = client.request('queries.get', 7)
    const { socket, frame } = await nextFrame()
    socket.send(JSON.stringify({ id: frame.id, error: 'invalid arguments for queries.get' }))
    await expect(result).rejects.toThrow('invalid arguments for queries.get')
  })

  it('delivers pushed events to the listeners of that channel only, until they unsubscribe', async () => {
    const { client, sockets } = await setup()
    await waitForState(client, 'open')
    const changes: unknown[] = []
    const statuses: unknown[] = []
    const off = client.on('queries.changed', (payload) => changes.push(payload))
    client.on('status', (payload) => statuses.push(payload))

    sockets[0].send(JSON.stringify({ event: 'queries.changed', payload: { total: 5, lastId: 5 } }))
    await expect.poll(() => changes).toEqual([{ total: 5, lastId: 5 }])
    expect(statuses).toEqual([])

    off()
    sockets[0].send(JSON.stringify({ event: 'queries.changed', payload: { total: 6, lastId: 6 } }))
    sockets[0].send(JSON.stringify({ event: 'status', payload: { marker: 1 } }))
    await expect.poll(() => statuses).toEqual([{ marker: 1 }])
    expect(changes).toHaveLength(1)
  })

  it('holds requests made before the socket opens and sends them once it does', async () => {
    const { client, nextFrame } = await setup()
    expect(client.state).toBe('connecting')
    const result = client.request('connect.info')
    const { socket, frame } = await nextFrame()
    expect(frame.channel).toBe('connect.info')
    socket.send(
      JSON.stringify({ id: frame.id, result: { agentUrl: 'ws://x', token: 't', snippets: [] } }),
    )
    expect((await result).agentUrl).toBe('ws://x')
  })

  it('reports the drop, rejects requests in flight, reconnects and serves requests again', async () => {
    const { client, sockets, nextFrame } = await setup()
    const states: TransportState[] = []
    client.onStateChange((state) => states.push(state))
    await waitForState(client, 'open')

    const inFlight = client.request('status.get')
    await nextFrame()
    sockets[0].terminate()
    await expect(inFlight).rejects.toThrow('disconnected')
    await waitForState(client, 'open')
    expect(states).toEqual(['open', 'disconnected', 'open'])
    expect(sockets).toHaveLength(2)

    const again = client.request('status.get')
    const { socket, frame } = await nextFrame()
    expect(socket).toBe(sockets[1])
    socket.send(JSON.stringify({ id: frame.id, result: profilerStatus({ sessionId: 'after' }) }))
    expect((await again).sessionId).toBe('after')
  })

  it('keeps retrying while the core is down and connects when it is back', async () => {
    const { client, server, sockets } = await setup()
    await waitForState(client, 'open')
    const { port } = server.address() as AddressInfo
    await new Promise<void>((resolve) => {
      sockets[0].terminate()
      server.close(() => resolve())
    })
    await waitForState(client, 'disconnected')
    // Give it a few failed attempts against the closed port.
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(client.state).toBe('disconnected')

    const revived = new WebSocketServer({ host: '127.0.0.1', port })
    cleanups.push(() => new Promise<void>((resolve) => revived.close(() => resolve())))
    const connected = new Promise<WebSocket>((resolve) => revived.once('connection', resolve))
    const socket = await connected
    cleanups.push(() => socket.terminate())
    await waitForState(client, 'open')
  })

  it('stops for good on close(): no reconnect, new requests rejected', async () => {
    const { client, sockets } = await setup()
    await waitForState(client, 'open')
    client.close()
    await expect(client.request('status.get')).rejects.toThrow('closed')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(sockets).toHaveLength(1)
    expect(client.state).toBe('disconnected')
  })

  it('ignores frames that are not JSON, not objects, or answer no pending request', async () => {
    const { client, nextFrame } = await setup()
    const result = client.request('status.get')
    const { socket, frame } = await nextFrame()
    socket.send('not json')
    socket.send('42')
    socket.send(JSON.stringify({ id: 99_999, result: 'stray' }))
    socket.send(JSON.stringify({ id: frame.id, result: profilerStatus({ sessionId: 'real' }) }))
    expect((await result).sessionId).toBe('real')
  })
})

describe('request timeouts', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

  it('rejects an ordinary request the core does not answer in time', async () => {
    const { client, nextFrame } = await setup({ requestTimeoutMs: 80 })
    const result = client.request('status.get')
    await nextFrame()
    await expect(result).rejects.toThrow('status.get timed out after 80 ms')
  })

  it('lets an export run past that time while its progress arrives, and answers it', async () => {
    const { client, nextFrame } = await setup({ requestTimeoutMs: 80, longRequestIdleMs: 150 })
    const result = client.request('library.export', { id: 'live', format: 'json' })
    const { socket, frame } = await nextFrame()
    // 500 ms of work, far past both limits, with progress every 50 ms.
    for (let done = 1; done <= 10; done++) {
      await sleep(50)
      socket.send(
        JSON.stringify({
          event: 'export.progress',
          payload: { id: 'live', format: 'json', done, total: 10 },
        }),
      )
    }
    socket.send(
      JSON.stringify({
        id: frame.id,
        result: { kind: 'download', url: '/download/x', fileName: 'x.json', bytes: 3 },
      }),
    )
    expect(await result).toMatchObject({ kind: 'download', bytes: 3 })
  })

  it('gives up on a long-running request once neither a reply nor progress comes', async () => {
    const { client, nextFrame } = await setup({ requestTimeoutMs: 50, longRequestIdleMs: 150 })
    const result = client.request('view.open', 'session-a')
    const { socket } = await nextFrame()
    await sleep(100)
    socket.send(
      JSON.stringify({
        event: 'load.progress',
        payload: { task: 'open', phase: 'analyzing', done: 1, total: 9, unit: 'queries' },
      }),
    )
    await expect(result).rejects.toThrow('view.open timed out: no reply or progress for 150 ms')
  })
})

describe('the browser-mode token', () => {
  function fakeWindow(href: string) {
    const stored = new Map<string, string>()
    const replaced: string[] = []
    return {
      location: { href },
      storage: {
        getItem: (key: string) => stored.get(key) ?? null,
        setItem: (key: string, value: string) => void stored.set(key, value),
      },
      history: {
        state: null,
        replaceState: (_state: unknown, _title: string, url?: string | URL | null) =>
          void replaced.push(String(url)),
      },
      stored,
      replaced,
    }
  }

  it('takes the token from the address bar, keeps it for the tab and removes it from the URL', () => {
    const win = fakeWindow('http://127.0.0.1:7420/?token=s3cr%2Bt&view=queries#top')
    expect(takeBrowserToken(win.location, win.storage, win.history)).toBe('s3cr+t')
    expect([...win.stored.values()]).toEqual(['s3cr+t'])
    expect(win.replaced).toEqual(['/?view=queries#top'])
  })

  it('falls back to the token kept for the tab when the URL has none (a reload)', () => {
    const first = fakeWindow('http://127.0.0.1:7420/?token=abc')
    takeBrowserToken(first.location, first.storage, first.history)
    const reloaded = fakeWindow('http://127.0.0.1:7420/')
    expect(takeBrowserToken(reloaded.location, first.storage, reloaded.history)).toBe('abc')
    expect(reloaded.replaced).toEqual([])
    expect(takeBrowserToken(reloaded.location, reloaded.storage, reloaded.history)).toBeNull()
  })

  it('builds the RPC URL on the page origin with the token encoded', () => {
    expect(rpcUrl({ protocol: 'http:', host: '127.0.0.1:7420' }, 'a+b/c')).toBe(
      'ws://127.0.0.1:7420/rpc?token=a%2Bb%2Fc',
    )
    expect(rpcUrl({ protocol: 'http:', host: '[::1]:9000' }, null)).toBe('ws://[::1]:9000/rpc')
  })
})
