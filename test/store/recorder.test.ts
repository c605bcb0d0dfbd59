/**
 * The recorder between a real Profiler (its live session, as ingest fills it) and a real
 * SQLite file: batching, keeping up, evictions, "Clear session", stopping.
 */
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Profiler } from '../../src/main/core/profiler'
import type { QueryRecord } from '../../src/shared/domain'
import type { NewQuery } from '../../src/main/session/live-session'
import { SessionRecorder } from '../../src/main/store/recorder'
import { SessionStore } from '../../src/main/store/session-store'
import { fullQuery, helloFor, tempDir } from './helpers'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function setUp(options: { capacity?: number; maxBatch?: number; intervalMs?: number } = {}) {
  const dir = tempDir()
  cleanups.push(dir.remove)
  const store = await SessionStore.open({ file: join(dir.path, 'sessions.sqlite') })
  cleanups.push(() => store.close())
  const profiler = new Profiler({ capacity: options.capacity })
  cleanups.push(() => profiler.dispose())
  const errors: Error[] = []
  const ended: string[] = []
  const recorder = new SessionRecorder(profiler, store, {
    intervalMs: options.intervalMs ?? 20,
    maxBatch: options.maxBatch,
    onError: (error) => errors.push(error),
    onSessionEnded: (id) => ended.push(id),
  })
  cleanups.push(() => recorder.stop())
  return { store, profiler, recorder, errors, ended }
}

function newQuery(n: number, appId: string): NewQuery {
  const query: Partial<QueryRecord> = fullQuery(n, {
    appId,
    sql: `SELECT * FROM t${n % 20} WHERE id = $1`,
    params: [n],
    error: n % 100 === 0 ? { message: 'boom' } : undefined,
  })
  delete query.id
  return query as NewQuery
}

/** A list, then `lookups` queries of one shape in one request: an N+1 at the threshold. */
function nPlusOne(appId: string, lookups = 6): NewQuery[] {
  const context = { id: 'req-1', name: 'GET /orders' }
  const query = (sql: string, n: number): NewQuery => ({
    appId,
    sql,
    params: [n],
    startTime: Date.now() + n,
    durationMs: 0.5,
    context,
  })
  return [
    query('SELECT * FROM orders WHERE status = $1', 0),
    ...Array.from({ length: lookups }, (_, i) => query('SELECT * FROM users WHERE id = $1', i + 1)),
  ]
}

const until = async (check: () => boolean | Promise<boolean>, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('the recorder', () => {
  it('persists 100,000 queries arriving in batches, every one, in order', async () => {
    const { store, profiler, recorder, errors } = await setUp({ maxBatch: 5000 })
    recorder.start()
    const app = profiler.registerApp(helloFor('shop'))
    const total = 100_000
    for (let sent = 0; sent < total; sent += 1000) {
      profiler.addQueries(
        app,
        Array.from({ length: 1000 }, (_, i) => newQuery(sent + i + 1, app.id)),
      )
      // Let the timer in now and then, as a socket's message events would.
      if (sent % 20_000 === 0) await new Promise((resolve) => setTimeout(resolve, 25))
    }
    await until(() => recorder.stats().pending === 0)
    expect(recorder.stats()).toMatchObject({
      sessionId: profiler.sessionId,
      persisted: total,
      notPersisted: 0,
      failedWrites: 0,
    })
    expect(errors).toEqual([])
    const [summary] = await store.list()
    expect(summary).toMatchObject({
      id: profiler.sessionId,
      status: 'recording',
      queryCount: total,
      failedCount: total / 100,
      appNames: ['shop'],
    })
    const last = await store.queries(profiler.sessionId, total - 2, 10)
    expect(last?.rows.map((q) => q.id)).toEqual([total - 1, total])
    expect(last?.rows[1]).toEqual(profiler.session.get(total))
    expect((await store.get(profiler.sessionId))?.apps).toEqual(profiler.appsList())
  })

  it('writes a backlog in several transactions of at most maxBatch', async () => {
    const { store, profiler, recorder } = await setUp({ maxBatch: 1000, intervalMs: 10_000 })
    recorder.start()
    const app = profiler.registerApp(helloFor('shop'))
    profiler.addQueries(
      app,
      Array.from({ length: 3500 }, (_, i) => newQuery(i + 1, app.id)),
    )
    expect(recorder.flush()).toBe(2500)
    expect((await store.list())[0]?.queryCount).toBe(1000)
    recorder.flushAll()
    expect(recorder.stats()).toMatchObject({ persisted: 3500, pending: 0 })
  })

  it('counts queries the live session evicted before they were written as not persisted', async () => {
    const { store, profiler, recorder } = await setUp({ capacity: 1000, intervalMs: 10_000 })
    recorder.start()
    const app = profiler.registerApp(helloFor('shop'))
    profiler.addQueries(
      app,
      Array.from({ length: 600 }, (_, i) => newQuery(i + 1, app.id)),
    )
    recorder.flushAll()
    // 2,000 more into a ring of 1,000: ids 601..1600 are gone before the next write.
    profiler.addQueries(
      app,
      Array.from({ length: 2000 }, (_, i) => newQuery(i + 601, app.id)),
    )
    recorder.flushAll()
    expect(recorder.stats()).toMatchObject({ persisted: 1600, notPersisted: 1000, pending: 0 })
    const [summary] = await store.list()
    expect(summary).toMatchObject({ queryCount: 1600, notPersisted: 1000 })
    const page = await store.queries(summary!.id, 599, 2)
    expect(page?.rows.map((q) => q.id)).toEqual([600, 1601])
  })

  it('on "Clear session", ends the stored session with every query and starts a new one', async () => {
    const { store, profiler, recorder, ended } = await setUp({ intervalMs: 10_000 })
    recorder.start()
    const app = profiler.registerApp(helloFor('shop'))
    const first = profiler.sessionId
    profiler.addQueries(
      app,
      Array.from({ length: 10 }, (_, i) => newQuery(i + 1, app.id)),
    )
    // Through the API, as the UI's button does; nothing was written yet.
    profiler.handlers['session.clear']()
    expect(profiler.sessionId).not.toBe(first)
    expect(ended).toEqual([first])
    profiler.addQueries(app, [newQuery(1, app.id), newQuery(2, app.id)])
    recorder.flushAll()

    const sessions = await store.list()
    expect(sessions.map((s) => [s.id, s.status, s.queryCount])).toEqual([
      [profiler.sessionId, 'recording', 2],
      [first, 'complete', 10],
    ])
  })

  it('notices a session id change even when clear() was not called through the profiler', async () => {
    const { store, profiler, recorder } = await setUp({ intervalMs: 10_000 })
    recorder.start()
    const first = profiler.sessionId
    const app = profiler.registerApp(helloFor('shop'))
    profiler.addQueries(app, [newQuery(1, app.id)])
    recorder.flushAll()
    Profiler.prototype.clear.call(profiler)
    recorder.flushAll()
    expect((await store.list()).map((s) => [s.id === first, s.status])).toEqual([
      [false, 'recording'],
      [true, 'complete'],
    ])
  })

  it('stop() writes what is pending and marks the session complete', async () => {
    const { store, profiler, recorder, ended } = await setUp({ intervalMs: 10_000 })
    recorder.start()
    const app = profiler.registerApp(helloFor('shop'))
    profiler.addQueries(app, [newQuery(1, app.id), newQuery(2, app.id)])
    recorder.stop()
    expect(ended).toEqual([profiler.sessionId])
    const [summary] = await store.list()
    expect(summary).toMatchObject({ status: 'complete', queryCount: 2 })
    expect(summary!.endedAt).toBeGreaterThanOrEqual(summary!.startedAt)
    // The profiler's own clear() is back.
    expect(Object.hasOwn(profiler, 'clear')).toBe(false)
  })

  it('keeps no session in which nothing was recorded', async () => {
    const { store, profiler, recorder, ended } = await setUp({ intervalMs: 10_000 })
    recorder.start()
    profiler.clear()
    recorder.stop()
    expect(ended).toEqual([])
    expect(await store.list()).toEqual([])
  })

  it('stores the findings of a session ended by "Clear session", counting them as it records', async () => {
    const { store, profiler, recorder } = await setUp({ intervalMs: 10_000 })
    recorder.start()
    const app = profiler.registerApp(helloFor('shop'))
    const first = profiler.sessionId
    profiler.addQueries(app, nPlusOne(app.id))
    recorder.flushAll()
    // While recording: the count only, kept as each batch is written.
    expect(await store.get(first)).toMatchObject({ status: 'recording', findingsCount: 1 })
    expect(await store.get(first)).not.toHaveProperty('findings')
    const live = profiler.analyzer.findingsResult()
    expect(live.findings).toHaveLength(1)

    profiler.handlers['session.clear']()
    const ended = await store.get(first)
    expect(ended).toMatchObject({ status: 'complete', findingsCount: 1 })
    expect(ended?.findings).toEqual({ settings: profiler.analyzer.settings, ...live })
    // The analyzer was reset by the clear; what was stored came from before it.
    expect(profiler.analyzer.findingsResult().findings).toEqual([])
  })

  it('stop() stores the findings found with the settings in force', async () => {
    const { store, profiler, recorder } = await setUp({ intervalMs: 10_000 })
    profiler.handlers['analysis.settings.set']({ nPlusOneThreshold: 3 })
    recorder.start()
    const app = profiler.registerApp(helloFor('shop'))
    profiler.addQueries(app, nPlusOne(app.id, 4))
    recorder.stop()
    const stored = await store.get(profiler.sessionId)
    expect(stored?.findings?.settings.nPlusOneThreshold).toBe(3)
    expect(stored?.findings?.findings.map((f) => [f.kind, f.count])).toEqual([['n-plus-one', 4]])
    expect(stored?.findingsCount).toBe(1)
  })

  it('keeps the timer from holding the process open', async () => {
    const { recorder } = await setUp()
    recorder.start()
    const timer = (recorder as unknown as { timer: NodeJS.Timeout }).timer
    expect(timer.hasRef()).toBe(false)
  })
})
