/**
 * The viewed session: a stored session (a real SQLite library) or a session file (written by
 * the real writer, or the fixtures) opened into every view channel while the live session
 * keeps recording; back to live; re-analysis on new settings; compare; import.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Profiler } from '../../src/main/core/profiler'
import { LOAD_CHUNK, LoadCancelledError } from '../../src/main/core/session-load'
import { compareSessions } from '../../src/main/report/diff'
import { analyzeSessionFile } from '../../src/main/report/report'
import { readSessionFile } from '../../src/main/session/session-file'
import { SessionStore } from '../../src/main/store/session-store'
import type { EventChannel, EventChannels } from '../../src/shared/api'
import type { LoadProgress, ViewedSession } from '../../src/shared/library'
import { bareQuery, tempDir } from '../store/helpers'
import { shopQueries, shopSession, writeShopSession } from '../report/sessions'

const FIXTURE = resolve(__dirname, '../fixtures/sessions/pre-release.json')
const folder = tempDir('fop-session-view-')
let store: SessionStore
let profiler: Profiler
let events: { channel: EventChannel; payload: unknown }[]

beforeAll(async () => {
  store = await SessionStore.open({ file: join(folder.path, 'sessions.sqlite') })
})
afterAll(async () => {
  await store.close()
  folder.remove()
})
afterEach(() => profiler?.dispose())

function startProfiler(): Profiler {
  profiler = new Profiler()
  profiler.setLibrary(store)
  events = []
  const channels: EventChannel[] = [
    'queries.changed',
    'analysis.changed',
    'view.changed',
    'load.progress',
    'status',
  ]
  for (const channel of channels) {
    profiler.onEvent(channel, (payload) => events.push({ channel, payload }))
  }
  return profiler
}

const eventsOf = <C extends EventChannel>(channel: C) =>
  events.filter((e) => e.channel === channel).map((e) => e.payload as EventChannels[C])

/** Some live traffic, with SQL no stored session has. */
function recordLive(count: number): void {
  const app = profiler.registerApp({
    type: 'hello',
    protocol: 1,
    app: { name: 'live-app' },
    'db.system.name': 'sqlite',
  })
  profiler.addQueries(
    app,
    Array.from({ length: count }, (_, i) => ({
      appId: app.id,
      sql: 'SELECT * FROM "live_only" WHERE "id" = ?',
      params: [i],
      startTime: Date.now() + i,
      durationMs: 0.3,
    })),
  )
}

async function importFile(path: string, name?: string): Promise<string> {
  return store.importSession(await readSessionFile(path), { name })
}

describe('the viewed session', () => {
  it('is the live session until another is opened', async () => {
    startProfiler()
    recordLive(3)
    const h = profiler.handlers
    expect(await h['view.get']()).toEqual({ kind: 'live' })
    expect((await h['queries.page']({ offset: 0, limit: 10 })).total).toBe(3)
  })

  it('opens a stored session into every view channel, while the live one keeps recording', async () => {
    const id = await importFile(FIXTURE, 'Pre-release run')
    const file = await readSessionFile(FIXTURE)
    const expected = analyzeSessionFile(file)
    startProfiler()
    recordLive(5)
    const h = profiler.handlers

    const viewed = await h['view.open'](id)
    expect(viewed).toMatchObject({
      kind: 'stored',
      id,
      name: 'Pre-release run',
      queries: file.queries.length,
    })
    expect((viewed as { apps: { name: string }[] }).apps.map((app) => app.name)).toEqual(['shop'])
    expect(eventsOf('view.changed')).toEqual([viewed])
    expect(await h['view.get']()).toEqual(viewed)

    const page = await h['queries.page']({ offset: 0, limit: 100 })
    expect(page.total).toBe(file.queries.length)
    expect(page.rows.map((row) => row.sql)).toEqual(file.queries.map((query) => query.sql))
    // The filter matches the viewed session's app names, not the live one's.
    expect((await h['queries.page']({ offset: 0, limit: 10, filter: 'shop' })).total).toBe(
      file.queries.length,
    )
    expect((await h['queries.get'](2))?.params).toEqual(file.queries[1]!.params)

    const summary = await h['analysis.summary']()
    expect(summary.queries).toBe(file.queries.length)
    expect(summary.findings['n-plus-one']).toBe(expected.summary.findings.nPlusOne)
    expect(summary.findings['n-plus-one']).toBeGreaterThan(0)
    const { findings } = await h['analysis.findings']()
    const detail = await h['analysis.finding'](findings[0]!.id)
    expect(detail!.queries.length).toBe(findings[0]!.count)
    expect((await h['analysis.fingerprints']({ offset: 0, limit: 100 })).total).toBe(
      expected.fingerprints.length,
    )
    const start = file.queries[0]!.startTime
    const window = await h['timeline.window']({
      from: start - 1000,
      to: start + 60_000,
      laneOffset: 0,
      laneLimit: 50,
      maxBars: 1000,
    })
    expect(window.bars.length).toBe(file.queries.length)
    expect(window.bars.some((bar) => bar.finding === 'n-plus-one')).toBe(true)
    // Its one request is one lane, named from the file's context, coloured by its finding.
    expect(window.lanes.map((lane) => [lane.id, lane.name, lane.queryCount])).toEqual([
      ['req-1', 'GET /orders', file.queries.length],
    ])
    expect(window.lanes[0]!.worstFinding).toBe('n-plus-one')
    expect(window.bars.map((bar) => bar.queryId).sort((a, b) => a - b)).toEqual(
      file.queries.map((_, i) => i + 1),
    )

    // The live session goes on recording; its changes reach no view meanwhile.
    events.length = 0
    recordLive(4)
    // `status` (every 500 ms) still goes out, after the 100 and 250 ms of the others.
    await expect.poll(() => eventsOf('status').at(-1)?.counters.received).toBe(9)
    expect(eventsOf('queries.changed')).toEqual([])
    expect(eventsOf('analysis.changed')).toEqual([])
    expect((await h['queries.page']({ offset: 0, limit: 1 })).total).toBe(file.queries.length)

    expect(await h['view.live']()).toEqual({ kind: 'live' })
    expect(eventsOf('view.changed')).toEqual([{ kind: 'live' }])
    expect((await h['queries.page']({ offset: 0, limit: 1 })).total).toBe(9)
    expect((await h['analysis.summary']()).queries).toBe(9)
  })

  it('reports its progress while loading, and gives the event loop turns between chunks', async () => {
    const total = LOAD_CHUNK * 5 + 7
    const queries = Array.from({ length: total }, (_, i) => bareQuery(i + 1, `SELECT ${i % 10}`))
    const path = await writeShopSession(folder.path, 'large', {}, queries)
    const id = await importFile(path)
    startProfiler()

    let turns = 0
    let counting = true
    const count = () => {
      turns++
      if (counting) setImmediate(count)
    }
    setImmediate(count)
    await profiler.handlers['view.open'](id)
    counting = false

    expect(turns).toBeGreaterThanOrEqual(5)
    const progress = eventsOf('load.progress')
    expect(progress[0]).toEqual({
      task: 'open',
      phase: 'analyzing',
      done: 0,
      total,
      unit: 'queries',
    } satisfies LoadProgress)
    expect(progress.at(-1)).toMatchObject({ done: total, total })
    expect((await profiler.handlers['analysis.summary']()).queries).toBe(total)
  })

  it('cancels an open still loading when another is asked for', async () => {
    const queries = Array.from({ length: LOAD_CHUNK * 4 }, (_, i) => bareQuery(i + 1))
    const big = await importFile(await writeShopSession(folder.path, 'big', {}, queries))
    const small = await importFile(FIXTURE, 'small one')
    startProfiler()
    const first = profiler.handlers['view.open'](big)
    const second = profiler.handlers['view.open'](small)
    await expect(first).rejects.toBeInstanceOf(LoadCancelledError)
    expect(await second).toMatchObject({ id: small, name: 'small one' })
    expect(eventsOf('view.changed').map((v) => (v as { id: string }).id)).toEqual([small])
  })

  it('leaves a viewed session alone when the live one is cleared', async () => {
    const id = await importFile(FIXTURE)
    startProfiler()
    recordLive(3)
    const viewed = await profiler.handlers['view.open'](id)
    events.length = 0
    await profiler.handlers['session.clear']()
    expect(eventsOf('queries.changed')).toEqual([])
    expect(eventsOf('status').at(-1)?.counters.received).toBe(0)
    expect(await profiler.handlers['view.get']()).toEqual(viewed)
    expect((await profiler.handlers['queries.page']({ offset: 0, limit: 1 })).total).toBe(8)
    await profiler.handlers['view.live']()
    expect((await profiler.handlers['queries.page']({ offset: 0, limit: 1 })).total).toBe(0)
  })

  it('opening the session being recorded is going back to live', async () => {
    startProfiler()
    const id = await importFile(FIXTURE)
    await profiler.handlers['view.open'](id)
    expect(await profiler.handlers['view.open'](profiler.sessionId)).toEqual({ kind: 'live' })
    expect(profiler.view.isLive).toBe(true)
  })

  it('analyzes a viewed session with the current settings, and again when they change', async () => {
    const id = await importFile(FIXTURE)
    startProfiler()
    const h = profiler.handlers
    await h['analysis.settings.set']({ nPlusOneThreshold: 1000 })
    await h['view.open'](id)
    expect((await h['analysis.summary']()).findings['n-plus-one']).toBe(0)

    events.length = 0
    const settings = await h['analysis.settings.set']({ nPlusOneThreshold: 3 })
    expect(settings.nPlusOneThreshold).toBe(3)
    await expect.poll(() => eventsOf('analysis.changed').length).toBe(1)
    const [changed] = eventsOf('analysis.changed')
    expect(changed!.summary.findings['n-plus-one']).toBeGreaterThan(0)
    expect(await h['analysis.summary']()).toEqual(changed!.summary)
  })

  it('refuses an unknown stored session and keeps what was viewed', async () => {
    const id = await importFile(FIXTURE)
    startProfiler()
    const viewed = await profiler.handlers['view.open'](id)
    await expect(profiler.handlers['view.open']('no-such-session')).rejects.toThrow(
      'no session no-such-session in the library',
    )
    expect(await profiler.handlers['view.get']()).toEqual(viewed)
  })

  it('says the library is unavailable when there is none', async () => {
    profiler = new Profiler()
    await expect(profiler.handlers['view.open']('any')).rejects.toThrow(/library unavailable/)
  })
})

describe('session files', () => {
  it('opens a file read-only, without storing it', async () => {
    startProfiler()
    const before = (await store.list()).length
    const result = await profiler.loadFile(
      { action: 'open' },
      { path: FIXTURE, fileName: 'pre-release.json' },
    )
    const file = await readSessionFile(FIXTURE)
    expect(result).toEqual({
      kind: 'opened',
      viewed: {
        kind: 'file',
        id: file.session.id,
        name: 'pre-release.json',
        startedAt: file.session.startedAt,
        endedAt: file.session.endedAt,
        queries: file.queries.length,
        apps: file.apps,
        fileName: 'pre-release.json',
      } satisfies ViewedSession,
    })
    expect((await profiler.handlers['analysis.summary']()).queries).toBe(file.queries.length)
    expect(eventsOf('load.progress')[0]).toMatchObject({ phase: 'reading', unit: 'bytes' })
    expect((await store.list()).length).toBe(before)
  })

  it('opens a file whose counters say fewer queries than it holds, or none', async () => {
    startProfiler()
    const document = JSON.parse(readFileSync(FIXTURE, 'utf8'))
    const understated = join(folder.path, 'understated.json')
    writeFileSync(
      understated,
      JSON.stringify({ ...document, counters: { ...document.counters, stored: 3 } }),
    )
    // Counters after the queries: unknown when the queries come.
    const { counters, ...rest } = document
    const countersLast = join(folder.path, 'counters-last.json')
    writeFileSync(countersLast, JSON.stringify({ ...rest, counters }))
    const expected = analyzeSessionFile(await readSessionFile(FIXTURE))
    for (const path of [understated, countersLast]) {
      await profiler.loadFile({ action: 'open' }, { path, fileName: 'odd.json' })
      const page = await profiler.handlers['queries.page']({ offset: 0, limit: 100 })
      expect(page.rows.map((row) => row.sql)).toEqual(
        document.queries.map((query: { sql: string }) => query.sql),
      )
      expect(page.rows.map((row) => row.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
      expect((await profiler.handlers['analysis.summary']()).findings['n-plus-one']).toBe(
        expected.summary.findings.nPlusOne,
      )
    }
  })

  it('shows the loader’s error for a bad file and changes nothing', async () => {
    startProfiler()
    const opened = await profiler.loadFile(
      { action: 'open' },
      { path: FIXTURE, fileName: 'pre-release.json' },
    )
    const truncated = join(folder.path, 'truncated.json')
    const text = readFileSync(FIXTURE, 'utf8')
    writeFileSync(truncated, text.slice(0, text.length / 2))
    const notJson = join(folder.path, 'not-json.json')
    writeFileSync(notJson, 'hello, world')
    const newer = join(folder.path, 'newer.json')
    writeFileSync(newer, JSON.stringify({ format: 'fastorm-profiler-session', version: 99 }))
    const listed = (await store.list()).length

    for (const [path, message] of [
      [truncated, /truncated|end of/i],
      [notJson, /JSON/],
      [newer, /version 99/],
    ] as const) {
      for (const action of ['open', 'import'] as const) {
        await expect(profiler.loadFile({ action }, { path, fileName: 'bad.json' })).rejects.toThrow(
          message,
        )
      }
    }
    expect(await profiler.handlers['view.get']()).toEqual(
      (opened as { viewed: ViewedSession }).viewed,
    )
    expect((await store.list()).length).toBe(listed)
  })

  it('imports a file into the library', async () => {
    startProfiler()
    const path = await writeShopSession(folder.path, 'Imported shop')
    const result = await profiler.loadFile({ action: 'import' }, { path, fileName: 'shop.json' })
    expect(result).toMatchObject({ kind: 'imported', name: 'Imported shop', queries: 16 })
    const id = (result as { id: string }).id
    expect((await store.get(id))?.queryCount).toBe(16)
    expect(eventsOf('load.progress').every((p) => p.task === 'import')).toBe(true)
    expect(profiler.view.isLive).toBe(true)
  })

  it('takes an upload once and deletes it after reading', async () => {
    startProfiler()
    const taken: string[] = []
    const deleted: string[] = []
    profiler.setUploads({
      take: (id) => {
        taken.push(id)
        return id === 'upload-id-0123456789' ? { file: FIXTURE, fileName: 'up.json' } : undefined
      },
      done: async (file) => void deleted.push(file),
    })
    const opened = await profiler.handlers['file.load']({
      action: 'open',
      upload: 'upload-id-0123456789',
    })
    expect(opened).toMatchObject({ kind: 'opened', viewed: { fileName: 'up.json' } })
    expect(deleted).toEqual([FIXTURE])
    await expect(
      profiler.handlers['file.load']({ action: 'open', upload: 'another-id-0123456789' }),
    ).rejects.toThrow(/no such upload/)
    await expect(profiler.handlers['file.load']({ action: 'open' })).rejects.toThrow(/upload/)
  })
})

describe('sessions.compare', () => {
  it('gives the same diff as `diff` of the two files', async () => {
    const before = await writeShopSession(folder.path, 'before')
    const after = await writeShopSession(folder.path, 'after', { fixed: true, audit: true })
    const beforeId = await importFile(before)
    const afterId = await importFile(after)
    startProfiler()
    const diff = await profiler.handlers['sessions.compare'](beforeId, afterId)
    const expected = compareSessions(
      analyzeSessionFile(await shopSession(folder.path, 'before')),
      analyzeSessionFile(await shopSession(folder.path, 'after', { fixed: true, audit: true })),
    )
    // The stored copies carry the library's ids and names; everything compared is the same.
    expect({ ...diff, before: undefined, after: undefined }).toEqual({
      ...expected,
      before: undefined,
      after: undefined,
    })
    expect(diff.findings.map((f) => f.change)).toEqual(['disappeared'])
    expect(diff.before.id).toBe(beforeId)
    expect(diff.after.id).toBe(afterId)
    expect(eventsOf('load.progress').every((p) => p.task === 'compare')).toBe(true)
    // The viewed copy is reused; the result is the same.
    await profiler.handlers['view.open'](beforeId)
    expect(await profiler.handlers['sessions.compare'](beforeId, afterId)).toEqual(diff)
  })

  it('compares the live session with a stored one', async () => {
    const storedId = await importFile(await writeShopSession(folder.path, 'stored shop'))
    startProfiler()
    const app = profiler.registerApp({
      type: 'hello',
      protocol: 1,
      app: { name: 'shop' },
      'db.system.name': 'sqlite',
    })
    profiler.addQueries(
      app,
      shopQueries({ fixed: true }).map((query) => {
        const { appId, ...rest } = query
        void appId
        return { ...rest, appId: app.id }
      }),
    )
    const diff = await profiler.handlers['sessions.compare'](storedId, 'live')
    expect(diff.after).toMatchObject({ id: profiler.sessionId, name: 'Live session' })
    expect(diff.summary.nPlusOne).toEqual({ before: 2, after: 0, delta: -2 })
    expect(diff.findings[0]).toMatchObject({ kind: 'n-plus-one', change: 'disappeared' })
  })
})
