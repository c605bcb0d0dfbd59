/**
 * The TypeORM instrumentation against real database servers: PostgreSQL (`pg`) and MariaDB
 * (`mysql2`), on the servers the machine runs (127.0.0.1, database `test`). Each test uses
 * a table of its own and drops it after. Where a server is not reachable the test skips,
 * saying so; CI sets FASTORM_TEST_REQUIRE_DATABASES=1, and there a missing server fails.
 */
import { createConnection } from 'node:net'
import { DataSource, EntitySchema } from 'typeorm'
import { afterAll, afterEach, beforeAll, describe, expect, it, type TestContext } from 'vitest'
import { startAgent, type Agent } from 'fastorm-profiler-agent'
import type { QueryEvent } from '../../../src/shared/protocol/v1'
import { RecordingProfiler } from './recording-profiler'

const POSTGRES_URL =
  process.env.FASTORM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const MARIADB_URL = process.env.FASTORM_TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/test'
const REQUIRED = process.env.FASTORM_TEST_REQUIRE_DATABASES === '1'

interface Account {
  id: number
  name: string
  email: string
}

/** A table name no other run shares, so parallel runs and other projects are left alone. */
const TABLE = `fop_agent_accounts_${process.pid}`

const AccountEntity = new EntitySchema<Account>({
  name: 'Account',
  tableName: TABLE,
  columns: {
    id: { type: Number, primary: true, generated: true },
    name: { type: String },
    email: { type: String },
  },
})

const PG_UPDATE = `UPDATE ${TABLE} SET email = $1 WHERE name = $2`
const MARIA_UPDATE = `UPDATE ${TABLE} SET email = ? WHERE name = ?`

let profiler: RecordingProfiler
const cleanups: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  profiler = await RecordingProfiler.start()
})

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

afterAll(async () => {
  await profiler.stop()
})

/** Whether something listens at the URL's host and port (half a second at most). */
function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port) })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

async function requireServer(context: TestContext, name: string, url: string): Promise<void> {
  if (await reachable(url)) return
  const why = `no ${name} server at ${new URL(url).host}: TypeORM on ${name} is not tested here`
  if (REQUIRED) throw new Error(why)
  context.skip(why)
}

async function instrumented(
  appName: string,
  options: ConstructorParameters<typeof DataSource>[0],
): Promise<{ agent: Agent; dataSource: DataSource }> {
  const agent = startAgent({ url: profiler.url, appName, flushIntervalMs: 20 })
  const dataSource = new DataSource(options)
  agent.instrumentTypeORM(dataSource)
  await dataSource.initialize()
  cleanups.push(async () => {
    await agent.close()
    await dataSource.query(`DROP TABLE IF EXISTS ${TABLE}`)
    await dataSource.destroy()
  })
  return { agent, dataSource }
}

async function sent(agent: Agent, match: (event: QueryEvent) => boolean): Promise<QueryEvent> {
  await agent.flush()
  await profiler.waitFor(() => profiler.events.some(match))
  return profiler.events.find(match)!
}

const fromApp = (appName: string) => profiler.hellos.find((h) => h.app.name === appName)

describe('TypeORM on real database servers', () => {
  it('records PostgreSQL queries with their parameters, rows and errors', async (context) => {
    await requireServer(context, 'PostgreSQL', POSTGRES_URL)
    const { agent, dataSource } = await instrumented('pg-app', {
      type: 'postgres',
      url: POSTGRES_URL,
      entities: [AccountEntity],
      synchronize: true,
    })
    await dataSource.getRepository(AccountEntity).save({ name: 'Pg', email: 'pg@x' })
    await dataSource.query(PG_UPDATE, ['pg2@x', 'Pg'])
    await expect(dataSource.query(`SELECT nope_pg FROM ${TABLE}`)).rejects.toThrow()

    const update = await sent(agent, (e) => e['db.query.text'] === PG_UPDATE)
    expect(update['db.query.parameters']).toEqual(['pg2@x', 'Pg'])
    expect(update['db.response.returned_rows']).toBe(1)
    const failed = await sent(agent, (e) => e['db.query.text'] === `SELECT nope_pg FROM ${TABLE}`)
    expect(failed.error?.message).toMatch(/nope_/)
    expect(fromApp('pg-app')?.['db.system.name']).toBe('postgresql')
  })

  it('records MariaDB queries with their parameters, rows and errors', async (context) => {
    await requireServer(context, 'MariaDB', MARIADB_URL)
    const { agent, dataSource } = await instrumented('mariadb-app', {
      type: 'mariadb',
      url: MARIADB_URL,
      entities: [AccountEntity],
      synchronize: true,
    })
    await dataSource.getRepository(AccountEntity).save({ name: 'Maria', email: 'm@x' })
    await dataSource.query(MARIA_UPDATE, ['m2@x', 'Maria'])
    await expect(dataSource.query(`SELECT nope_maria FROM ${TABLE}`)).rejects.toThrow()

    const update = await sent(agent, (e) => e['db.query.text'] === MARIA_UPDATE)
    expect(update['db.query.parameters']).toEqual(['m2@x', 'Maria'])
    expect(update['db.response.returned_rows']).toBe(1)
    const failed = await sent(
      agent,
      (e) => e['db.query.text'] === `SELECT nope_maria FROM ${TABLE}`,
    )
    expect(failed.error?.message).toMatch(/nope_/)
    expect(fromApp('mariadb-app')?.['db.system.name']).toBe('mariadb')
  })
})
