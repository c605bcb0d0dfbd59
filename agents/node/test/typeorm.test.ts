import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DataSource, EntitySchema, QueryFailedError } from 'typeorm'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startAgent, type Agent } from 'fastorm-profiler-agent'
import type { QueryEvent } from '../../../src/shared/protocol/v1'
import { RecordingProfiler } from './recording-profiler'
import { dbSystemName, rowCount } from '../src/typeorm'

const thisFile = fileURLToPath(import.meta.url)
const typeormVersion = (
  JSON.parse(readFileSync(join(process.cwd(), 'node_modules/typeorm/package.json'), 'utf8')) as {
    version: string
  }
).version

interface User {
  id: number
  name: string
  email: string
}

const UserEntity = new EntitySchema<User>({
  name: 'User',
  tableName: 'users',
  columns: {
    id: { type: Number, primary: true, generated: true },
    name: { type: String },
    email: { type: String },
  },
})

let dir: string
let profiler: RecordingProfiler
const cleanups: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fastorm-agent-typeorm-'))
  profiler = await RecordingProfiler.start()
})

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

afterAll(async () => {
  await profiler.stop()
  rmSync(dir, { recursive: true, force: true })
})

let databases = 0
function sqliteDataSource(): DataSource {
  return new DataSource({
    type: 'better-sqlite3',
    database: join(dir, `app-${++databases}.sqlite`),
    entities: [UserEntity],
    synchronize: true,
  })
}

async function startInstrumented(
  when: 'before initialize' | 'after initialize' | 'by the test',
  appName: string,
): Promise<{ agent: Agent; dataSource: DataSource }> {
  const agent = startAgent({ url: profiler.url, appName, flushIntervalMs: 20 })
  const dataSource = sqliteDataSource()
  if (when === 'before initialize') agent.instrumentTypeORM(dataSource)
  await dataSource.initialize()
  if (when === 'after initialize') agent.instrumentTypeORM(dataSource)
  cleanups.push(async () => {
    await agent.close()
    await dataSource.destroy()
  })
  return { agent, dataSource }
}

/** Events whose SQL satisfies `match`, once the agent has sent them. */
async function sent(
  agent: Agent,
  match: (event: QueryEvent) => boolean,
  count = 1,
): Promise<QueryEvent[]> {
  await agent.flush()
  await profiler.waitFor(() => profiler.events.filter(match).length >= count)
  return profiler.events.filter(match)
}

function lineOf(marker: string): number {
  return (
    readFileSync(thisFile, 'utf8')
      .split('\n')
      .findIndex((line) => line.includes(marker)) + 1
  )
}

describe('TypeORM instrumentation', () => {
  it('names TypeORM, its version and the database system in the hello', async () => {
    await startInstrumented('before initialize', 'hello-app')
    await profiler.waitFor(() => profiler.hellos.some((h) => h.app.name === 'hello-app'))
    const hello = profiler.hellos.find((h) => h.app.name === 'hello-app')!
    expect(hello.orm).toEqual({ name: 'typeorm', version: typeormVersion })
    expect(hello['db.system.name']).toBe('sqlite')
  })

  it('records the schema queries of initialize() when instrumented before it', async () => {
    const { agent } = await startInstrumented('before initialize', 'schema-app')
    const [create] = await sent(agent, (e) => /^CREATE TABLE "users"/.test(e['db.query.text']))
    expect(create.durationMs).toBeGreaterThan(0)
  })

  it('records each query with its SQL, parameters, start time, real duration, rows and connection id', async () => {
    const { agent, dataSource } = await startInstrumented('before initialize', 'fields-app')
    const users = dataSource.getRepository(UserEntity)
    await users.save([
      { name: 'Ada', email: 'ada@example.com' },
      { name: 'Grace', email: 'grace@example.com' },
      { name: 'Alan', email: 'alan@example.com' },
    ])
    const before = performance.timeOrigin + performance.now()
    const found = await users.find({ where: { name: 'Grace' } })
    const after = performance.timeOrigin + performance.now()
    const all = await dataSource.query('SELECT * FROM users WHERE id > ?', [0])
    expect(found).toHaveLength(1)
    expect(all).toHaveLength(3)

    const [select] = await sent(
      agent,
      (e) =>
        e['db.query.text'].includes('FROM "users"') &&
        e['db.query.parameters']?.[0 as never] === 'Grace',
    )
    expect(select['db.query.text']).toMatch(
      /^SELECT .* FROM "users" "User" WHERE .*"User"\."name" = \?/,
    )
    expect(select['db.query.parameters']).toEqual(['Grace'])
    expect(select.startTime).toBeGreaterThanOrEqual(before)
    expect(select.startTime + select.durationMs).toBeLessThanOrEqual(after)
    expect(select.durationMs).toBeGreaterThan(0)
    expect(select['db.response.returned_rows']).toBe(1)
    expect(select.error).toBeUndefined()

    const [raw] = await sent(
      agent,
      (e) => e['db.query.text'] === 'SELECT * FROM users WHERE id > ?',
    )
    expect(raw['db.response.returned_rows']).toBe(3)
    expect(raw['db.query.parameters']).toEqual([0])
    // better-sqlite3 has one connection, so one query runner: one id for all its queries.
    expect(typeof raw.connectionId).toBe('number')
    expect(raw.connectionId).toBe(select.connectionId)

    const inserts = await sent(agent, (e) => /^INSERT INTO "users"/.test(e['db.query.text']), 3)
    expect(inserts.map((e) => e['db.query.parameters']?.[1 as never])).toEqual([
      'ada@example.com',
      'grace@example.com',
      'alan@example.com',
    ])
  })

  it('counts the rows an UPDATE affected', async () => {
    const { agent, dataSource } = await startInstrumented('before initialize', 'update-app')
    const users = dataSource.getRepository(UserEntity)
    await users.save([
      { name: 'Ada', email: 'a@x' },
      { name: 'Ada', email: 'b@x' },
    ])
    const result = await users.update({ name: 'Ada' }, { email: 'same@x' })
    expect(result.affected).toBe(2)
    const [update] = await sent(agent, (e) => /^UPDATE "users"/.test(e['db.query.text']))
    expect(update['db.response.returned_rows']).toBe(2)
  })

  it('records a failing query with its error, and the app gets the very error TypeORM threw', async () => {
    const { agent, dataSource } = await startInstrumented('by the test', 'error-app')
    // A spy under the agent's wrapper: the error TypeORM's runner threw, before the agent saw it.
    const runner = dataSource.driver.createQueryRunner('master') as unknown as {
      query: (...args: unknown[]) => Promise<unknown>
    }
    const thrownByTypeORM: unknown[] = []
    const unwrapped = Object.getPrototypeOf(runner).query as (
      ...args: unknown[]
    ) => Promise<unknown>
    runner.query = async function (...args: unknown[]) {
      try {
        return await unwrapped.apply(this, args)
      } catch (error) {
        thrownByTypeORM.push(error)
        throw error
      }
    }
    agent.instrumentTypeORM(dataSource)

    let caught: unknown
    try {
      await dataSource.query('SELECT * FROM no_such_table WHERE id = ?', [1])
    } catch (error) {
      caught = error
    }
    expect(thrownByTypeORM).toHaveLength(1)
    expect(caught).toBe(thrownByTypeORM[0])
    expect(caught).toBeInstanceOf(QueryFailedError)
    expect((caught as QueryFailedError).query).toBe('SELECT * FROM no_such_table WHERE id = ?')

    const [failed] = await sent(agent, (e) => e['db.query.text'].includes('no_such_table'))
    expect(failed.error).toEqual({
      type: 'SQLITE_ERROR',
      message: 'SqliteError: no such table: no_such_table',
    })
    expect(failed['db.query.parameters']).toEqual([1])
    expect(failed['db.response.returned_rows']).toBeUndefined()
    expect(failed.durationMs).toBeGreaterThan(0)
    expect(failed.stack?.[0]?.file).toBe(thisFile)
  })

  it('points the call site at the line of this file that ran the query', async () => {
    const { agent, dataSource } = await startInstrumented('before initialize', 'site-app')
    const users = dataSource.getRepository(UserEntity)
    await users.findOneBy({ email: 'site@example.com' }) // repository call site
    await dataSource.query('SELECT 42 AS answer') // raw call site

    const [viaRepository] = await sent(
      agent,
      (e) => e['db.query.parameters']?.[0 as never] === 'site@example.com',
    )
    expect(viaRepository.stack?.[0]).toMatchObject({
      file: thisFile,
      line: lineOf('// repository call site'),
    })
    const [raw] = await sent(agent, (e) => e['db.query.text'] === 'SELECT 42 AS answer')
    expect(raw.stack?.[0]).toMatchObject({ file: thisFile, line: lineOf('// raw call site') })
    // Only the app's frames are sent: nothing from node_modules or the agent itself.
    for (const frame of raw.stack ?? []) {
      expect(frame.file).not.toMatch(/node_modules|agents\/node\/src/)
    }
  })

  it('records queries when instrumented after initialize()', async () => {
    const { agent, dataSource } = await startInstrumented('after initialize', 'late-app')
    await dataSource.getRepository(UserEntity).count()
    const [count] = await sent(agent, (e) => /^SELECT COUNT/.test(e['db.query.text']))
    expect(count['db.response.returned_rows']).toBe(1)
    expect(typeof count.connectionId).toBe('number')
    expect(count.stack?.[0]?.file).toBe(thisFile)
    await profiler.waitFor(() => profiler.hellos.some((h) => h.app.name === 'late-app'))
    const hello = profiler.hellos.find((h) => h.app.name === 'late-app')!
    expect(hello.orm?.name).toBe('typeorm')
    expect(hello['db.system.name']).toBe('sqlite')
  })

  it('records each query once when instrumented twice', async () => {
    const { agent, dataSource } = await startInstrumented('before initialize', 'twice-app')
    agent.instrumentTypeORM(dataSource)
    await dataSource.query('SELECT 7 AS once')
    await sent(agent, (e) => e['db.query.text'] === 'SELECT 7 AS once')
    await agent.flush()
    expect(profiler.events.filter((e) => e['db.query.text'] === 'SELECT 7 AS once')).toHaveLength(1)
  })

  it('carries contexts into TypeORM queries through awaits, without mixing concurrent ones', async () => {
    const { agent, dataSource } = await startInstrumented('before initialize', 'context-app')
    const users = dataSource.getRepository(UserEntity)
    const request = (route: string) =>
      agent.withContext(route, async () => {
        for (let i = 0; i < 3; i++) {
          await users.findOneBy({ name: `${route}#${i}` })
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 5))
        }
      })
    await Promise.all([request('GET /a'), request('GET /b')])

    const events = await sent(
      agent,
      (e) => String(e['db.query.parameters']?.[0 as never] ?? '').startsWith('GET /'),
      6,
    )
    for (const event of events) {
      const route = String(event['db.query.parameters']?.[0 as never]).split('#')[0]
      expect(event.context?.name).toBe(route)
    }
    const idsOf = (route: string) =>
      new Set(events.filter((e) => e.context?.name === route).map((e) => e.context?.id))
    expect(idsOf('GET /a').size).toBe(1)
    expect(idsOf('GET /b').size).toBe(1)
    expect([...idsOf('GET /a')][0]).not.toBe([...idsOf('GET /b')][0])
  })

  it('never lets the profiler being absent change what the app sees', async () => {
    const agent = startAgent({ url: 'ws://127.0.0.1:9/agent', appName: 'absent' })
    const dataSource = sqliteDataSource()
    agent.instrumentTypeORM(dataSource)
    await dataSource.initialize()
    cleanups.push(async () => {
      await agent.close()
      await dataSource.destroy()
    })
    const users = dataSource.getRepository(UserEntity)
    await users.save({ name: 'Offline', email: 'off@x' })
    expect(await users.findOneBy({ name: 'Offline' })).toMatchObject({ email: 'off@x' })
    await agent.flush()
    expect(agent.stats().connected).toBe(false)
    expect(agent.stats().queued).toBeGreaterThan(0)
  })
})

describe('reading TypeORM results and drivers', () => {
  it('counts rows from every shape a query runner returns', () => {
    expect(rowCount([{ id: 1 }, { id: 2 }])).toBe(2)
    // PostgreSQL UPDATE / DELETE: [rows, rowCount]
    expect(rowCount([[], 5])).toBe(5)
    // A structured QueryResult: records for reads, affected for writes.
    expect(rowCount({ records: [{}, {}, {}], affected: 3 })).toBe(3)
    expect(rowCount({ records: [], affected: 4 })).toBe(4)
    expect(rowCount({ records: [] })).toBe(0)
    // MySQL's OkPacket
    expect(rowCount({ affectedRows: 6, insertId: 0 })).toBe(6)
    // SQLite's bare lastInsertRowid says nothing about rows.
    expect(rowCount(17)).toBeUndefined()
    expect(rowCount(undefined)).toBeUndefined()
  })

  it('names the database system as OpenTelemetry does', () => {
    expect(dbSystemName('better-sqlite3')).toBe('sqlite')
    expect(dbSystemName('sqlite')).toBe('sqlite')
    expect(dbSystemName('postgres')).toBe('postgresql')
    expect(dbSystemName('mysql')).toBe('mysql')
    expect(dbSystemName('mariadb')).toBe('mariadb')
    expect(dbSystemName('mssql')).toBe('microsoft.sql_server')
    expect(dbSystemName(undefined)).toBeUndefined()
  })
})
