/**
 * The first end-to-end path, minus the UI: a real TypeORM app on a real SQLite file, with the
 * Node agent, talking to the real core over a real socket. Every field that arrives is checked.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DataSource, EntitySchema } from 'typeorm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAgent, type Agent } from 'fastorm-profiler-agent'
import { startCore, type Core } from '../../src/main/core/core'
import type { QueryRecord } from '../../src/shared/domain'
import { eventually } from '../helpers/agent-client'

interface Author {
  id: number
  name: string
}
const AuthorEntity = new EntitySchema<Author>({
  name: 'Author',
  tableName: 'author',
  columns: {
    id: { type: Number, primary: true, generated: true },
    name: { type: String },
  },
})

let dir: string
let core: Core
let agent: Agent
let dataSource: DataSource

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fop-typeorm-'))
  core = await startCore({ port: 0, dataDir: dir, uiDir: false })
  agent = startAgent({ url: core.agentUrl, token: core.token, appName: 'typeorm-integration' })
  dataSource = new DataSource({
    type: 'better-sqlite3',
    database: join(dir, 'app.sqlite'),
    entities: [AuthorEntity],
    synchronize: true,
  })
  agent.instrumentTypeORM(dataSource)
  await dataSource.initialize()
})

afterAll(async () => {
  await agent?.close()
  await dataSource?.destroy()
  await core?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Queries the core holds whose SQL matches, once the agent has flushed. */
async function received(
  predicate: (query: QueryRecord) => boolean,
  count = 1,
): Promise<QueryRecord[]> {
  await agent.flush()
  let found: QueryRecord[] = []
  await eventually(() => {
    found = [...core.profiler.queries()].filter(predicate)
    return found.length >= count
  })
  return found
}

describe('a TypeORM app with the agent', () => {
  it('introduces itself with its name, runtime, ORM and database system', async () => {
    await eventually(() =>
      core.profiler.appsList().some((app) => app.name === 'typeorm-integration'),
    )
    const app = core.profiler.appsList().find((a) => a.name === 'typeorm-integration')!
    expect(app.runtime).toMatchObject({ name: 'node', version: process.versions.node })
    expect(app.orm?.name).toBe('typeorm')
    expect(app.dbSystem).toBe('sqlite')
    expect(app.pid).toBe(process.pid)
  })

  it('sends each query with its SQL, params, real duration, rows and the call site in this file', async () => {
    const repository = dataSource.getRepository(AuthorEntity)
    await repository.save([{ name: 'Ada' }, { name: 'Grace' }])
    const before = Date.now()
    const authors = await dataSource.query('SELECT id, name FROM author WHERE name LIKE ?', ['%a%'])
    expect(authors.length).toBe(2)

    const [query] = await received((q) => q.sql === 'SELECT id, name FROM author WHERE name LIKE ?')
    expect(query!.params).toEqual(['%a%'])
    expect(query!.durationMs).toBeGreaterThan(0)
    expect(query!.startTime).toBeGreaterThanOrEqual(before - 5)
    expect(query!.startTime).toBeLessThanOrEqual(Date.now())
    expect(query!.rows).toBe(2)
    expect(query!.error).toBeUndefined()
    expect(query!.connectionId).toBeTruthy()
    const frame = query!.stack![0]!
    expect(frame.file).toContain('typeorm-agent.test.ts')
    expect(frame.line).toBeGreaterThan(0)
  })

  it('sends the queries of the repository API with their bound params', async () => {
    await dataSource.getRepository(AuthorEntity).findOneBy({ name: 'Grace' })
    const [query] = await received(
      (q) => q.sql.includes('FROM "author"') && JSON.stringify(q.params) === '["Grace"]',
    )
    expect(query!.sql).toMatch(/^SELECT .*"Author"\."name" = \?/)
    expect(query!.stack![0]!.file).toContain('typeorm-agent.test.ts')
  })

  it('sends a failed query with its error, and the app still gets the original error', async () => {
    await expect(dataSource.query('SELECT * FROM no_such_table')).rejects.toThrow(/no such table/)
    const [query] = await received((q) => q.sql === 'SELECT * FROM no_such_table')
    expect(query!.error?.message).toMatch(/no such table: no_such_table/)
    expect(query!.stack![0]!.file).toContain('typeorm-agent.test.ts')
  })

  it('carries the request context through awaits, and keeps concurrent contexts apart', async () => {
    const repository = dataSource.getRepository(AuthorEntity)
    await Promise.all(
      ['GET /a', 'GET /b'].map((name) =>
        agent.withContext(name, async () => {
          await repository.find()
          await new Promise((r) => setTimeout(r, 5))
          await dataSource.query(`SELECT '${name}' AS route`)
        }),
      ),
    )
    const queries = await received(
      (q) => q.context?.name === 'GET /a' || q.context?.name === 'GET /b',
      4,
    )
    const byContext = new Map<string, QueryRecord[]>()
    for (const q of queries)
      byContext.set(q.context!.name!, [...(byContext.get(q.context!.name!) ?? []), q])
    expect(byContext.get('GET /a')!.some((q) => q.sql === `SELECT 'GET /a' AS route`)).toBe(true)
    expect(byContext.get('GET /b')!.some((q) => q.sql === `SELECT 'GET /b' AS route`)).toBe(true)
    expect(byContext.get('GET /a')!.some((q) => q.sql.includes("'GET /b'"))).toBe(false)
    // Each request has its own context id.
    const ids = new Set(queries.map((q) => q.context!.id))
    expect(ids.size).toBe(2)
  })
})
