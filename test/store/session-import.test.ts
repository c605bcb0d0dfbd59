/**
 * Importing a session file into the library, streamed (`SessionStore.importSessionFile`):
 * real session files written by the session-file writer, a real SQLite file, the recorder
 * writing into the same library while an import runs.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_ANALYSIS_SETTINGS } from '../../src/shared/analysis'
import type { QueryRecord } from '../../src/shared/domain'
import { Profiler } from '../../src/main/core/profiler'
import type { NewQuery } from '../../src/main/session/live-session'
import {
  readSessionFile,
  SessionFileError,
  writeSessionFile,
  type LoadProgress,
} from '../../src/main/session/session-file'
import { sqliteConnection } from '../../src/main/store/data-source'
import { SessionRecorder } from '../../src/main/store/recorder'
import { IMPORT_BATCH } from '../../src/main/store/session-import'
import { LibraryError, SessionStore } from '../../src/main/store/session-store'
import { bareQuery, fullApp, fullQuery, helloFor, tempDir } from './helpers'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function folder(): string {
  const dir = tempDir()
  cleanups.push(dir.remove)
  return dir.path
}

async function openStore(dir: string): Promise<SessionStore> {
  const store = await SessionStore.open({ file: join(dir, 'sessions.sqlite') })
  cleanups.push(() => store.close())
  return store
}

/**
 * `count` queries: every tenth request runs an N+1 (a list, then six lookups of one shape),
 * the rest a mix of full and bare queries.
 */
function* workload(count: number): Generator<QueryRecord> {
  for (let id = 1; id <= count; id++) {
    const request = Math.floor((id - 1) / 10)
    const context = { id: `req-${request}`, name: 'GET /orders' }
    if (request % 10 === 0) {
      const step = (id - 1) % 10
      const sql =
        step === 0 ? 'SELECT * FROM orders WHERE status = $1' : 'SELECT * FROM users WHERE id = $1'
      yield { ...bareQuery(id, sql), params: [step], context }
    } else yield id % 3 ? fullQuery(id) : bareQuery(id, `SELECT ${id % 7}`)
  }
}

async function sessionFile(dir: string, count: number, name = 'session.json'): Promise<string> {
  const path = join(dir, name)
  await writeSessionFile(
    path,
    {
      session: {
        id: 'from-file',
        name: 'Nightly run',
        startedAt: 1_764_000_000_000,
        endedAt: 1_764_000_090_000,
      },
      apps: [fullApp()],
      counters: { received: count + 5, stored: count, evicted: 5, rejected: 0, droppedByAgents: 1 },
    },
    workload(count),
  )
  return path
}

/** Rows of every table, to show that a failed import left nothing behind. */
function tableCounts(store: SessionStore): Record<string, number> {
  const db = sqliteConnection(store.dataSource)
  const counts: Record<string, number> = {}
  for (const table of [
    'sessions',
    'session_apps',
    'statements',
    'stacks',
    'queries',
    'session_findings',
  ]) {
    counts[table] = (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n
  }
  return counts
}

async function recordOne(store: SessionStore): Promise<void> {
  const writer = store.beginSession({ id: 'recorded', startedAt: 1_763_000_000_000 })
  writer.write([fullQuery(1), bareQuery(2)], [fullApp()])
  store.endSession(writer, 1_763_000_001_000)
}

describe('importing a session file, streamed', () => {
  it('stores every query, the apps, counters and the findings the file holds, with progress', async () => {
    const dir = folder()
    const count = IMPORT_BATCH * 2 + 1234
    const path = await sessionFile(dir, count)
    const store = await openStore(dir)
    const progress: LoadProgress[] = []

    const id = await store.importSessionFile(path, { onProgress: (p) => progress.push(p) })

    expect(id).toBe('from-file')
    const file = await readSessionFile(path)
    const detail = await store.get(id)
    expect(detail).toMatchObject({
      name: 'Nightly run',
      status: 'complete',
      startedAt: 1_764_000_000_000,
      endedAt: 1_764_000_090_000,
      queryCount: count,
      notPersisted: 5,
      appNames: ['shop'],
      settings: { importedFrom: 'session.json' },
      findingsCount: file.findings.length,
    })
    expect(file.findings.length).toBeGreaterThan(10)
    expect(detail?.findings).toEqual({
      settings: file.settings,
      findings: file.findings,
      insights: file.insights,
    })
    expect(detail?.apps).toEqual([fullApp()])
    expect((await store.queries(id, 0, 1000))?.rows).toEqual(file.queries.slice(0, 1000))
    expect((await store.queries(id, count - 5, 10))?.rows).toEqual(file.queries.slice(count - 5))

    // Progress after each chunk, up to the whole file.
    expect(progress.length).toBeGreaterThan(2)
    const last = progress[progress.length - 1]!
    expect(last.bytesRead).toBe(last.totalBytes)
    expect(last.queries).toBe(count)
    const bytes = progress.map((p) => p.bytesRead)
    expect(bytes).toEqual([...bytes].sort((a, b) => a - b))
  })

  it('keeps the session out of the list, search and storage until the import has committed', async () => {
    const dir = folder()
    const path = await sessionFile(dir, IMPORT_BATCH * 2)
    const store = await openStore(dir)
    await recordOne(store)
    const snapshots: { ids: string[]; sessions: number; found: number; written: number }[] = []
    let reads: Promise<void> = Promise.resolve()
    const id = await store.importSessionFile(path, {
      onProgress: () => {
        // Between chunks, with some of the file written in staged rows.
        const written = tableCounts(store).queries
        reads = reads.then(async () => {
          snapshots.push({
            ids: (await store.list()).map((s) => s.id),
            sessions: (await store.storage()).sessions,
            found: (await store.list({ search: 'FROM users' })).length,
            written,
          })
        })
      },
    })
    await reads
    expect(snapshots[0]!.ids).toEqual(['recorded'])
    expect(snapshots[0]!.sessions).toBe(1)
    expect(snapshots[0]!.found).toBe(0)
    expect(Math.max(...snapshots.map((s) => s.written))).toBeGreaterThan(IMPORT_BATCH)
    for (const snapshot of snapshots) {
      // The staged session never shows: before the commit only the recorded one is listed.
      expect([['recorded'], [id, 'recorded']]).toContainEqual(snapshot.ids)
    }
    expect((await store.list()).map((s) => s.id)).toEqual([id, 'recorded'])
    expect((await store.list({ search: 'FROM users' })).map((s) => s.id)).toEqual([id])
  })

  it("gives the session a new id when the library has the file's, and takes a name", async () => {
    const dir = folder()
    const path = await sessionFile(dir, 50)
    const store = await openStore(dir)
    expect(await store.importSessionFile(path)).toBe('from-file')
    const again = await store.importSessionFile(path, { name: 'Again' })
    expect(again).not.toBe('from-file')
    expect((await store.get(again))?.name).toBe('Again')
    expect((await store.get(again))?.queryCount).toBe(50)
  })

  it('reads an older file (no findings kept) and stores the findings derived from its queries', async () => {
    const store = await openStore(folder())
    const id = await store.importSessionFile(
      join(import.meta.dirname, '../fixtures/sessions/pre-release.json'),
    )
    const detail = await store.get(id)
    expect(detail).toMatchObject({ queryCount: 8, findingsCount: 1 })
    expect(detail?.findings?.findings[0]).toMatchObject({ kind: 'n-plus-one', count: 6 })
  })
})

describe('retention', () => {
  it("counts an imported session's age from its import, not from when it was recorded", async () => {
    const dir = folder()
    const path = join(dir, 'old.json')
    const DAY = 24 * 60 * 60 * 1000
    const longAgo = Date.now() - 90 * DAY
    await writeSessionFile(
      path,
      {
        session: { id: 'old', startedAt: longAgo, endedAt: longAgo + 60_000 },
        apps: [fullApp()],
        counters: { received: 1, stored: 1, evicted: 0, rejected: 0, droppedByAgents: 0 },
      },
      [fullQuery(1)],
    )
    const store = await openStore(dir)
    await store.setRetention({ maxAgeDays: 30, maxTotalBytes: null })
    expect(await store.importSessionFile(path)).toBe('old')
    expect(await store.enforceRetention()).toEqual([])
    expect((await store.get('old'))?.endedAt).toBe(longAgo + 60_000)
    // Thirty-one days later it goes.
    expect(await store.enforceRetention(Date.now() + 31 * DAY)).toEqual(['old'])
  })
})

describe('a bad file changes nothing', () => {
  it('a file cut off after several batches were written: rolled back, named with where', async () => {
    const dir = folder()
    const whole = await sessionFile(dir, IMPORT_BATCH * 3)
    const cut = join(dir, 'cut.json')
    const bytes = readFileSync(whole)
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.8)))
    const store = await openStore(dir)
    await recordOne(store)
    const before = tableCounts(store)
    const listed = await store.list()
    let most = 0

    const error = await store
      .importSessionFile(cut, {
        onProgress: () => (most = Math.max(most, tableCounts(store).queries)),
      })
      .catch((e: unknown) => e)

    expect(error).toBeInstanceOf(SessionFileError)
    expect((error as SessionFileError).message).toMatch(/cut\.json: .*end/i)
    expect((error as SessionFileError).offset).toBe(Math.floor(bytes.length * 0.8))
    // Batches were written before the end showed the file was bad ...
    expect(most).toBeGreaterThanOrEqual(before.queries! + IMPORT_BATCH)
    // ... and are gone.
    expect(tableCounts(store)).toEqual(before)
    expect(await store.list()).toEqual(listed)
    expect(store.recoverInterrupted()).toEqual([])
  })

  it('a query that fails validation: the error names the query and field', async () => {
    const dir = folder()
    const path = await sessionFile(dir, IMPORT_BATCH * 2)
    expect(IMPORT_BATCH).toBeLessThan(5049)
    const text = readFileSync(path, 'utf8')
    const broken = join(dir, 'broken.json')
    // Query 5,049's duration (past the first batch) becomes a string.
    writeFileSync(broken, text.replace(/("id": ?5049,[^}]*?"durationMs": ?)([\d.]+)/, '$1"slow"'))
    expect(readFileSync(broken, 'utf8')).not.toBe(text)
    const store = await openStore(dir)
    const before = tableCounts(store)
    const error = (await store
      .importSessionFile(broken)
      .catch((e: unknown) => e)) as SessionFileError
    expect(error).toBeInstanceOf(SessionFileError)
    expect(error.path).toBe('queries[5048].durationMs')
    expect(error.message).toMatch(
      /broken\.json: queries\[5048\]: durationMs: expected number.*\(queries\[5048\]\.durationMs, at byte \d+\)$/,
    )
    expect(tableCounts(store)).toEqual(before)
  })

  it('a file with nothing in it to import, and a file that is not there', async () => {
    const dir = folder()
    const empty = join(dir, 'empty.json')
    await writeSessionFile(
      empty,
      {
        session: { id: 'e', startedAt: 1, endedAt: 2 },
        apps: [],
        counters: { received: 0, stored: 0, evicted: 0, rejected: 0, droppedByAgents: 0 },
      },
      [],
    )
    const store = await openStore(dir)
    const before = tableCounts(store)
    await expect(store.importSessionFile(empty)).rejects.toThrow(LibraryError)
    await expect(store.importSessionFile(join(dir, 'missing.json'))).rejects.toThrow(
      /missing\.json: cannot read/,
    )
    expect(tableCounts(store)).toEqual(before)
  })

  it('an import stopped by its signal rolls back', async () => {
    const dir = folder()
    const path = await sessionFile(dir, IMPORT_BATCH * 2)
    const store = await openStore(dir)
    const before = tableCounts(store)
    const controller = new AbortController()
    const error = await store
      .importSessionFile(path, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.queries > IMPORT_BATCH + 100) controller.abort()
        },
      })
      .catch((e: unknown) => e)
    expect((error as Error).message).toMatch(/cancelled/)
    expect(tableCounts(store)).toEqual(before)
  })

  it('an import a killed process left half-done is deleted when the library next opens', async () => {
    const dir = folder()
    const store = await SessionStore.open({ file: join(dir, 'sessions.sqlite') })
    await recordOne(store)
    const writer = store.stageImport(1_764_000_000_000)
    writer.write([fullQuery(1), fullQuery(2)], [fullApp()])
    // The process "dies": the store goes without finishing or discarding the import.
    await store.close()

    const reopened = await openStore(dir)
    expect(reopened.recoverInterrupted()).toEqual([])
    expect(tableCounts(reopened)).toMatchObject({ sessions: 1, queries: 2, session_apps: 1 })
    expect((await reopened.list()).map((s) => s.id)).toEqual(['recorded'])
  })
})

describe('while the recorder writes into the same library', () => {
  it('keeps every recorded query, even when the import beside it rolls back', async () => {
    const dir = folder()
    const whole = await sessionFile(dir, IMPORT_BATCH * 3)
    const cut = join(dir, 'cut.json')
    const bytes = readFileSync(whole)
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.9)))
    const store = await openStore(dir)
    const profiler = new Profiler()
    cleanups.push(() => profiler.dispose())
    const recorder = new SessionRecorder(profiler, store, { intervalMs: 10_000 })
    recorder.start()
    cleanups.push(() => recorder.stop())
    const app = profiler.registerApp(helloFor('shop'))
    let sent = 0
    const send = () => {
      const query: Partial<QueryRecord> = fullQuery(++sent, { appId: app.id })
      delete query.id
      profiler.addQueries(app, [query as NewQuery])
    }

    await expect(
      store.importSessionFile(cut, {
        onProgress: () => {
          // Ingest and a recorder write between the import's batches.
          send()
          recorder.flushAll()
        },
      }),
    ).rejects.toThrow(SessionFileError)

    expect(sent).toBeGreaterThan(3)
    const stored = await store.get(profiler.sessionId)
    expect(stored).toMatchObject({ status: 'recording', queryCount: sent })
    expect((await store.queries(profiler.sessionId, 0, 1000))?.rows).toEqual(
      Array.from({ length: sent }, (_, i) => profiler.session.get(i + 1)),
    )
  })
})

describe('the findings settings stored with an import', () => {
  it("are the file's (a threshold other than the default survives)", async () => {
    const dir = folder()
    const path = join(dir, 'strict.json')
    const settings = { ...DEFAULT_ANALYSIS_SETTINGS, nPlusOneThreshold: 3 }
    await writeSessionFile(
      path,
      {
        session: { id: 'strict', startedAt: 1, endedAt: 2 },
        apps: [fullApp()],
        counters: { received: 40, stored: 40, evicted: 0, rejected: 0, droppedByAgents: 0 },
        settings,
      },
      [...workload(40)],
    )
    const store = await openStore(dir)
    const detail = await store.get(await store.importSessionFile(path))
    expect(detail?.findings?.settings).toEqual(settings)
  })
})
