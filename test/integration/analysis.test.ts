/**
 * The analysis end to end: a real TypeORM app on a real SQLite file, the Node agent, the real
 * core over a real socket. Each scenario runs in its own request context (`withContext`),
 * and the findings are read through the API the renderer uses.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DataSource, EntitySchema } from 'typeorm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAgent, type Agent } from 'fastorm-profiler-agent'
import { startCore, type Core } from '../../src/main/core/core'
import type { Finding } from '../../src/shared/analysis'
import { eventually } from '../helpers/agent-client'

interface Author {
  id: number
  name: string
}
interface Book {
  id: number
  title: string
  authorId: number
}
const AuthorEntity = new EntitySchema<Author>({
  name: 'Author',
  tableName: 'author',
  columns: {
    id: { type: Number, primary: true, generated: true },
    name: { type: String },
  },
})
const BookEntity = new EntitySchema<Book>({
  name: 'Book',
  tableName: 'book',
  columns: {
    id: { type: Number, primary: true, generated: true },
    title: { type: String },
    authorId: { type: Number, name: 'author_id' },
  },
})

const thisFile = fileURLToPath(import.meta.url)
/** The line of this file that holds `marker`: where a query under test is issued. */
function lineOf(marker: string): number {
  const index = readFileSync(thisFile, 'utf8')
    .split('\n')
    .findIndex((line) => line.includes(marker) && !line.includes('lineOf('))
  return index + 1
}

let dir: string
let core: Core
let agent: Agent
let dataSource: DataSource

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fop-analysis-'))
  core = await startCore({ port: 0, dataDir: dir, uiDir: false })
  agent = startAgent({ url: core.agentUrl, token: core.token, appName: 'analysis-integration' })
  dataSource = new DataSource({
    type: 'better-sqlite3',
    database: join(dir, 'app.sqlite'),
    entities: [AuthorEntity, BookEntity],
    synchronize: true,
  })
  agent.instrumentTypeORM(dataSource)
  await dataSource.initialize()
  // Multi-row inserts: seeding is not a finding (a fresh file: authors get ids 1 to 8).
  await dataSource
    .getRepository(AuthorEntity)
    .insert(Array.from({ length: 8 }, (_, i) => ({ name: `Author ${i + 1}` })))
  await dataSource
    .getRepository(BookEntity)
    .insert(Array.from({ length: 8 }, (_, i) => ({ title: `Book ${i + 1}`, authorId: i + 1 })))
})

afterAll(async () => {
  await agent?.close()
  await dataSource?.destroy()
  await core?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Runs `work` in a request context named `name`; resolves with that context's findings. */
async function inRequest(name: string, work: () => Promise<unknown>): Promise<Finding[]> {
  await agent.withContext(name, work)
  await agent.flush()
  // The last query of the request has arrived once its context holds them all.
  let before = -1
  await eventually(() => {
    const now = core.profiler.session.lastId
    const settled = now === before
    before = now
    return settled && now > 0
  })
  const { findings } = await core.profiler.handlers['analysis.findings']()
  return findings.filter((finding) => finding.scope.name === name)
}

const authors = () => dataSource.getRepository(AuthorEntity)
const books = () => dataSource.getRepository(BookEntity)

describe('analysis of a TypeORM app through the agent', () => {
  it('finds exactly one N+1 for a lazy-loading loop, with its call site in this file and the books query as its source', async () => {
    const findings = await inRequest('GET /books', async () => {
      const list = await books().find({ order: { id: 'ASC' } })
      for (const book of list) {
        await authors().findOneBy({ id: book.authorId }) // N+1 call site
      }
    })
    expect(findings.map((f) => f.kind)).toEqual(['n-plus-one'])
    const [finding] = findings
    expect(finding!.count).toBe(8)
    expect(finding!.fingerprint).toMatch(/FROM "author" "Author" WHERE/)
    expect(finding!.sourceSql).toMatch(/FROM "book" "Book"/)
    expect(finding!.callSites[0]).toMatchObject({
      file: expect.stringContaining('analysis.test.ts'),
      line: lineOf('// N+1 call site'),
    })
    expect(finding!.suggestion).toContain('leftJoinAndSelect')
    expect(finding!.suggestion).toContain('In(ids)')

    const detail = await core.profiler.handlers['analysis.finding'](finding!.id)
    expect(detail!.queries).toHaveLength(8)
    const source = core.profiler.session.get(finding!.sourceQueryId!)!
    expect(source.sql).toBe(finding!.sourceSql)
    expect(source.context?.name).toBe('GET /books')
  })

  it('finds a duplicate for the same lookup twice in one request', async () => {
    const findings = await inRequest('GET /me', async () => {
      await authors().findOneBy({ name: 'Author 3' })
      await authors().findOneBy({ name: 'Author 3' }) // duplicate call site
    })
    expect(findings.map((f) => [f.kind, f.count])).toEqual([['duplicate', 2]])
    expect(findings[0]!.suggestion).toMatch(/memoise/)
  })

  it('finds a write loop for single inserts in a loop', async () => {
    const findings = await inRequest('POST /import', async () => {
      for (let i = 0; i < 6; i++) await authors().insert({ name: `Imported ${i}` })
    })
    expect(findings.map((f) => [f.kind, f.count])).toEqual([['write-loop', 6]])
    expect(findings[0]!.suggestion).toContain('repository.insert([...])')
  })

  it('finds nothing for a batch insert, pagination, or one lookup per request', async () => {
    expect(
      await inRequest('POST /import-batch', () =>
        authors().insert(Array.from({ length: 10 }, (_, i) => ({ name: `Batch ${i}` }))),
      ),
    ).toEqual([])
    expect(
      await inRequest('GET /books?all', async () => {
        for (let page = 0; page < 6; page++) await books().find({ skip: page * 2, take: 2 })
      }),
    ).toEqual([])
    for (let id = 1; id <= 6; id++) {
      expect(await inRequest(`GET /authors/${id}`, () => authors().findOneBy({ id }))).toEqual([])
    }
  })

  it('counts the findings in the summary the renderer polls', async () => {
    const summary = await core.profiler.handlers['analysis.summary']()
    expect(summary.findings).toEqual({ 'n-plus-one': 1, duplicate: 1, 'write-loop': 1 })
    expect(summary.fingerprints).toBeGreaterThan(3)
  })

  it('finds a write loop in a connection burst when save([...]) inserts row by row outside any request', async () => {
    // TypeORM's save() with an array sends one INSERT per entity (in a transaction).
    await books().save(Array.from({ length: 5 }, (_, i) => ({ title: `Saved ${i}`, authorId: 1 })))
    await agent.flush()
    let loops: Finding[] = []
    await eventually(() => {
      const { findings } = core.profiler.analyzer.findingsResult()
      loops = findings.filter((f) => f.scope.kind === 'connection-burst')
      return loops.length > 0
    })
    expect(loops.map((f) => [f.kind, f.count])).toEqual([['write-loop', 5]])
    expect(loops[0]!.fingerprint).toMatch(/^INSERT INTO "book"/)
    expect(loops[0]!.scope.id).toMatch(/^app-\d+:.+:\d+$/)
  })
})
