/**
 * The `library.*` channels end to end: a core with the library on records what a raw agent
 * sends, and a client on the real browser-mode RPC socket lists, opens, renames, annotates,
 * deletes and exports it (downloads fetched from the real HTTP server).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCore, type Core } from '../../src/main/core/core'
import { readSessionFile } from '../../src/main/session/session-file'
import type { ExportProgress, ExportResult, StoredSessionSummary } from '../../src/shared/library'
import { connectRawAgent, eventually, hello, queryEvent } from '../helpers/agent-client'
import { tempDir } from './helpers'

interface Rpc {
  call<T = unknown>(channel: string, ...args: unknown[]): Promise<T>
  events: { event: string; payload: unknown }[]
  close(): void
}

async function openRpc(core: Core): Promise<Rpc> {
  const origin = `http://127.0.0.1:${core.server.port}`
  const socket = new WebSocket(
    `ws://127.0.0.1:${core.server.port}/rpc?token=${encodeURIComponent(core.token)}`,
    { origin },
  )
  await new Promise((resolve, reject) => {
    socket.once('open', resolve)
    socket.once('error', reject)
  })
  let nextId = 1
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  const events: Rpc['events'] = []
  socket.on('message', (data) => {
    const frame = JSON.parse(data.toString())
    if (frame.event) return void events.push(frame)
    const pending = waiting.get(frame.id)
    waiting.delete(frame.id)
    if (frame.error !== undefined) pending?.reject(new Error(frame.error))
    else pending?.resolve(frame.result)
  })
  return {
    events,
    call: <T>(channel: string, ...args: unknown[]) =>
      new Promise<T>((resolve, reject) => {
        const id = nextId++
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject })
        socket.send(JSON.stringify({ id, channel, args }))
      }),
    close: () => socket.close(),
  }
}

function get(core: Core, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: core.server.port, path, headers },
        (response) => {
          let body = ''
          response.setEncoding('utf8')
          response.on('data', (chunk: string) => (body += chunk))
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

const withCookie = (core: Core) => ({ Cookie: `fastorm_profiler_token=${core.token}` })

let dir: ReturnType<typeof tempDir>
let core: Core
let rpc: Rpc
/** The session the agent recorded, ended by a clear (so it can be deleted). */
let recordedId: string

beforeAll(async () => {
  dir = tempDir('fop-library-api-')
  core = await startCore({ port: 0, dataDir: dir.path, uiDir: false, store: { intervalMs: 20 } })
  expect(core.libraryError).toBeUndefined()
  rpc = await openRpc(core)
  const agent = await connectRawAgent(core.agentUrl, { Authorization: `Bearer ${core.token}` })
  agent.send(hello('checkout-api', { 'db.system.name': 'postgresql' }))
  await agent.waitFor((reply) => reply.type === 'welcome')
  const events = [
    queryEvent('SELECT * FROM "orders" WHERE "id" = $1', {
      'db.query.parameters': [7],
      context: { id: 'req-1', name: 'GET /orders/:id' },
    }),
    queryEvent('UPDATE "users" SET "password" = $1 WHERE "id" = $2', {
      'db.query.parameters': ['hunter2', 7],
    }),
    queryEvent('SELECT * FROM "missing_table"', {
      error: { type: '42P01', message: 'relation "missing_table" does not exist' },
    }),
  ]
  for (let i = 0; i < 20; i++) {
    events.push(
      queryEvent('SELECT * FROM "items" WHERE "order_id" = $1', { 'db.query.parameters': [i] }),
    )
  }
  agent.send({ type: 'batch', events })
  await eventually(() => core.library!.recorder.stats().persisted === events.length)
  await agent.close()
  recordedId = core.profiler.sessionId
  // A new session begins; the recorded one ends as complete.
  await rpc.call('session.clear')
  await eventually(() => core.profiler.sessionId !== recordedId)
})

afterAll(async () => {
  rpc?.close()
  await core?.close()
  dir?.remove()
})

describe('reading the library', () => {
  it('lists the stored sessions, newest first, with their apps and counts', async () => {
    const sessions = await rpc.call<StoredSessionSummary[]>('library.list', {})
    const recorded = sessions.find((session) => session.id === recordedId)
    expect(recorded).toMatchObject({
      status: 'complete',
      appNames: ['checkout-api'],
      queryCount: 23,
      failedCount: 1,
    })
  })

  it('searches by SQL text, and finds nothing for text no session has', async () => {
    const found = await rpc.call<StoredSessionSummary[]>('library.list', {
      search: 'missing_TABLE',
    })
    expect(found.map((session) => session.id)).toEqual([recordedId])
    expect(await rpc.call('library.list', { search: 'no such text anywhere' })).toEqual([])
  })

  it('opens a session with its apps, and answers null for an unknown id', async () => {
    expect(await rpc.call('library.get', recordedId)).toMatchObject({
      id: recordedId,
      apps: [{ name: 'checkout-api', dbSystem: 'postgresql' }],
    })
    expect(await rpc.call('library.get', 'not-a-session')).toBeNull()
  })

  it('pages through a stored session as table rows, and gives one query whole', async () => {
    const first = await rpc.call<{ total: number; rows: { id: number; sql: string }[] }>(
      'library.queries',
      recordedId,
      0,
      2,
    )
    expect(first.total).toBe(23)
    expect(first.rows).toEqual([
      expect.objectContaining({
        sql: 'SELECT * FROM "orders" WHERE "id" = $1',
        failed: false,
        contextName: 'GET /orders/:id',
      }),
      expect.objectContaining({ sql: expect.stringContaining('UPDATE "users"') }),
    ])
    const later = await rpc.call<{ offset: number; rows: { failed: boolean }[] }>(
      'library.queries',
      recordedId,
      2,
      1,
    )
    expect(later).toMatchObject({ offset: 2, rows: [{ failed: true }] })
    expect(await rpc.call('library.query', recordedId, first.rows[1]!.id)).toMatchObject({
      params: ['hunter2', 7],
    })
    expect(await rpc.call('library.queries', 'not-a-session', 0, 10)).toBeNull()
    expect(await rpc.call('library.query', recordedId, 999_999)).toBeNull()
  })
})

describe('changing the library', () => {
  it('renames a session and sets its note, refusing an empty name', async () => {
    expect(await rpc.call('library.rename', recordedId, '  Checkout before the fix ')).toBe(true)
    expect(await rpc.call('library.note', recordedId, 'N+1 on items')).toBe(true)
    expect(await rpc.call('library.get', recordedId)).toMatchObject({
      name: 'Checkout before the fix',
      note: 'N+1 on items',
    })
    await expect(rpc.call('library.rename', recordedId, '   ')).rejects.toThrow(/name must be/)
    expect(await rpc.call('library.rename', 'not-a-session', 'x')).toBe(false)
    // Search finds the note too.
    const byNote = await rpc.call<StoredSessionSummary[]>('library.list', { search: 'n+1 on' })
    expect(byNote.map((session) => session.id)).toEqual([recordedId])
  })

  it('reports storage use and the retention setting, and changes it', async () => {
    const storage = await rpc.call<Record<string, unknown>>('library.storage')
    expect(storage).toMatchObject({
      available: true,
      queries: expect.any(Number),
      retention: { maxAgeDays: 30, maxTotalBytes: 1024 ** 3 },
    })
    expect(storage.sessions).toBeGreaterThanOrEqual(1)
    expect(storage.bytes).toBeGreaterThan(0)
    expect(
      await rpc.call('library.retention.set', { maxAgeDays: 90, maxTotalBytes: null }),
    ).toEqual({
      maxAgeDays: 90,
      maxTotalBytes: null,
    })
    expect(await rpc.call('library.storage')).toMatchObject({
      retention: { maxAgeDays: 90, maxTotalBytes: null },
    })
  })

  it('refuses to delete the session being recorded', async () => {
    const agent = await connectRawAgent(core.agentUrl, { Authorization: `Bearer ${core.token}` })
    agent.send(hello('second-app'))
    await agent.waitFor((reply) => reply.type === 'welcome')
    agent.send({ type: 'batch', events: [queryEvent('SELECT 2')] })
    await eventually(() => core.profiler.session.size === 1)
    await agent.close()
    await expect(rpc.call('library.delete', core.profiler.sessionId)).rejects.toThrow(
      /being recorded/,
    )
  })
})

describe('bad arguments', () => {
  it('are refused at the socket, naming the problem', async () => {
    await expect(rpc.call('library.queries', recordedId, 0, 5000)).rejects.toThrow(
      /library\.queries/,
    )
    await expect(rpc.call('library.list', { search: 42 })).rejects.toThrow(/library\.list/)
    await expect(rpc.call('library.list', { sql: 'x' })).rejects.toThrow(/library\.list/)
    await expect(rpc.call('library.rename', recordedId)).rejects.toThrow(/library\.rename/)
    await expect(rpc.call('library.get', '')).rejects.toThrow(/library\.get/)
    await expect(rpc.call('library.retention.set', { maxAgeDays: -1 })).rejects.toThrow(
      /library\.retention\.set/,
    )
    await expect(rpc.call('library.export', { id: recordedId, format: 'pdf' })).rejects.toThrow(
      /library\.export/,
    )
    await expect(
      rpc.call('library.export', { id: recordedId, format: 'json', path: '/etc/passwd' }),
    ).rejects.toThrow(/library\.export/)
  })
})

describe('export', () => {
  it('downloads a stored session once, as a valid session file, with the token only', async () => {
    const result = await rpc.call<ExportResult>('library.export', {
      id: recordedId,
      format: 'json',
    })
    expect(result).toMatchObject({
      kind: 'download',
      fileName: 'Checkout before the fix.json',
      url: expect.stringMatching(/^\/download\/[\w-]{20,}$/),
    })
    if (result.kind !== 'download') throw new Error('expected a download')
    expect((await get(core, result.url)).status).toBe(401)
    const download = await get(core, result.url, withCookie(core))
    expect(download.status).toBe(200)
    expect(download.headers['content-disposition']).toMatch(/^attachment; filename="Checkout/)
    expect(Number(download.headers['content-length'])).toBe(result.bytes)
    expect((await get(core, result.url, withCookie(core))).status).toBe(404)

    const file = join(dir.path, 'exported.json')
    writeFileSync(file, download.body)
    const session = await readSessionFile(file)
    expect(session.session).toMatchObject({ id: recordedId, name: 'Checkout before the fix' })
    expect(session.queries).toHaveLength(23)
    expect(session.queries[1]!.params).toEqual(['hunter2', 7])
  })

  it('redacts secret parameters, or drops every parameter, when asked', async () => {
    const redacted = await exported({ id: recordedId, format: 'json', redact: true })
    expect(redacted).not.toContain('hunter2')
    expect(redacted).toContain('[REDACTED]')
    const dropped = JSON.parse(await exported({ id: recordedId, format: 'json', dropParams: true }))
    expect(dropped.queries.every((query: object) => !('params' in query))).toBe(true)
  })

  it('writes reports in each format, with the chosen sections', async () => {
    const text = await exported({ id: recordedId, format: 'text' })
    expect(text).toContain('missing_table')
    const markdown = await exported({ id: recordedId, format: 'markdown' })
    expect(markdown).toMatch(/^#/m)
    const html = await exported({ id: recordedId, format: 'html' })
    expect(html).toMatch(/<html/i)
    const json = JSON.parse(
      await exported({ id: recordedId, format: 'report-json', sections: ['summary', 'failed'] }),
    )
    expect(json).toMatchObject({ format: 'fastorm-profiler-report', summary: { queries: 23 } })
    expect(json.failedQueries).toHaveLength(1)
    expect(json.queries).toBeUndefined()
  })

  it('exports the live session too, and pushes progress while it reads', async () => {
    rpc.events.length = 0
    const live = JSON.parse(await exported({ id: 'live', format: 'json' }))
    expect(live.session.id).toBe(core.profiler.sessionId)
    expect(live.queries.map((query: { sql: string }) => query.sql)).toEqual(['SELECT 2'])
    const progress = rpc.events.filter((frame) => frame.event === 'export.progress')
    expect(progress.at(-1)?.payload).toEqual<ExportProgress>({
      id: 'live',
      format: 'json',
      done: 1,
      total: 1,
    })
  })

  it('says so for a session the library does not have', async () => {
    await expect(
      rpc.call('library.export', { id: 'not-a-session', format: 'json' }),
    ).rejects.toThrow(/no session not-a-session/)
  })

  async function exported(request: object): Promise<string> {
    const result = await rpc.call<ExportResult>('library.export', request)
    if (result.kind !== 'download') throw new Error('expected a download')
    const download = await get(core, result.url, withCookie(core))
    expect(download.status).toBe(200)
    return download.body
  }
})

describe('deleting', () => {
  it('deletes a finished session, and answers false the second time', async () => {
    expect(await rpc.call('library.delete', recordedId)).toBe(true)
    expect(await rpc.call('library.get', recordedId)).toBeNull()
    expect(await rpc.call('library.delete', recordedId)).toBe(false)
  })
})

describe('without a library', () => {
  it('answers "library unavailable" with why, and storage says why', async () => {
    const other = tempDir('fop-library-off-')
    const off = await startCore({ port: 0, dataDir: other.path, uiDir: false })
    const client = await openRpc(off)
    try {
      await expect(client.call('library.list', {})).rejects.toThrow(
        /^library unavailable: the session library is off/,
      )
      await expect(client.call('library.delete', 'x')).rejects.toThrow(/library unavailable/)
      expect(await client.call('library.storage')).toEqual({
        available: false,
        error: expect.stringContaining('off'),
      })
      // The live session exports all the same.
      expect(await client.call('library.export', { id: 'live', format: 'text' })).toMatchObject({
        kind: 'download',
      })
      await expect(
        client.call('library.export', { id: 'some-id', format: 'json' }),
      ).rejects.toThrow(/library unavailable/)
    } finally {
      client.close()
      await off.close()
      other.remove()
    }
  })

  it('passes on why the library could not open', async () => {
    const other = tempDir('fop-library-broken-')
    mkdirSync(join(other.path, 'sessions.sqlite'))
    const broken = await startCore({ port: 0, dataDir: other.path, uiDir: false, store: true })
    const client = await openRpc(broken)
    try {
      await expect(client.call('library.get', 'x')).rejects.toThrow(
        /^library unavailable: the session library could not open/,
      )
      expect(await client.call('library.storage')).toMatchObject({
        available: false,
        error: broken.libraryError,
      })
    } finally {
      client.close()
      await broken.close()
      other.remove()
    }
  })
})
