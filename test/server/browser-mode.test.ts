import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCore, type Core } from '../../src/main/core/core'
import { connectRawAgent, hello, queryEvent } from '../helpers/agent-client'

let core: Core
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fop-browser-'))
  const ui = join(dir, 'ui')
  mkdirSync(join(ui, 'assets'), { recursive: true })
  writeFileSync(join(ui, 'index.html'), '<!doctype html><title>FastORM Profiler</title>')
  writeFileSync(join(ui, 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(dir, 'secret.txt'), 'outside the UI folder')
  core = await startCore({ port: 0, dataDir: dir, uiDir: ui })
})
afterAll(async () => {
  await core.close()
  rmSync(dir, { recursive: true, force: true })
})

function get(path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: core.server.port, path, headers },
        (response) => {
          let body = ''
          response.on('data', (chunk: Buffer) => (body += chunk.toString()))
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
          )
        },
      )
      req.on('error', reject)
      req.end()
    },
  )
}

const own = () => `http://127.0.0.1:${core.server.port}`

function openRpc(options: { token?: string; origin?: string } = {}) {
  const token = options.token ?? core.token
  return new Promise<WebSocket>((resolve, reject) => {
    const socket = new WebSocket(
      `ws://127.0.0.1:${core.server.port}/rpc?token=${encodeURIComponent(token)}`,
      {
        origin: options.origin ?? own(),
      },
    )
    socket.once('open', () => resolve(socket))
    socket.once('unexpected-response', (_req, response) =>
      reject(Object.assign(new Error('refused'), { status: response.statusCode })),
    )
    socket.once('error', reject)
  })
}

function call(socket: WebSocket, id: number, channel: string, args: unknown[] = []) {
  return new Promise<{ id: number; result?: unknown; error?: string }>((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const frame = JSON.parse(data.toString())
      if (frame.id === id) {
        socket.off('message', onMessage)
        resolve(frame)
      }
    }
    socket.on('message', onMessage)
    socket.send(JSON.stringify({ id, channel, args }))
  })
}

describe('the page', () => {
  it('serves the UI only with the token, and sets a strict CSP and an HttpOnly cookie', async () => {
    const denied = await get('/')
    expect(denied.status).toBe(401)
    expect(denied.body).toContain('token')
    const page = await get(`/?token=${core.token}`)
    expect(page.status).toBe(200)
    expect(page.body).toContain('FastORM Profiler')
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'")
    expect(page.headers['referrer-policy']).toBe('no-referrer')
    expect(String(page.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/)
  })

  it('serves the page again with the cookie alone', async () => {
    const page = await get('/', { Cookie: `fastorm_profiler_token=${core.token}` })
    expect(page.status).toBe(200)
  })

  it('serves assets, and nothing outside the UI folder', async () => {
    expect((await get('/assets/app.js')).status).toBe(200)
    expect((await get('/assets/app.js')).headers['content-type']).toContain('text/javascript')
    expect((await get('/../secret.txt')).status).toBe(404)
    expect((await get('/assets/%2e%2e/%2e%2e/secret.txt')).status).toBe(404)
  })

  it('refuses a request whose Host is not ours (DNS rebinding)', async () => {
    const response = await get(`/?token=${core.token}`, { Host: 'attacker.example' })
    expect(response.status).toBe(421)
  })
})

describe('the RPC socket', () => {
  it('answers requests through the shared API and pushes queries.changed', async () => {
    const socket = await openRpc()
    const status = await call(socket, 1, 'status.get')
    expect(status.result).toMatchObject({
      sessionId: core.profiler.sessionId,
      agentUrl: core.agentUrl,
    })
    const info = await call(socket, 2, 'connect.info')
    expect(JSON.stringify(info.result)).toContain(core.token)

    const changed = new Promise<unknown>((resolve) =>
      socket.on('message', (data) => {
        const frame = JSON.parse(data.toString())
        if (frame.event === 'queries.changed') resolve(frame.payload)
      }),
    )
    const agent = await connectRawAgent(core.agentUrl, { Authorization: `Bearer ${core.token}` })
    agent.send(hello('rpc-app'))
    await agent.waitFor((r) => r.type === 'welcome')
    agent.send({
      type: 'batch',
      events: [queryEvent('SELECT * FROM rpc_table', { 'db.query.parameters': [1] })],
    })
    expect(await changed).toMatchObject({ total: 1 })

    const page = await call(socket, 3, 'queries.page', [
      { offset: 0, limit: 10, filter: 'rpc_table' },
    ])
    expect(page.result).toMatchObject({ total: 1, rows: [{ sql: 'SELECT * FROM rpc_table' }] })
    const id = (page.result as { rows: { id: number }[] }).rows[0]!.id
    const detail = await call(socket, 4, 'queries.get', [id])
    expect(detail.result).toMatchObject({ params: [1] })
    await agent.close()
    socket.close()
  })

  it('answers bad requests with an error and stays open', async () => {
    const socket = await openRpc()
    expect((await call(socket, 1, 'fs.readFile', ['/etc/passwd'])).error).toMatch(/unknown channel/)
    expect((await call(socket, 2, 'queries.page', [{ offset: -1, limit: 10 }])).error).toMatch(
      /offset/,
    )
    expect((await call(socket, 3, 'queries.page', [{ offset: 0, limit: 100000 }])).error).toMatch(
      /limit/,
    )
    expect((await call(socket, 4, 'status.get')).result).toBeTruthy()
    socket.close()
  })

  it('refuses a wrong token and a foreign origin', async () => {
    await expect(openRpc({ token: 'wrong-token-wrong-token' })).rejects.toMatchObject({
      status: 401,
    })
    await expect(openRpc({ origin: 'https://evil.example' })).rejects.toMatchObject({ status: 403 })
  })
})
