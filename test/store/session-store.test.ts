/**
 * The session library on real SQLite: the real migrations on `:memory:` and on files, every
 * query field through a write and a read, the library operations, search, retention.
 */
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { DataSource } from 'typeorm'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_ANALYSIS_SETTINGS } from '../../src/shared/analysis'
import type { QueryRecord } from '../../src/shared/domain'
import { analyzeSession } from '../../src/main/analysis/analyzer'
import {
  SessionStore,
  LibraryError,
  type SessionFindings,
} from '../../src/main/store/session-store'
import { sqliteConnection } from '../../src/main/store/data-source'
import { InitialSchema1764144000000 } from '../../src/main/store/migrations/1764144000000-initial-schema'
import { bareQuery, fullApp, fullQuery, tempDir } from './helpers'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function openStore(file = ':memory:'): Promise<SessionStore> {
  const store = await SessionStore.open({ file })
  cleanups.push(() => store.close())
  return store
}

async function openFileStore(): Promise<{ store: SessionStore; file: string; dir: string }> {
  const dir = tempDir()
  cleanups.push(dir.remove)
  const file = join(dir.path, 'sessions.sqlite')
  return { store: await openStore(file), file, dir: dir.path }
}

/** Records a finished session with the given queries, as the recorder would. */
function record(
  store: SessionStore,
  id: string,
  queries = [fullQuery(1)],
  options: { startedAt?: number; endedAt?: number; apps?: ReturnType<typeof fullApp>[] } = {},
) {
  const writer = store.beginSession({ id, startedAt: options.startedAt ?? Date.now() })
  writer.write(queries, options.apps ?? [fullApp()])
  store.endSession(writer, options.endedAt)
  return writer
}

describe('the library database', () => {
  it('is created by the real migrations on :memory:, matching the entities exactly', async () => {
    const store = await openStore()
    const pending = await store.dataSource.driver.createSchemaBuilder().log()
    expect(pending.upQueries.map((q) => q.query)).toEqual([])
    expect(await store.dataSource.showMigrations()).toBe(false)
  })

  it('on a file: WAL, synchronous NORMAL, incremental vacuum, and migrations run once', async () => {
    const { store, file } = await openFileStore()
    const db = sqliteConnection(store.dataSource)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('synchronous', { simple: true })).toBe(1)
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(2)
    record(store, 'kept')
    await store.close()

    const again = await openStore(file)
    const migrations = await again.dataSource.query('SELECT name FROM migrations')
    expect(migrations).toEqual([
      { name: 'InitialSchema1764144000000' },
      { name: 'SessionFindings1764403200000' },
    ])
    expect((await again.list()).map((s) => s.id)).toEqual(['kept'])
  })

  it('reverts cleanly: each migration down() drops everything it created', async () => {
    const store = await openStore()
    await store.dataSource.undoLastMigration()
    await store.dataSource.undoLastMigration()
    const tables = await store.dataSource.query(
      `SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' ORDER BY name`,
    )
    expect(tables).toEqual([{ name: 'migrations' }])
  })
})

describe('a library made by the previous schema (before findings were stored)', () => {
  it('is migrated on open: its sessions stay as they were, and new ones keep their findings', async () => {
    const dir = tempDir()
    cleanups.push(dir.remove)
    const file = join(dir.path, 'sessions.sqlite')
    // The library as the first release left it: only the first migration, one session.
    const old = new DataSource({
      type: 'better-sqlite3',
      database: file,
      driver: Database,
      migrations: [InitialSchema1764144000000],
    })
    await old.initialize()
    await old.runMigrations()
    await old.query(
      `INSERT INTO sessions (id, name, started_at, ended_at, updated_at, status, app_names,
         query_count)
       VALUES ('old', 'Before the upgrade', 1000, 2000, 2000, 'complete', '["shop"]', 1)`,
    )
    await old.query(`INSERT INTO statements (session_key, id, sql) VALUES (1, 1, 'SELECT 1')`)
    await old.query(
      `INSERT INTO queries (session_key, id, app_id, statement_id, start_time, duration_ms)
       VALUES (1, 1, 'app-1', 1, 1500, 0.5)`,
    )
    await old.destroy()

    const store = await openStore(file)
    const migrations = await store.dataSource.query('SELECT name FROM migrations ORDER BY id')
    expect(migrations.map((m: { name: string }) => m.name)).toEqual([
      'InitialSchema1764144000000',
      'SessionFindings1764403200000',
    ])
    expect((await store.dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([])
    const before = await store.get('old')
    expect(before).toMatchObject({ name: 'Before the upgrade', queryCount: 1, findingsCount: 0 })
    expect(before).not.toHaveProperty('findings')
    expect((await store.queries('old', 0, 10))?.rows).toEqual([
      { id: 1, appId: 'app-1', sql: 'SELECT 1', startTime: 1500, durationMs: 0.5 },
    ])

    const queries = nPlusOne()
    const writer = store.beginSession({ id: 'new', startedAt: 3000 })
    writer.write(queries, [fullApp()])
    store.endSession(writer, 4000, findingsOf(queries))
    expect((await store.get('new'))?.findings).toEqual(findingsOf(queries))
  })
})

/** A list, then six lookups of one shape in one request: one N+1 at the default threshold. */
function nPlusOne(firstId = 1): QueryRecord[] {
  const context = { id: 'req-1', name: 'GET /orders' }
  return [
    { ...bareQuery(firstId, 'SELECT * FROM orders WHERE status = $1'), params: ['open'], context },
    ...Array.from({ length: 6 }, (_, i) => ({
      ...bareQuery(firstId + 1 + i, 'SELECT * FROM users WHERE id = $1'),
      params: [100 + i],
      context,
    })),
  ]
}

function findingsOf(queries: QueryRecord[]): SessionFindings {
  const { findings, insights } = analyzeSession(queries, [fullApp()]).findingsResult()
  return { settings: { ...DEFAULT_ANALYSIS_SETTINGS }, findings, insights }
}

describe('findings', () => {
  it('are stored when a session ends, counted, returned by get and deleted with the session', async () => {
    const store = await openStore()
    const queries = nPlusOne()
    const findings = findingsOf(queries)
    expect(findings.findings).toHaveLength(1)
    const writer = store.beginSession({ id: 'found', startedAt: 1 })
    writer.write(queries, [fullApp()])
    store.endSession(writer, 2, findings)

    expect((await store.list())[0]).toMatchObject({ id: 'found', findingsCount: 1 })
    const detail = await store.get('found')
    expect(detail?.findings).toEqual(findings)
    expect(JSON.parse(JSON.stringify(detail))).toEqual(detail)

    await store.delete('found')
    const db = sqliteConnection(store.dataSource)
    expect(db.prepare('SELECT COUNT(*) AS n FROM session_findings').get()).toEqual({ n: 0 })
  })

  it('of a session that crashed: the count as of its last write, the findings themselves absent', async () => {
    const { store, file } = await openFileStore()
    const writer = store.beginSession({ id: 'crashed', startedAt: 1000 })
    writer.write(nPlusOne(), [fullApp()], 0, 2000, 1)
    writer.write(nPlusOne(8), [fullApp()], 0, 3000, 2)
    sqliteConnection(store.dataSource)
      .prepare('UPDATE sessions SET recorder_pid = ? WHERE id = ?')
      .run(2 ** 22 + 1, 'crashed')
    await store.close()

    const after = await openStore(file)
    expect(after.recoverInterrupted()).toEqual(['crashed'])
    const detail = await after.get('crashed')
    expect(detail).toMatchObject({ status: 'recovered', findingsCount: 2, queryCount: 14 })
    expect(detail).not.toHaveProperty('findings')
  })
})

describe('recorded queries', () => {
  it('round-trip every field of a query and an app', async () => {
    const store = await openStore()
    const queries = [
      fullQuery(1),
      fullQuery(2, { params: { named: 'yes', n: 2 }, error: { message: 'no type' } }),
      bareQuery(3),
      fullQuery(5, { context: { id: 'job-1' }, rows: 0, stack: [{ file: 'anonymous' }] }),
    ]
    const app = fullApp()
    const bare = fullApp({
      id: 'app-2',
      name: 'worker',
      runtime: undefined,
      orm: undefined,
      agent: undefined,
      dbSystem: undefined,
      pid: undefined,
      host: undefined,
      disconnectedAt: undefined,
    })
    record(store, 's1', queries, { apps: [app, bare] })

    const page = await store.queries('s1', 0, 10)
    expect(page).toEqual({ total: 4, offset: 0, rows: queries })
    const detail = await store.get('s1')
    expect(detail?.apps).toEqual([app, bare])
  })

  it('pages through a session in id order, and stores each text and stack once', async () => {
    const store = await openStore()
    const queries = Array.from({ length: 2500 }, (_, i) =>
      fullQuery(i + 1, { sql: `SELECT ${i % 3}` }),
    )
    record(store, 'paged', queries)
    const page = await store.queries('paged', 1000, 1000)
    expect(page?.total).toBe(2500)
    expect(page?.rows.map((q) => q.id)).toEqual(queries.slice(1000, 2000).map((q) => q.id))
    expect((await store.queries('paged', 2400, 5000))?.rows).toHaveLength(100)
    const db = sqliteConnection(store.dataSource)
    expect(db.prepare('SELECT COUNT(*) AS n FROM statements').get()).toEqual({ n: 3 })
    expect(db.prepare('SELECT COUNT(*) AS n FROM stacks').get()).toEqual({ n: 1 })
    expect(await store.queries('no-such-session', 0, 10)).toBeNull()
  })

  it('keeps totals per session: queries, failed, time, apps', async () => {
    const store = await openStore()
    const writer = store.beginSession({ id: 'totals', startedAt: 1000 })
    writer.write([fullQuery(1), bareQuery(2)], [fullApp()])
    writer.write([bareQuery(3)], [fullApp(), fullApp({ id: 'app-2', name: 'worker' })], 4)
    const [summary] = await store.list()
    expect(summary).toMatchObject({
      id: 'totals',
      status: 'recording',
      queryCount: 3,
      failedCount: 1,
      notPersisted: 4,
      appNames: ['shop', 'worker'],
      endedAt: null,
      findingsCount: 0,
      health: null,
    })
    expect(summary!.bytes).toBeGreaterThan(0)
    expect((await store.get('totals'))?.totalQueryMs).toBeCloseTo(1.375 + 0.25 + 0.25)
  })

  it('writes nothing of a batch that fails, and the same batch can be written again', async () => {
    const store = await openStore()
    const writer = store.beginSession({ id: 'retry', startedAt: 1 })
    writer.write([bareQuery(1)], [])
    // A duplicate id fails on the primary key in the middle of the batch.
    expect(() => writer.write([bareQuery(2, 'SELECT new'), bareQuery(1)], [])).toThrow()
    expect(writer.written.queryCount).toBe(1)
    writer.write([bareQuery(2, 'SELECT new'), bareQuery(3, 'SELECT new')], [])
    const page = await store.queries('retry', 0, 10)
    expect(page?.rows.map((q) => [q.id, q.sql])).toEqual([
      [1, 'SELECT 1'],
      [2, 'SELECT new'],
      [3, 'SELECT new'],
    ])
  })
})

describe('the library', () => {
  it('lists sessions newest first as plain objects', async () => {
    const store = await openStore()
    record(store, 'old', [fullQuery(1)], { startedAt: 1000, endedAt: 5000 })
    record(store, 'new', [fullQuery(1), bareQuery(2)], { startedAt: 2000, endedAt: 2500 })
    const list = await store.list()
    expect(list.map((s) => s.id)).toEqual(['new', 'old'])
    expect(list[1]).toEqual({
      id: 'old',
      name: expect.stringMatching(/^Session \d{4}-\d\d-\d\d \d\d:\d\d$/),
      note: '',
      appNames: ['shop'],
      startedAt: 1000,
      endedAt: 5000,
      durationMs: 4000,
      status: 'complete',
      queryCount: 1,
      failedCount: 1,
      notPersisted: 0,
      findingsCount: 0,
      health: null,
      bytes: expect.any(Number),
    })
    expect(Object.getPrototypeOf(list[0])).toBe(Object.prototype)
    expect(JSON.parse(JSON.stringify(list))).toEqual(list)
  })

  it('renames, sets notes, and refuses empty names', async () => {
    const store = await openStore()
    record(store, 's')
    expect(await store.rename('s', '  Checkout slowness  ')).toBe(true)
    expect(await store.setNote('s', 'after the index on orders.user_id')).toBe(true)
    expect(await store.get('s')).toMatchObject({
      name: 'Checkout slowness',
      note: 'after the index on orders.user_id',
    })
    expect(await store.rename('missing', 'x')).toBe(false)
    await expect(store.rename('s', '   ')).rejects.toThrow(LibraryError)
  })

  it('deletes a session with its apps, texts, stacks and queries, and nothing else', async () => {
    const store = await openStore()
    record(store, 'gone', [fullQuery(1), fullQuery(2)])
    record(store, 'kept', [fullQuery(1)])
    expect(await store.delete('gone')).toBe(true)
    expect(await store.delete('gone')).toBe(false)
    expect((await store.list()).map((s) => s.id)).toEqual(['kept'])
    const db = sqliteConnection(store.dataSource)
    for (const table of ['queries', 'statements', 'stacks', 'session_apps']) {
      expect(db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get(), table).toEqual({ n: 1 })
    }
    expect((await store.queries('kept', 0, 10))?.rows).toEqual([fullQuery(1)])
  })

  it('refuses to delete the session being recorded', async () => {
    const store = await openStore()
    store.beginSession({ id: 'live', startedAt: Date.now() })
    await expect(store.delete('live')).rejects.toThrow(/being recorded/)
  })

  it('searches by name, note, app name and SQL text, case-insensitively', async () => {
    const store = await openStore()
    record(store, 'a', [bareQuery(1, 'SELECT * FROM invoices')], {
      apps: [fullApp({ name: 'billing' })],
    })
    record(store, 'b', [bareQuery(1, 'UPDATE carts SET n = 1')], {
      apps: [fullApp({ name: 'shop' })],
    })
    await store.rename('b', 'Cart 100% broken')
    await store.setNote('a', 'before the_fix')
    const ids = async (search: string) => (await store.list({ search })).map((s) => s.id).sort()
    expect(await ids('INVOICES')).toEqual(['a'])
    expect(await ids('billing')).toEqual(['a'])
    expect(await ids('cart')).toEqual(['b'])
    expect(await ids('100%')).toEqual(['b'])
    expect(await ids('the_fix')).toEqual(['a'])
    expect(await ids('set n')).toEqual(['b'])
    expect(await ids('nowhere')).toEqual([])
    expect(await ids('  ')).toEqual(['a', 'b'])
    // LIKE wildcards in the search are literal.
    expect(await ids('_')).toEqual(['a'])
  })

  it('reports storage: the files on disk, sessions and queries', async () => {
    const { store, file } = await openFileStore()
    record(store, 'one', [fullQuery(1), fullQuery(2)])
    record(store, 'two', [fullQuery(1)])
    const use = await store.storage()
    expect(use).toMatchObject({ sessions: 2, queries: 3, file })
    const onDisk =
      statSync(file).size +
      (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0) +
      (existsSync(`${file}-shm`) ? statSync(`${file}-shm`).size : 0)
    expect(use.bytes).toBe(onDisk)
    expect(use.databaseBytes + use.walBytes).toBeLessThanOrEqual(use.bytes)
  })
})

describe('recovery', () => {
  it('marks a session left recording by a dead process as recovered, ending at its last write', async () => {
    const { store, file } = await openFileStore()
    const writer = store.beginSession({ id: 'killed', startedAt: 1000 })
    writer.write([bareQuery(1)], [fullApp()], 0, 4000)
    // As if another process had been recording it and was killed.
    sqliteConnection(store.dataSource)
      .prepare('UPDATE sessions SET recorder_pid = ? WHERE id = ?')
      .run(2 ** 22 + 1, 'killed')
    await store.close()

    const after = await openStore(file)
    expect(after.recoverInterrupted()).toEqual(['killed'])
    expect((await after.list())[0]).toMatchObject({
      id: 'killed',
      status: 'recovered',
      endedAt: 4000,
      durationMs: 3000,
      queryCount: 1,
    })
    expect(after.recoverInterrupted()).toEqual([])
  })

  it('drops a session that was killed before anything arrived', async () => {
    const { store, file } = await openFileStore()
    store.beginSession({ id: 'empty', startedAt: 1 })
    await store.close()
    const after = await openStore(file)
    expect(after.recoverInterrupted()).toEqual([])
    expect(await after.list()).toEqual([])
  })

  it('leaves alone a session that a live process, or this one, is recording', async () => {
    const store = await openStore()
    store.beginSession({ id: 'mine', startedAt: 1 })
    const other = store.beginSession({ id: 'other-process', startedAt: 1 })
    sqliteConnection(store.dataSource)
      .prepare('UPDATE sessions SET recorder_pid = ? WHERE key = ?')
      .run(process.ppid, other.key)
    expect(store.recoverInterrupted()).toEqual([])
  })
})

describe('retention', () => {
  const DAY = 24 * 60 * 60 * 1000

  it('deletes sessions that ended more than the maximum age ago', async () => {
    const store = await openStore()
    const now = Date.now()
    record(store, 'ancient', [bareQuery(1)], { startedAt: now - 40 * DAY, endedAt: now - 40 * DAY })
    record(store, 'long-running', [bareQuery(1)], {
      startedAt: now - 40 * DAY,
      endedAt: now - 2 * DAY,
    })
    record(store, 'recent', [bareQuery(1)], { startedAt: now - DAY, endedAt: now - DAY })
    await store.setRetention({ maxAgeDays: 30, maxTotalBytes: null })
    expect(await store.enforceRetention(now)).toEqual(['ancient'])
    expect((await store.list()).map((s) => s.id).sort()).toEqual(['long-running', 'recent'])
    await store.setRetention({ maxAgeDays: 1.5 })
    expect(await store.enforceRetention(now)).toEqual(['long-running'])
  })

  it('deletes the oldest sessions until the total fits, never the one being recorded', async () => {
    const { store } = await openFileStore()
    const sql = (n: number) => `SELECT '${'x'.repeat(2000)}' AS pad${n}`
    const big = (count: number) => Array.from({ length: count }, (_, i) => bareQuery(i + 1, sql(i)))
    const recording = store.beginSession({ id: 'recording', startedAt: 1 })
    recording.write(big(50), [])
    for (const [index, id] of ['s1', 's2', 's3', 's4'].entries()) {
      record(store, id, big(50), { startedAt: 100 + index })
    }
    const each = (await store.list()).find((s) => s.id === 's1')!.bytes
    expect(each).toBeGreaterThan(100_000)
    const sizeBefore = (await store.storage()).bytes

    await store.setRetention({ maxAgeDays: null, maxTotalBytes: Math.floor(each * 3.5) })
    expect(await store.enforceRetention()).toEqual(['s1', 's2'])
    expect((await store.list()).map((s) => s.id).sort()).toEqual(['recording', 's3', 's4'])
    // Freed pages go back to the file system.
    expect((await store.storage()).bytes).toBeLessThan(sizeBefore)

    // However small the limit, the session being recorded stays.
    await store.setRetention({ maxTotalBytes: 1 })
    expect(await store.enforceRetention()).toEqual(['s3', 's4'])
    expect((await store.list()).map((s) => s.id)).toEqual(['recording'])
  })

  it('estimates bytes close to what the file grows by', async () => {
    const { store } = await openFileStore()
    const before = (await store.storage()).bytes
    const queries = Array.from({ length: 20_000 }, (_, i) =>
      fullQuery(i + 1, {
        sql: `SELECT * FROM t${i % 50} WHERE id = $1`,
        params: [i, `user-${i}@example.com`],
        error: i % 10 === 0 ? { message: 'boom' } : undefined,
      }),
    )
    const writer = store.beginSession({ id: 'sized', startedAt: 1 })
    for (let i = 0; i < queries.length; i += 5000) writer.write(queries.slice(i, i + 5000), [])
    sqliteConnection(store.dataSource).pragma('wal_checkpoint(TRUNCATE)')
    const grown = (await store.storage()).bytes - before
    const estimated = writer.written.bytes
    expect(estimated / grown).toBeGreaterThan(0.6)
    expect(estimated / grown).toBeLessThan(1.5)
  })

  it('validates and keeps the setting', async () => {
    const store = await openStore()
    expect(await store.retention()).toEqual({ maxAgeDays: 30, maxTotalBytes: 1024 ** 3 })
    await store.setRetention({ maxTotalBytes: 5_000_000 })
    expect(await store.retention()).toEqual({ maxAgeDays: 30, maxTotalBytes: 5_000_000 })
    await expect(store.setRetention({ maxAgeDays: -1 })).rejects.toThrow(LibraryError)
  })
})
