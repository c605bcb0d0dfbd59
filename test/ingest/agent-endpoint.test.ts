import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCore, type Core } from '../../src/main/core/core'
import { connectRawAgent, eventually, hello, queryEvent } from '../helpers/agent-client'

let core: Core
let dataDir: string
const MAX_PAYLOAD = 64 * 1024

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'fop-ingest-'))
  core = await startCore({
    port: 0,
    dataDir,
    uiDir: false,
    maxPayload: MAX_PAYLOAD,
    capacity: 1000,
  })
})
afterAll(async () => {
  await core.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const auth = () => ({ Authorization: `Bearer ${core.token}` })

/** A raw HTTP upgrade request with exactly the headers given, to see what the server answers. */
function rawUpgrade(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: core.server.port,
      path,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      },
    })
    req.on('upgrade', (response, socket) => {
      socket.destroy()
      resolve(response.statusCode ?? 0)
    })
    req.on('response', (response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end()
  })
}

describe('auth', () => {
  it('creates a random token file readable only by its owner', () => {
    const file = join(dataDir, 'token')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file, 'utf8').trim()).toBe(core.token)
    expect(core.token.length).toBeGreaterThanOrEqual(24)
  })

  it('keeps the same token for the same data directory across restarts', async () => {
    const again = await startCore({ port: 0, dataDir, uiDir: false })
    expect(again.token).toBe(core.token)
    await again.close()
  })

  it('refuses an agent without a token at the upgrade with 401', async () => {
    await expect(connectRawAgent(core.agentUrl)).rejects.toMatchObject({ status: 401 })
  })

  it('refuses an agent with a wrong token at the upgrade with 401', async () => {
    const wrong = core.token.slice(0, -1) + (core.token.endsWith('A') ? 'B' : 'A')
    await expect(
      connectRawAgent(core.agentUrl, { Authorization: `Bearer ${wrong}` }),
    ).rejects.toMatchObject({
      status: 401,
    })
  })

  it('accepts an agent with the right bearer token', async () => {
    const agent = await connectRawAgent(core.agentUrl, auth())
    agent.send(hello('auth-ok'))
    const welcome = await agent.waitFor((r) => r.type === 'welcome')
    expect(welcome).toMatchObject({
      type: 'welcome',
      protocol: 1,
      sessionId: core.profiler.sessionId,
    })
    await agent.close()
  })
})

describe('request guard', () => {
  it('refuses a browser Origin on the agent endpoint even with the right token (WebSocket hijacking)', async () => {
    const status = await rawUpgrade('/agent', {
      ...auth(),
      Host: `127.0.0.1:${core.server.port}`,
      Origin: 'https://evil.example',
    })
    expect(status).toBe(403)
  })

  it('refuses a non-loopback Host header (DNS rebinding)', async () => {
    const status = await rawUpgrade('/agent', {
      ...auth(),
      Host: `evil.example:${core.server.port}`,
    })
    expect(status).toBe(421)
  })

  it('refuses a loopback Host header naming another port', async () => {
    const status = await rawUpgrade('/agent', {
      ...auth(),
      Host: `127.0.0.1:${core.server.port + 1}`,
    })
    expect(status).toBe(421)
  })

  it('accepts localhost and 127.0.0.1 Host headers', async () => {
    expect(await rawUpgrade('/agent', { ...auth(), Host: `localhost:${core.server.port}` })).toBe(
      101,
    )
    expect(await rawUpgrade('/agent', { ...auth(), Host: `127.0.0.1:${core.server.port}` })).toBe(
      101,
    )
  })

  it('answers 404 for an unknown WebSocket path', async () => {
    expect(await rawUpgrade('/nope', { ...auth(), Host: `127.0.0.1:${core.server.port}` })).toBe(
      404,
    )
  })
})

describe('protocol v1', () => {
  it('stores every field of a query event', async () => {
    const agent = await connectRawAgent(core.agentUrl, auth())
    agent.send(hello('fields-app'))
    await agent.waitFor((r) => r.type === 'welcome')
    const before = core.profiler.session.lastId
    agent.send({
      type: 'batch',
      seq: 1,
      events: [
        queryEvent('SELECT * FROM "user" WHERE "id" = ?', {
          'db.query.parameters': [7],
          startTime: 1764145657123.456,
          durationMs: 0.875,
          'db.response.returned_rows': 1,
          connectionId: 3,
          context: { id: 'req-1', name: 'GET /users/7' },
          stack: [{ function: 'loadUser', file: '/app/src/users.ts', line: 12, column: 5 }],
        }),
        queryEvent('INSERT INTO t VALUES (1)', {
          error: { type: 'SQLITE_CONSTRAINT', message: 'UNIQUE failed' },
        }),
      ],
    })
    await eventually(() => core.profiler.session.lastId === before + 2)
    const stored = core.profiler.session.get(before + 1)!
    expect(stored).toMatchObject({
      sql: 'SELECT * FROM "user" WHERE "id" = ?',
      params: [7],
      startTime: 1764145657123.456,
      durationMs: 0.875,
      rows: 1,
      connectionId: '3',
      context: { id: 'req-1', name: 'GET /users/7' },
      stack: [{ function: 'loadUser', file: '/app/src/users.ts', line: 12, column: 5 }],
    })
    expect(core.profiler.appName(stored.appId)).toBe('fields-app')
    expect(core.profiler.session.get(before + 2)!.error).toEqual({
      type: 'SQLITE_CONSTRAINT',
      message: 'UNIQUE failed',
    })
    await agent.close()
  })

  it('answers a bad event with an error naming it, and keeps the good events around it', async () => {
    const agent = await connectRawAgent(core.agentUrl, auth())
    agent.send(hello('bad-event-app'))
    await agent.waitFor((r) => r.type === 'welcome')
    const before = core.profiler.counters()
    agent.send({
      type: 'batch',
      seq: 9,
      events: [
        queryEvent('SELECT 1'),
        queryEvent('SELECT 2', { durationMs: 'slow' }),
        queryEvent('SELECT 3'),
      ],
    })
    const error = await agent.waitFor((r) => r.type === 'error')
    expect(error).toMatchObject({ code: 'bad-event', seq: 9, index: 1 })
    expect(String(error.message)).toContain('events[1]')
    expect(String(error.message)).toContain('durationMs')
    await eventually(() => core.profiler.counters().received === before.received + 2)
    expect(core.profiler.counters().rejected).toBe(before.rejected + 1)
    const last = core.profiler.session.get(core.profiler.session.lastId)!
    expect(last.sql).toBe('SELECT 3')
    // The connection survived: another batch still gets in.
    agent.send({ type: 'batch', events: [queryEvent('SELECT 4')] })
    await eventually(
      () => core.profiler.session.get(core.profiler.session.lastId)?.sql === 'SELECT 4',
    )
    await agent.close()
  })

  it('says in its welcome that it takes context ends', async () => {
    const agent = await connectRawAgent(core.agentUrl, auth())
    agent.send(hello('features-app'))
    const welcome = await agent.waitFor((r) => r.type === 'welcome')
    expect(welcome.features).toEqual(['context-end'])
    await agent.close()
  })

  it('closes a context once the batch that ends it is taken in; a later query of it opens a new scope', async () => {
    const agent = await connectRawAgent(core.agentUrl, auth())
    agent.send(hello('context-end-app'))
    await agent.waitFor((r) => r.type === 'welcome')
    const before = core.profiler.counters()
    const context = { id: 'req-ended', name: 'GET /cart' }
    const lookup = (id: number) =>
      queryEvent('SELECT * FROM product WHERE id = ?', { 'db.query.parameters': [id], context })
    const end = { type: 'context-end', context: { id: 'req-ended' }, time: 1764145657200 }
    agent.send({
      type: 'batch',
      seq: 1,
      // A query after the end in the same batch still joins the context.
      events: [lookup(1), lookup(2), lookup(3), lookup(4), lookup(5), end, lookup(6)],
    })
    agent.send({
      type: 'batch',
      seq: 2,
      events: [lookup(7), lookup(8), lookup(9), lookup(10), lookup(11), end],
    })
    await eventually(() => core.profiler.counters().received === before.received + 11)
    const loops = core.profiler.analyzer
      .findingsResult()
      .findings.filter((f) => f.kind === 'n-plus-one' && f.scope.id === 'req-ended')
    expect(loops.map((f) => [f.id.endsWith('#2'), f.count])).toEqual([
      [false, 6],
      [true, 5],
    ])
    expect(core.profiler.counters().rejected).toBe(before.rejected)
    await agent.close()
  })

  it('answers a bad context end with an error naming it, and keeps the events around it', async () => {
    const agent = await connectRawAgent(core.agentUrl, auth())
    agent.send(hello('bad-end-app'))
    await agent.waitFor((r) => r.type === 'welcome')
    const before = core.profiler.counters()
    agent.send({
      type: 'batch',
      seq: 4,
      events: [
        queryEvent('SELECT 1'),
        { type: 'context-end', context: { id: '' }, time: 1 },
        queryEvent('SELECT 2'),
      ],
    })
    const error = await agent.waitFor((r) => r.type === 'error')
    expect(error).toMatchObject({ code: 'bad-event', seq: 4, index: 1 })
    expect(String(error.message)).toContain('context.id')
    await eventually(() => core.profiler.counters().received === before.received + 2)
    expect(core.profiler.counters().rejected).toBe(before.rejected + 1)
    await agent.close()
  })

  it('answers a message that is not JSON with not-json and stays connected', async () => {
    const agent = await connectRawAgent(core.agentUrl, auth())
    agent.send(hello('garbage-app'))
    await agent.waitFor((r) => r.type === 'welcome')
    agent.sendText('{"type": "batch", "events": [')
    const error = await agent.waitFor((r) => r.type === 'error')
    expect(error.code).toBe('not-json')
    agent.send({ type: 'batch', events: [queryEvent('SELECT after_garbage')] })
    await eventually(
      () => core.profiler.session.get(core.profiler.session.lastId)?.sql === 'SELECT after_garbage',
    )
    await agent.close()
  })

  it('refuses a batch before hello and names the rule', async () => {
    const agent = await connectRawAgent(core.agentUrl, auth())
    agent.send({ type: 'batch', seq: 1, events: [queryEvent('SELECT 1')] })
    const error = await agent.waitFor((r) => r.type === 'error')
    expect(error).toMatchObject({ code: 'no-hello', seq: 1 })
    await agent.close()
  })

  it('refuses an unknown protocol version and an unknown message type', async () => {
    const agent = await connectRawAgent(core.agentUrl, auth())
    agent.send(hello('v2', { protocol: 2 }))
    expect((await agent.waitFor((r) => r.type === 'error')).code).toBe('unsupported-protocol')
    agent.send({ type: 'telemetry' })
    await eventually(() => agent.replies.filter((r) => r.type === 'error').length === 2)
    expect(agent.replies.at(-1)).toMatchObject({ code: 'bad-message' })
    expect(String(agent.replies.at(-1)!.message)).toContain('telemetry')
    await agent.close()
  })

  it('refuses JSON that is not an object without crashing (null, numbers, arrays)', async () => {
    const agent = await connectRawAgent(core.agentUrl, auth())
    for (const text of ['null', '42', '[]', '"hello"', '{"type":"batch","events":"x"}'])
      agent.sendText(text)
    await eventually(() => agent.replies.length === 5)
    expect(agent.replies.every((r) => r.type === 'error' && r.code === 'bad-message')).toBe(true)
    await agent.close()
  })

  it('survives binary frames, deep nesting and odd JSON, answering each', async () => {
    const agent = await connectRawAgent(core.agentUrl, auth())
    agent.send(hello('fuzz-app'))
    await agent.waitFor((r) => r.type === 'welcome')
    agent.socket.send(Buffer.from([0xff, 0xfe, 0x00, 0x01]), { binary: true })
    // Deep enough to be hostile, small enough to stay under this server's payload limit.
    agent.sendText('['.repeat(30_000) + ']'.repeat(30_000))
    // 1e400 parses to Infinity: not a time.
    agent.sendText(
      '{"type":"batch","events":[{"type":"query","db.query.text":"x","startTime":1e400,"durationMs":1}]}',
    )
    agent.sendText(
      '{"type":"batch","events":[{"type":"query","db.query.text":"SELECT ok","startTime":1,"durationMs":1,"__proto__":{"polluted":true}}]}',
    )
    await eventually(() => agent.replies.filter((r) => r.type === 'error').length >= 3)
    await eventually(
      () => core.profiler.session.get(core.profiler.session.lastId)?.sql === 'SELECT ok',
    )
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    agent.send({ type: 'batch', events: [queryEvent('SELECT still_alive')] })
    await eventually(
      () => core.profiler.session.get(core.profiler.session.lastId)?.sql === 'SELECT still_alive',
    )
    await agent.close()
  })

  it('counts metrics events as accepted without storing them as queries', async () => {
    const agent = await connectRawAgent(core.agentUrl, auth())
    agent.send(hello('metrics-app'))
    await agent.waitFor((r) => r.type === 'welcome')
    const before = core.profiler.counters()
    agent.send({
      type: 'batch',
      events: [
        { type: 'pool', time: Date.now(), attributes: { active: 3, idle: 2 } },
        queryEvent('SELECT m'),
      ],
    })
    await eventually(() => core.profiler.counters().received === before.received + 1)
    expect(core.profiler.counters().rejected).toBe(before.rejected)
    await agent.close()
  })

  it('records the drops an agent reports', async () => {
    const agent = await connectRawAgent(core.agentUrl, auth())
    agent.send(hello('dropping-app'))
    const welcome = await agent.waitFor((r) => r.type === 'welcome')
    agent.send({ type: 'batch', dropped: 17, events: [queryEvent('SELECT d')] })
    await eventually(
      () => core.profiler.appsList().find((a) => a.id === welcome.appId)?.droppedByAgent === 17,
    )
    expect(core.profiler.counters().droppedByAgents).toBeGreaterThanOrEqual(17)
    await agent.close()
  })
})

describe('limits', () => {
  it('closes a connection whose message exceeds the payload limit with 1009, and the server keeps serving', async () => {
    const agent = await connectRawAgent(core.agentUrl, auth())
    agent.send(hello('huge-app'))
    await agent.waitFor((r) => r.type === 'welcome')
    const closed = new Promise<number>((resolve) =>
      agent.socket.once('close', (code) => resolve(code)),
    )
    agent.send({ type: 'batch', events: [queryEvent('SELECT ' + 'x'.repeat(MAX_PAYLOAD))] })
    expect(await closed).toBe(1009)
    const next = await connectRawAgent(core.agentUrl, auth())
    next.send(hello('after-huge'))
    expect((await next.waitFor((r) => r.type === 'welcome')).type).toBe('welcome')
    await next.close()
  })

  it('evicts the oldest queries past the capacity and counts every one exactly', async () => {
    const agent = await connectRawAgent(core.agentUrl, auth())
    agent.send(hello('flood-app'))
    await agent.waitFor((r) => r.type === 'welcome')
    const before = core.profiler.counters()
    for (let batch = 0; batch < 15; batch++) {
      agent.send({
        type: 'batch',
        events: Array.from({ length: 100 }, (_, i) => queryEvent(`SELECT ${batch * 100 + i}`)),
      })
    }
    await eventually(() => core.profiler.counters().received === before.received + 1500)
    const after = core.profiler.counters()
    expect(after.stored).toBe(1000)
    expect(after.received - after.evicted).toBe(after.stored)
    expect(core.profiler.session.get(core.profiler.session.lastId)!.sql).toBe('SELECT 1499')
    await agent.close()
  })

  it('marks an app disconnected when its socket closes and keeps its queries', async () => {
    const agent = await connectRawAgent(core.agentUrl, auth())
    agent.send(hello('leaving-app'))
    const welcome = await agent.waitFor((r) => r.type === 'welcome')
    await agent.close()
    await eventually(
      () =>
        core.profiler.appsList().find((a) => a.id === welcome.appId)?.disconnectedAt !== undefined,
    )
  })
})
