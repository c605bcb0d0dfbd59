/** A raw protocol client for tests: a real `ws` socket speaking protocol v1 by hand. */
import WebSocket from 'ws'

export interface RawAgent {
  socket: WebSocket
  /** Replies received so far, parsed. */
  replies: Record<string, unknown>[]
  send(message: unknown): void
  sendText(text: string): void
  /** Resolves with the next reply matching `predicate` (already received ones count). */
  waitFor(
    predicate: (reply: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>
  close(): Promise<void>
}

export function connectRawAgent(
  url: string,
  headers: Record<string, string> = {},
): Promise<RawAgent> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers, perMessageDeflate: false })
    const replies: Record<string, unknown>[] = []
    const waiters: {
      predicate: (r: Record<string, unknown>) => boolean
      resolve: (r: Record<string, unknown>) => void
    }[] = []
    socket.on('message', (data) => {
      const reply = JSON.parse(data.toString()) as Record<string, unknown>
      replies.push(reply)
      for (const waiter of [...waiters]) {
        if (waiter.predicate(reply)) {
          waiters.splice(waiters.indexOf(waiter), 1)
          waiter.resolve(reply)
        }
      }
    })
    socket.once('open', () =>
      resolve({
        socket,
        replies,
        send: (message) => socket.send(JSON.stringify(message)),
        sendText: (text) => socket.send(text),
        waitFor(predicate, timeoutMs = 5000) {
          const found = replies.find(predicate)
          if (found) return Promise.resolve(found)
          return new Promise((res, rej) => {
            const timer = setTimeout(
              () => rej(new Error('timed out waiting for a reply')),
              timeoutMs,
            )
            waiters.push({
              predicate,
              resolve: (r) => {
                clearTimeout(timer)
                res(r)
              },
            })
          })
        },
        close: () =>
          new Promise((res) => {
            if (socket.readyState === socket.CLOSED) return res()
            socket.once('close', () => res())
            socket.close()
          }),
      }),
    )
    socket.once('unexpected-response', (_request, response) => {
      let body = ''
      response.on('data', (chunk: Buffer) => (body += chunk.toString()))
      response.on('end', () =>
        reject(
          Object.assign(new Error(`HTTP ${response.statusCode}: ${body.trim()}`), {
            status: response.statusCode,
          }),
        ),
      )
    })
    socket.once('error', reject)
  })
}

export const hello = (name = 'test-app', extra: Record<string, unknown> = {}) => ({
  type: 'hello',
  protocol: 1,
  app: { name },
  runtime: { name: 'node', version: process.versions.node },
  orm: { name: 'raw' },
  'db.system.name': 'sqlite',
  pid: process.pid,
  ...extra,
})

export const queryEvent = (sql: string, extra: Record<string, unknown> = {}) => ({
  type: 'query',
  'db.query.text': sql,
  startTime: Date.now() - 2,
  durationMs: 1.5,
  ...extra,
})

/** Polls `check` until it returns true (or throws after the timeout). */
export async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}
