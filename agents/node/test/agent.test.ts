import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { AGENT_VERSION, startAgent, type Agent, type AgentOptions } from 'fastorm-profiler-agent'
import { RecordingProfiler } from './recording-profiler'
import { runChildApp } from './child-app'

const thisFile = fileURLToPath(import.meta.url)

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function startProfiler(options: { port?: number; token?: string; features?: string[] } = {}) {
  const profiler = await RecordingProfiler.start(options)
  cleanups.push(() => profiler.stop())
  return profiler
}

function agentFor(url: string, options: AgentOptions = {}): Agent {
  const agent = startAgent({
    url,
    token: 'secret',
    appName: 'agent-test',
    flushIntervalMs: 20,
    reconnectMinDelayMs: 20,
    reconnectMaxDelayMs: 200,
    ...options,
  })
  cleanups.push(() => agent.close())
  return agent
}

/** A port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('the Node agent', () => {
  it('says hello with the token, no compression, and names the app, runtime, agent and process', async () => {
    const profiler = await startProfiler({ token: 'secret' })
    const agent = agentFor(profiler.url, {
      dbSystem: 'postgresql',
      orm: { name: 'knex', version: '3.1.0' },
    })
    await profiler.waitFor(() => profiler.hellos.length === 1)

    expect(profiler.authorizations).toEqual(['Bearer secret'])
    expect(profiler.extensions).toEqual([undefined])
    const hello = profiler.hellos[0]
    expect(hello.app).toEqual({ name: 'agent-test' })
    expect(hello.protocol).toBe(1)
    expect(hello.runtime).toEqual({ name: 'node', version: process.versions.node })
    expect(hello.agent).toEqual({ name: 'fastorm-profiler-agent', version: AGENT_VERSION })
    expect(hello.orm).toEqual({ name: 'knex', version: '3.1.0' })
    expect(hello['db.system.name']).toBe('postgresql')
    expect(hello.pid).toBe(process.pid)
    expect(typeof hello.host).toBe('string')
    await profiler.waitFor(() => agent.stats().connected)
  })

  it('sends a recorded query with its text, parameters, times, rows, error and connection id', async () => {
    const profiler = await startProfiler({ token: 'secret' })
    const agent = agentFor(profiler.url)
    agent.recordQuery({
      sql: 'SELECT * FROM users WHERE id = $1',
      params: [7],
      startedAt: 1_700_000_000_123.25,
      durationMs: 3.5,
      rows: 1,
      connectionId: 'conn-9',
    })
    agent.recordQuery({
      sql: 'SELECT * FROM nowhere',
      params: { name: 'x' },
      startedAt: 1_700_000_000_200,
      durationMs: 0.75,
      error: new TypeError('relation "nowhere" does not exist'),
      connectionId: 4,
    })
    agent.recordQuery({
      sql: 'DELETE FROM sessions',
      durationMs: 1,
      error: { type: '57014', message: 'canceling statement due to statement timeout' },
    })
    await agent.flush()
    await profiler.waitFor(() => profiler.events.length === 3)

    const [select, failed, timedOut] = profiler.events
    expect(select['db.query.text']).toBe('SELECT * FROM users WHERE id = $1')
    expect(select['db.query.parameters']).toEqual([7])
    expect(select.startTime).toBe(1_700_000_000_123.25)
    expect(select.durationMs).toBe(3.5)
    expect(select['db.response.returned_rows']).toBe(1)
    expect(select.connectionId).toBe('conn-9')
    expect(select.error).toBeUndefined()

    expect(failed['db.query.parameters']).toEqual({ name: 'x' })
    expect(failed.error).toEqual({
      type: 'TypeError',
      message: 'relation "nowhere" does not exist',
    })
    expect(failed.connectionId).toBe(4)
    expect(failed['db.response.returned_rows']).toBeUndefined()

    expect(timedOut.error).toEqual({
      type: '57014',
      message: 'canceling statement due to statement timeout',
    })
    expect(profiler.invalid).toEqual([])
  })

  it('takes the start time as now minus the duration when none is given', async () => {
    const profiler = await startProfiler()
    const agent = agentFor(profiler.url)
    const before = Date.now()
    agent.recordQuery({ sql: 'SELECT 1', durationMs: 40 })
    const after = Date.now()
    await agent.flush()
    await profiler.waitFor(() => profiler.events.length === 1)

    const event = profiler.events[0]
    // performance.timeOrigin + now() can differ from Date.now() by a millisecond or two.
    expect(event.startTime).toBeGreaterThanOrEqual(before - 40 - 5)
    expect(event.startTime).toBeLessThanOrEqual(after - 40 + 5)
    expect(event.durationMs).toBe(40)
  })

  it('points the call site of recordQuery at the line that called it', async () => {
    const profiler = await startProfiler()
    const agent = agentFor(profiler.url, { callSites: 'all' })
    agent.recordQuery({ sql: 'SELECT 2', durationMs: 0.1 }) // the call site
    await agent.flush()
    await profiler.waitFor(() => profiler.events.length === 1)

    const site = profiler.events[0].stack?.[0]
    expect(site?.file).toBe(thisFile)
    const callLine = readFileSync(thisFile, 'utf8')
      .split('\n')
      .findIndex((line) => line.includes('// the call site'))
    expect(site?.line).toBe(callLine + 1)
  })

  it('keeps a stack the app passed in as it is', async () => {
    const profiler = await startProfiler()
    const agent = agentFor(profiler.url)
    const stack = [{ function: 'handler', file: '/app/routes.js', line: 12, column: 3 }]
    agent.recordQuery({ sql: 'SELECT 3', durationMs: 0.1, stack })
    await agent.flush()
    await profiler.waitFor(() => profiler.events.length === 1)
    expect(profiler.events[0].stack).toEqual(stack)
  })

  it('in sampled mode, captures call sites for the first sightings of a query, failures and slow queries only', async () => {
    const profiler = await startProfiler()
    const agent = agentFor(profiler.url)
    for (let i = 0; i < 10; i++) agent.recordQuery({ sql: 'SELECT 4', durationMs: 0.01 })
    agent.recordQuery({ sql: 'SELECT 4', durationMs: 0.01, error: new Error('boom') })
    agent.recordQuery({ sql: 'SELECT 4', durationMs: 25 })
    await agent.flush()
    await profiler.waitFor(() => profiler.events.length === 12)

    const withStack = profiler.events.map((event) => event.stack?.[0]?.file === thisFile)
    expect(withStack).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      true,
      true,
    ])
  })

  it('carries a context through awaits, and keeps two concurrent contexts apart', async () => {
    const profiler = await startProfiler()
    const agent = agentFor(profiler.url)
    const request = async (name: string) => {
      for (let i = 0; i < 3; i++) {
        agent.recordQuery({ sql: `SELECT ${i}`, params: [name], durationMs: 0.1 })
        await delay(5 + Math.random() * 5)
      }
    }
    await Promise.all([
      agent.withContext('GET /a', () => request('a')),
      agent.withContext('GET /b', () => request('b')),
    ])
    agent.recordQuery({ sql: 'SELECT outside', durationMs: 0.1 })
    await agent.flush()
    await profiler.waitFor(() => profiler.events.length === 7)

    const byParam = (name: string) =>
      profiler.events.filter((event) => (event['db.query.parameters'] as string[])?.[0] === name)
    const a = byParam('a')
    const b = byParam('b')
    expect(a).toHaveLength(3)
    expect(b).toHaveLength(3)
    expect(new Set(a.map((event) => event.context?.name))).toEqual(new Set(['GET /a']))
    expect(new Set(b.map((event) => event.context?.name))).toEqual(new Set(['GET /b']))
    expect(new Set(a.map((event) => event.context?.id)).size).toBe(1)
    expect(a[0].context?.id).not.toBe(b[0].context?.id)
    expect(
      profiler.events.find((e) => e['db.query.text'] === 'SELECT outside')?.context,
    ).toBeUndefined()
  })

  it('gives each withContext call its own id and returns what the function returns', async () => {
    const agent = startAgent({ enabled: false })
    expect(agent.withContext('job', () => 42)).toBe(42)
    await expect(agent.withContext('job', async () => 'done')).resolves.toBe('done')
    expect(() =>
      agent.withContext('job', () => {
        throw new Error('from the app')
      }),
    ).toThrow('from the app')
  })

  it('tells a profiler that takes context ends when each context with queries ends, after its queries', async () => {
    const profiler = await startProfiler({ features: ['context-end'] })
    const agent = agentFor(profiler.url)
    await profiler.waitFor(() => profiler.hellos.length === 1)
    // Context ends are queued once the welcome said the profiler takes them.
    await delay(50)
    await agent.withContext('GET /orders', async () => {
      agent.recordQuery({ sql: 'SELECT 1', durationMs: 0.1 })
      await delay(5)
      agent.recordQuery({ sql: 'SELECT 2', durationMs: 0.1 })
    })
    agent.withContext('sync job', () => agent.recordQuery({ sql: 'SELECT 3', durationMs: 0.1 }))
    await agent.withContext('no queries', async () => delay(1))
    // On the agent's clock (time origin + monotonic time), not Date.now(): the two differ by
    // a fraction of a millisecond, so an end taken just before could read as just after.
    const before = performance.timeOrigin + performance.now()
    await agent.flush()
    await profiler.waitFor(() => profiler.contextEnds.length === 2 && profiler.events.length === 3)
    await delay(50)

    const contextOf = (sql: string) =>
      profiler.events.find((event) => event['db.query.text'] === sql)?.context?.id
    expect(profiler.contextEnds.map((end) => end.context.id)).toEqual([
      contextOf('SELECT 2'),
      contextOf('SELECT 3'),
    ])
    // Each end comes after the queries of its context.
    expect(profiler.contextEnds.map((end) => end.after)).toEqual([2, 3])
    for (const end of profiler.contextEnds) expect(end.time).toBeLessThanOrEqual(before)
    expect(profiler.invalid).toEqual([])
    expect(agent.stats().sent).toBe(3)
  })

  it('ends a context whose function throws or rejects, and the app still gets the error', async () => {
    const profiler = await startProfiler({ features: ['context-end'] })
    const agent = agentFor(profiler.url)
    await profiler.waitFor(() => profiler.hellos.length === 1)
    // Context ends are queued once the welcome said the profiler takes them.
    await delay(50)
    expect(() =>
      agent.withContext('throws', () => {
        agent.recordQuery({ sql: 'SELECT 1', durationMs: 0.1 })
        throw new Error('sync failure')
      }),
    ).toThrow('sync failure')
    await expect(
      agent.withContext('rejects', async () => {
        agent.recordQuery({ sql: 'SELECT 2', durationMs: 0.1 })
        await delay(1)
        throw new Error('async failure')
      }),
    ).rejects.toThrow('async failure')
    await agent.flush()
    await profiler.waitFor(() => profiler.contextEnds.length === 2)
    expect(new Set(profiler.contextEnds.map((end) => end.context.id))).toEqual(
      new Set(profiler.events.map((event) => event.context?.id)),
    )
  })

  it('sends no context ends to a profiler whose welcome does not list them', async () => {
    const profiler = await startProfiler()
    const agent = agentFor(profiler.url)
    await agent.withContext('GET /a', async () => {
      agent.recordQuery({ sql: 'SELECT 1', durationMs: 0.1 })
      await delay(1)
    })
    await agent.flush()
    await profiler.waitFor(() => profiler.events.length === 1)
    await agent.withContext('GET /b', async () => {
      agent.recordQuery({ sql: 'SELECT 2', durationMs: 0.1 })
      await delay(1)
    })
    await agent.flush()
    await profiler.waitFor(() => profiler.events.length === 2)
    await delay(50)
    expect(profiler.invalid).toEqual([])
    expect(profiler.contextEnds).toEqual([])
    expect(agent.stats()).toMatchObject({ sent: 2, queued: 0, dropped: 0 })
  })

  it('sends many queries in few batch messages, numbered in order', async () => {
    const profiler = await startProfiler()
    const agent = agentFor(profiler.url, { batchSize: 200 })
    await profiler.waitFor(() => profiler.hellos.length === 1)
    for (let i = 0; i < 1000; i++) {
      agent.recordQuery({ sql: 'SELECT * FROM items WHERE id = ?', params: [i], durationMs: 0.05 })
    }
    await agent.flush()
    await profiler.waitFor(() => profiler.events.length === 1000)

    expect(profiler.batches.length).toBeLessThanOrEqual(10)
    expect(profiler.batches.every((batch) => batch.events.length <= 200)).toBe(true)
    const seqs = profiler.batches.map((batch) => batch.seq)
    expect(seqs).toEqual([...seqs].sort((x, y) => (x ?? 0) - (y ?? 0)))
    expect(profiler.events.map((event) => (event['db.query.parameters'] as number[])[0])).toEqual(
      Array.from({ length: 1000 }, (_, i) => i),
    )
    expect(agent.stats()).toMatchObject({ queued: 0, sent: 1000, dropped: 0, connected: true })
  })

  it('keeps a bounded queue while no profiler listens, counts the drops and reports them once connected', async () => {
    const port = await closedPort()
    const agent = agentFor(`ws://127.0.0.1:${port}/agent`, { queueCapacity: 10 })
    for (let i = 0; i < 25; i++)
      agent.recordQuery({ sql: 'SELECT 5', params: [i], durationMs: 0.1 })
    expect(agent.stats()).toMatchObject({ queued: 10, dropped: 15, sent: 0, connected: false })
    await agent.flush() // resolves: the profiler is known to be down

    const profiler = await startProfiler({ port })
    await profiler.waitFor(() => profiler.events.length === 10)
    expect(profiler.batches[0].dropped).toBe(15)
    expect(profiler.events.map((event) => (event['db.query.parameters'] as number[])[0])).toEqual(
      Array.from({ length: 10 }, (_, i) => i),
    )
  })

  it('keeps events in its bounded queue, not in socket buffers, while the profiler does not read', async () => {
    const profiler = await startProfiler()
    const agent = agentFor(profiler.url, { queueCapacity: 1_000, maxBufferedBytes: 64 * 1024 })
    await profiler.waitFor(() => profiler.hellos.length === 1)
    profiler.pauseReading()
    const padding = 'p'.repeat(1_900)
    let recorded = 0
    // Enough to fill the kernel's socket buffers many times over.
    while (agent.stats().dropped === 0 && recorded < 200_000) {
      for (let i = 0; i < 500; i++) {
        agent.recordQuery({
          sql: 'INSERT INTO logs VALUES (?, ?)',
          params: [recorded++, padding],
          durationMs: 0.01,
        })
      }
      await delay(1)
    }
    const stalled = agent.stats()
    expect(stalled.dropped).toBeGreaterThan(0)
    expect(stalled.queued).toBeLessThanOrEqual(1_000)

    profiler.resumeReading()
    await agent.flush()
    await profiler.waitFor(() => profiler.events.length === agent.stats().sent)
    expect(profiler.events.length + agent.stats().dropped).toBe(recorded)
    expect(profiler.batches.at(-1)?.dropped).toBe(agent.stats().dropped)
  })

  it('reconnects after the profiler restarts, says hello again and delivers later queries', async () => {
    const first = await RecordingProfiler.start()
    const port = first.port
    const agent = agentFor(first.url)
    agent.recordQuery({ sql: 'SELECT before', durationMs: 0.1 })
    await agent.flush()
    await first.waitFor(() => first.events.length === 1)
    await first.stop()
    await delay(50)

    agent.recordQuery({ sql: 'SELECT while down', durationMs: 0.1 })
    const second = await startProfiler({ port })
    await second.waitFor(() => second.hellos.length === 1)
    agent.recordQuery({ sql: 'SELECT after', durationMs: 0.1 })
    await agent.flush()
    await second.waitFor(() => second.events.length === 2)
    expect(second.events.map((event) => event['db.query.text'])).toEqual([
      'SELECT while down',
      'SELECT after',
    ])
    expect(second.hellos[0].app.name).toBe('agent-test')
  })

  it('serialises odd parameters without throwing', async () => {
    const profiler = await startProfiler()
    const agent = agentFor(profiler.url)
    const circular: Record<string, unknown> = { name: 'loop' }
    circular.self = circular
    const hostile = {
      get secret(): string {
        throw new Error('no peeking')
      },
    }
    expect(() =>
      agent.recordQuery({
        sql: 'INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        params: [
          12345678901234567890n,
          circular,
          Buffer.from('hello world'),
          new Date('2024-05-01T10:00:00Z'),
          'x'.repeat(50_000),
          NaN,
          hostile,
          undefined,
        ],
        durationMs: 0.2,
      }),
    ).not.toThrow()
    await agent.flush()
    await profiler.waitFor(() => profiler.events.length === 1)

    const params = profiler.events[0]['db.query.parameters'] as unknown[]
    expect(params[0]).toBe('12345678901234567890')
    expect(params[1]).toEqual({ name: 'loop', self: '[Circular]' })
    expect(params[2]).toBe('<binary 11 bytes: 68656c6c6f20776f726c64>')
    expect(params[3]).toBe('2024-05-01T10:00:00.000Z')
    expect((params[4] as string).length).toBeLessThan(2_100)
    expect(params[4]).toMatch(/…\[\+48000 chars\]$/)
    expect(params[5]).toBe('NaN')
    expect(params[6]).toEqual({ secret: '[unserialisable: no peeking]' })
    expect(params[7]).toBeNull()
  })

  it('counts error replies from the profiler and carries on', async () => {
    const profiler = await startProfiler()
    profiler.rejectBatches = true
    const messages: string[] = []
    const agent = agentFor(profiler.url, { debug: (message) => messages.push(message) })
    agent.recordQuery({ sql: 'SELECT 6', durationMs: 0.1 })
    await agent.flush()
    await profiler.waitFor(() => agent.stats().errorsFromProfiler === 1)
    agent.recordQuery({ sql: 'SELECT 7', durationMs: 0.1 })
    await agent.flush()
    await profiler.waitFor(() => profiler.events.length === 2)
    expect(messages.some((message) => message.includes('bad-event: refused'))).toBe(true)
  })

  it('keeps retrying quietly when the token is refused', async () => {
    const profiler = await startProfiler({ token: 'right' })
    const agent = agentFor(profiler.url, { token: 'wrong' })
    agent.recordQuery({ sql: 'SELECT 8', durationMs: 0.1 })
    await agent.flush()
    expect(agent.stats()).toMatchObject({ connected: false, queued: 1 })
    expect(profiler.hellos).toEqual([])
  })

  it('records nothing after close, and nothing at all when disabled', async () => {
    const profiler = await startProfiler()
    const agent = agentFor(profiler.url)
    agent.recordQuery({ sql: 'SELECT 9', durationMs: 0.1 })
    await agent.close()
    agent.recordQuery({ sql: 'SELECT 10', durationMs: 0.1 })
    await agent.flush()
    expect(profiler.events.map((event) => event['db.query.text'])).toEqual(['SELECT 9'])
    expect(agent.stats().queued).toBe(0)

    const disabled = startAgent({ url: profiler.url, enabled: false })
    disabled.recordQuery({ sql: 'SELECT 11', durationMs: 0.1 })
    await disabled.flush()
    await disabled.close()
    expect(disabled.stats()).toMatchObject({ queued: 0, sent: 0, connected: false })
    expect(profiler.connections).toBe(1)
  })

  it('frees and counts as dropped what is still queued when it closes while the profiler is down', async () => {
    const port = await closedPort()
    const agent = agentFor(`ws://127.0.0.1:${port}/agent`)
    for (let i = 0; i < 3; i++) agent.recordQuery({ sql: 'SELECT 13', durationMs: 0.1 })
    await agent.close()
    expect(agent.stats()).toMatchObject({ queued: 0, sent: 0, dropped: 3, connected: false })
  })

  it('does not throw on odd input to recordQuery itself', async () => {
    const profiler = await startProfiler()
    const agent = agentFor(profiler.url)
    const record = agent.recordQuery // detached, as an app might pass it around
    expect(() => {
      record({ sql: 'SELECT 12', durationMs: Number.NaN, rows: -3, startedAt: Infinity })
      record({
        sql: 42 as unknown as string,
        durationMs: 1,
        connectionId: { odd: true } as unknown as string,
      })
      record(null as unknown as Parameters<Agent['recordQuery']>[0])
    }).not.toThrow()
    await agent.flush()
    await profiler.waitFor(() => profiler.events.length === 2)
    expect(profiler.invalid).toEqual([])
    expect(profiler.events[0].durationMs).toBe(0)
    expect(profiler.events[0]['db.response.returned_rows']).toBeUndefined()
    expect(profiler.events[1]['db.query.text']).toBe('42')
  })

  it('never throws into an app and never keeps it alive when no profiler listens', async () => {
    const port = await closedPort()
    const result = await runChildApp(`
      const agent = startAgent({ url: 'ws://127.0.0.1:${port}/agent', queueCapacity: 100 })
      const odd = { n: 1n }
      odd.self = odd
      async function main() {
        for (let i = 0; i < 1000; i++) {
          await agent.withContext('job', async () => {
            agent.recordQuery({ sql: 'SELECT ?', params: [i, odd], durationMs: 0.1 })
          })
        }
        await agent.flush()
        console.log(JSON.stringify(agent.stats()))
      }
      main()
    `)
    expect(result.killed).toBe(false)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ queued: 100, dropped: 900, connected: false })
  })

  it('never throws on a malformed URL', async () => {
    const result = await runChildApp(`
      const agent = startAgent({ url: 'not a url at all' })
      agent.recordQuery({ sql: 'SELECT 1', durationMs: 1 })
      agent.flush().then(() => console.log('flushed'))
    `)
    expect(result).toMatchObject({ killed: false, code: 0, stderr: '' })
    expect(result.stdout.trim()).toBe('flushed')
  })

  it('lets an app exit by itself, delivering what it recorded without a flush', async () => {
    const profiler = await startProfiler()
    const result = await runChildApp(`
      const agent = startAgent({ url: '${profiler.url}', appName: 'short-script' })
      for (let i = 0; i < 5; i++) agent.recordQuery({ sql: 'SELECT ' + i, durationMs: 0.1 })
    `)
    expect(result).toMatchObject({ killed: false, code: 0, stderr: '' })
    await profiler.waitFor(() => profiler.events.length === 5)
    expect(profiler.hellos[0].app.name).toBe('short-script')
  })

  it('declares the version its package.json has', () => {
    const manifest = JSON.parse(
      readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8'),
    ) as { version: string }
    expect(AGENT_VERSION).toBe(manifest.version)
  })
})
