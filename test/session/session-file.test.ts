/**
 * Session files: saving (atomic, checked, findings worked out), loading (streamed, validated,
 * all-or-nothing, any layout), migration from the pre-release shape, and every kind of bad
 * file with the exact error and where it is.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_ANALYSIS_SETTINGS, type Finding } from '../../src/shared/analysis'
import type { AppInfo, QueryRecord } from '../../src/shared/domain'
import { v0, v1 } from '../../src/main/session/format'
import { isValidQuery } from '../../src/main/session/format/query-check'
import {
  loadSessionFile,
  readSessionFile,
  SessionFileError,
  writeSessionFile,
  type LoadOptions,
  type SessionFileHeader,
  type SessionHeader,
} from '../../src/main/session/session-file'

const FIXTURES = join(__dirname, '..', 'fixtures', 'sessions')

const folders: string[] = []
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true })
})

function tempDir(): string {
  const folder = mkdtempSync(join(tmpdir(), 'fop-session-file-'))
  folders.push(folder)
  return folder
}

const T = 1_764_000_000_000

const shop: AppInfo = {
  id: 'app-1',
  name: 'shop',
  runtime: { name: 'node', version: '20.20.0' },
  orm: { name: 'typeorm', version: '0.3.20' },
  dbSystem: 'postgresql',
  pid: 4242,
  host: 'dev-box',
  agent: { name: 'fastorm-profiler-agent', version: '0.1.0' },
  connectedAt: T,
  disconnectedAt: T + 60_000,
  received: 5,
  droppedByAgent: 1,
}

const worker: AppInfo = {
  id: 'app-2',
  name: 'worker',
  runtime: { name: 'python', version: '3.12.1' },
  orm: { name: 'sqlalchemy', version: '2.0.36' },
  dbSystem: 'sqlite',
  connectedAt: T + 5,
  received: 1,
  droppedByAgent: 0,
}

/** Every field of a query set, with text that needs escaping. */
const fullQuery: QueryRecord = {
  id: 1,
  appId: 'app-1',
  sql: 'SELECT * FROM "users" WHERE "name" LIKE \'%ü%\' -- "quoted" \\ back\nAND 1 = 1',
  params: [1, 'naïve "quoted"', null, { nested: [1, 2.5, true] }, '\u2028 line sep 🙂'],
  startTime: T + 0.125,
  durationMs: 1.375,
  rows: 7,
  error: { type: '23505', message: 'duplicate key value violates unique constraint' },
  connectionId: 'conn-3',
  context: { id: 'req-9', name: 'GET /users/:id' },
  stack: [
    { function: 'findUser', file: '/app/src/users.ts', line: 42, column: 27 },
    { file: '/app/src/server.ts', line: 7 },
  ],
}

const bareQuery = (id: number, sql = 'SELECT 1'): QueryRecord => ({
  id,
  appId: 'app-1',
  sql,
  startTime: T + id,
  durationMs: 0.25,
})

const finding: Finding = {
  id: 'n-plus-one:abc:req-9',
  kind: 'n-plus-one',
  severity: 'warning',
  fingerprintId: 'abc',
  fingerprint: 'SELECT * FROM users WHERE id = ?',
  count: 6,
  totalMs: 4.5,
  scope: { kind: 'context', id: 'req-9', name: 'GET /users/:id', appId: 'app-1' },
  callSites: [{ function: 'findUser', file: '/app/src/users.ts', line: 42, column: 27 }],
  sourceQueryId: 1,
  sourceSql: 'SELECT * FROM orders',
  queryIds: [2, 3, 4, 5, 6, 7],
  firstSeen: T + 2,
  lastSeen: T + 7,
  suggestion: 'Load the users with the orders.',
}

const fullHeader: Required<SessionFileHeader> = {
  session: {
    id: 'session-1',
    name: 'Checkout',
    note: 'slow after the deploy',
    startedAt: T,
    endedAt: T + 60_000,
    status: 'recovered',
  },
  apps: [shop, worker],
  counters: { received: 7, stored: 6, evicted: 1, rejected: 2, droppedByAgents: 1 },
  settings: { ...DEFAULT_ANALYSIS_SETTINGS, nPlusOneThreshold: 3, slowQueryMs: 20 },
  findings: [finding],
  insights: [
    {
      kind: 'recurring-n-plus-one',
      fingerprintId: 'def',
      fingerprint: 'SELECT * FROM carts WHERE id = ?',
      contexts: 12,
      medianRepeats: 3,
      totalMs: 40,
      callSites: [{ file: '/app/src/cart.ts', line: 3 }],
      suggestion: 'Fetch the carts once per request.',
    },
  ],
  health: { status: 'WARNING', checks: [{ rule: 'slow-rate', level: 'WARNING' }] },
  metrics: [
    { time: T + 1000, kind: 'host', attributes: { cpu: 0.42, memoryUsed: 1_234_567 } },
    { time: T + 1000, kind: 'pool', appId: 'app-1', attributes: { size: 10, idle: 3 } },
  ],
}

const minimalHeader: SessionFileHeader = {
  session: { id: 's', startedAt: T, endedAt: T + 10 },
  apps: [shop],
  counters: { received: 3, stored: 3, evicted: 0, rejected: 0, droppedByAgents: 0 },
}

/** Six lookups of one shape in one request: an N+1 at the default threshold (5). */
function nPlusOneQueries(): QueryRecord[] {
  const context = { id: 'req-1', name: 'GET /orders' }
  return [
    { ...bareQuery(1, 'SELECT * FROM orders WHERE status = $1'), params: ['open'], context },
    ...Array.from({ length: 6 }, (_, i) => ({
      ...bareQuery(i + 2, 'SELECT * FROM users WHERE id = $1'),
      params: [100 + i],
      context,
    })),
  ]
}

async function saved(
  queries: Iterable<QueryRecord> | AsyncIterable<QueryRecord>,
  header = fullHeader as SessionFileHeader,
) {
  const file = join(tempDir(), 'session.json')
  await writeSessionFile(file, header, queries)
  return file
}

/** A sink that stages batches and publishes them on commit, recording every call. */
function stagingSink() {
  const calls: string[] = []
  let staged: QueryRecord[] = []
  const sink = {
    calls,
    committed: [] as QueryRecord[],
    header: undefined as SessionHeader | undefined,
    begin() {
      calls.push('begin')
    },
    queries(batch: QueryRecord[]) {
      calls.push('queries')
      staged.push(...batch)
    },
    commit(header: SessionHeader) {
      calls.push('commit')
      sink.committed = staged
      sink.header = header
    },
    rollback() {
      calls.push('rollback')
      staged = []
    },
  }
  return sink
}

async function failure(path: string, options: LoadOptions = {}): Promise<SessionFileError> {
  try {
    await loadSessionFile(path, options)
  } catch (error) {
    expect(error).toBeInstanceOf(SessionFileError)
    return error as SessionFileError
  }
  throw new Error(`${path} loaded`)
}

describe('saving and loading a session file', () => {
  it('keeps every field of the session, apps, queries, settings, findings, health and metrics', async () => {
    const queries = [fullQuery, bareQuery(2), { ...bareQuery(3), appId: 'app-2', rows: 0 }]
    const file = await saved(queries)
    const loaded = await readSessionFile(file)
    expect(loaded).toEqual({
      format: 'fastorm-profiler-session',
      version: 1,
      ...fullHeader,
      queries,
    })
  })

  it('writes the format name and version first, one query per line, and a file only its owner reads', async () => {
    const file = await saved([fullQuery, bareQuery(2)])
    const text = readFileSync(file, 'utf8')
    expect(text.startsWith('{\n  "format": "fastorm-profiler-session",\n  "version": 1,\n')).toBe(
      true,
    )
    const lines = text.split('\n')
    const first = lines.findIndex((line) => line === '  "queries": [')
    expect(JSON.parse(lines[first + 1]!.replace(/,$/, ''))).toEqual(fullQuery)
    expect(JSON.parse(lines[first + 2]!)).toEqual(bareQuery(2))
    expect(lines[first + 3]).toBe('  ],')
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600)
  })

  it('writes only the format’s fields of a query, whatever else the object carries', async () => {
    const extra = { ...bareQuery(1), internal: 42, stack: [{ file: 'a.ts', line: 1, extra: 'x' }] }
    const file = await saved([extra as QueryRecord], minimalHeader)
    expect((await readSessionFile(file)).queries).toEqual([
      { ...bareQuery(1), stack: [{ file: 'a.ts', line: 1 }] },
    ])
  })

  it('works out the findings with the given settings when the caller passes none', async () => {
    const queries = nPlusOneQueries()
    const fromArray = await readSessionFile(await saved(queries, minimalHeader))
    expect(fromArray.settings).toEqual(DEFAULT_ANALYSIS_SETTINGS)
    expect(fromArray.findings).toHaveLength(1)
    expect(fromArray.findings[0]).toMatchObject({
      kind: 'n-plus-one',
      count: 6,
      sourceQueryId: 1,
      sourceSql: 'SELECT * FROM orders WHERE status = $1',
      queryIds: [2, 3, 4, 5, 6, 7],
    })
    // Streamed past (a generator, as the store exports), the same findings come out.
    function* streamed() {
      yield* queries
    }
    const fromStream = await readSessionFile(await saved(streamed(), minimalHeader))
    expect(fromStream.findings).toEqual(fromArray.findings)

    const strict = {
      ...minimalHeader,
      settings: { ...DEFAULT_ANALYSIS_SETTINGS, nPlusOneThreshold: 7 },
    }
    const none = await readSessionFile(await saved(queries, strict))
    expect(none.findings).toEqual([])
    expect(none.settings.nPlusOneThreshold).toBe(7)
  })

  it('takes queries from an async iterable', async () => {
    async function* pages() {
      yield bareQuery(1)
      yield bareQuery(2)
    }
    const loaded = await readSessionFile(await saved(pages(), minimalHeader))
    expect(loaded.queries).toEqual([bareQuery(1), bareQuery(2)])
  })

  it('refuses to save an invalid query and leaves the previous file and no temp file', async () => {
    const folder = tempDir()
    const file = join(folder, 'session.json')
    await writeSessionFile(file, minimalHeader, [bareQuery(1)])
    const before = readFileSync(file, 'utf8')
    const bad = { ...bareQuery(2), durationMs: Number.NaN }
    await expect(writeSessionFile(file, minimalHeader, [bareQuery(1), bad])).rejects.toThrow(
      `${file}: cannot write: queries[1]: durationMs: expected number, received NaN (queries[1].durationMs)`,
    )
    await expect(
      writeSessionFile(file, minimalHeader, [bareQuery(2), bareQuery(2)]),
    ).rejects.toThrow(
      `${file}: cannot write: queries[1]: id 2 does not follow 2 (ids must increase) (queries[1].id)`,
    )
    const badHeader = { ...minimalHeader, session: { id: '', startedAt: T, endedAt: T } }
    await expect(writeSessionFile(file, badHeader, [])).rejects.toThrow(
      `${file}: cannot write: session: id: Too small: expected string to have >=1 characters (session.id)`,
    )
    expect(readFileSync(file, 'utf8')).toBe(before)
    expect(readdirSync(folder)).toEqual(['session.json'])
  })

  it('says why it cannot write into a folder that does not exist', async () => {
    const file = join(tempDir(), 'missing', 'x.json')
    await expect(writeSessionFile(file, minimalHeader, [])).rejects.toThrow(
      new RegExp(`^${file}: cannot write: ENOENT`),
    )
  })
})

describe('loading streams', () => {
  it('feeds a 200,000-query file to the sink in batches as it reads, with progress, yielding to the event loop', async () => {
    const count = 200_000
    const stack = [{ function: 'load', file: '/app/src/load.ts', line: 9, column: 2 }]
    function* queries() {
      for (let id = 1; id <= count; id++) {
        yield {
          ...bareQuery(
            id,
            'SELECT "User"."id", "User"."email" FROM "user" "User" WHERE "User"."id" = $1',
          ),
          params: [id],
          context: { id: `req-${id >> 3}` },
          stack,
        }
      }
    }
    const file = await saved(queries(), { ...minimalHeader, findings: [], insights: [] })
    const size = statSync(file).size
    expect(size).toBeGreaterThan(30_000_000)

    const progress: { bytesRead: number; queries: number }[] = []
    const batches: { size: number; bytesReadBefore: number }[] = []
    let ticks = 0
    const ticker = setInterval(() => ticks++, 1)
    let delivered = 0
    let lastId = 0
    const result = await loadSessionFile(file, {
      chunkBytes: 256 * 1024,
      onProgress: ({ bytesRead, totalBytes, queries: seen }) => {
        expect(totalBytes).toBe(size)
        progress.push({ bytesRead, queries: seen })
      },
      sink: {
        queries(batch) {
          batches.push({ size: batch.length, bytesReadBefore: progress.at(-1)?.bytesRead ?? 0 })
          expect(batch[0]!.id).toBe(lastId + 1)
          lastId = batch.at(-1)!.id
          delivered += batch.length
        },
      },
    })
    clearInterval(ticker)

    expect(result).toMatchObject({ queries: count, bytes: size, fileVersion: 1, passes: 1 })
    expect(delivered).toBe(count)
    // One progress report per chunk read, each further on, the last at the end.
    expect(progress.length).toBeGreaterThanOrEqual(Math.floor(size / (256 * 1024)))
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.bytesRead).toBeGreaterThan(progress[i - 1]!.bytesRead)
      expect(progress[i]!.queries).toBeGreaterThanOrEqual(progress[i - 1]!.queries)
    }
    expect(progress.at(-1)).toEqual({ bytesRead: size, queries: count })
    // The queries came a chunk's worth at a time while the file was being read, not at the end.
    expect(batches.length).toBeGreaterThan(100)
    expect(Math.max(...batches.map((b) => b.size))).toBeLessThan(2_000)
    expect(batches.filter((b) => b.bytesReadBefore < size / 2).length).toBeGreaterThan(50)
    // Timers ran while it loaded.
    expect(ticks).toBeGreaterThan(progress.length / 2)
  })

  it('reads the same session from any chunk size, minified, pretty-printed or with keys sorted', async () => {
    const queries = [fullQuery, bareQuery(2), { ...bareQuery(3), params: { a: '},{"id":9}' } }]
    const file = await saved(queries)
    const expected = await readSessionFile(file)
    const document = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    const folder = tempDir()
    const variants = {
      minified: JSON.stringify(document),
      pretty: JSON.stringify(document, null, 2),
      tabs: JSON.stringify(document, null, '\t').replace(/\n/g, '\r\n'),
      sorted: JSON.stringify(sortKeys(document), null, 1),
      bom: `\ufeff${JSON.stringify(document)}`,
    }
    for (const [name, text] of Object.entries(variants)) {
      const path = join(folder, `${name}.json`)
      writeFileSync(path, text)
      for (const chunkBytes of [1, 2, 3, 7, 64, 4096]) {
        expect(await readSessionFile(path, { chunkBytes }), `${name}, ${chunkBytes}`).toEqual(
          expected,
        )
      }
    }
    // Keys sorted put "queries" before "version": read twice, the queries in the second pass.
    const sorted = await loadSessionFile(join(folder, 'sorted.json'), { sink: { queries() {} } })
    expect(sorted.passes).toBe(2)
  })

  it('in validate-first mode gives the sink nothing until the whole file checked out', async () => {
    const good = await saved([bareQuery(1), bareQuery(2)], minimalHeader)
    const sink = stagingSink()
    const result = await loadSessionFile(good, { sink, mode: 'validate-first' })
    expect(result.passes).toBe(2)
    expect(sink.calls).toEqual(['begin', 'queries', 'commit'])
    expect(sink.committed).toEqual([bareQuery(1), bareQuery(2)])

    const bad = join(tempDir(), 'bad.json')
    writeFileSync(
      bad,
      readFileSync(good, 'utf8').replace('"durationMs":0.25}\n', '"durationMs":-1}\n'),
    )
    const refused = stagingSink()
    await failure(bad, { sink: refused, mode: 'validate-first' })
    expect(refused.calls).toEqual([])
  })

  it('rolls the sink back and rethrows when the sink itself fails', async () => {
    const file = await saved([bareQuery(1)], minimalHeader)
    const calls: string[] = []
    const broken = new Error('disk full')
    await expect(
      loadSessionFile(file, {
        sink: {
          queries() {
            throw broken
          },
          rollback(error) {
            calls.push(`rollback: ${(error as Error).message}`)
          },
        },
      }),
    ).rejects.toBe(broken)
    expect(calls).toEqual(['rollback: disk full'])
  })

  it('stops when asked to, and rolls the sink back', async () => {
    const file = await saved(
      Array.from({ length: 5000 }, (_, i) => bareQuery(i + 1)),
      minimalHeader,
    )
    const controller = new AbortController()
    const sink = stagingSink()
    const error = await failure(file, {
      sink,
      chunkBytes: 4096,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    })
    expect(error.message).toBe(`${file}: loading was cancelled`)
    expect(sink.calls).toEqual(['begin', 'queries', 'rollback'])
    expect(sink.committed).toEqual([])
  })
})

describe('older versions', () => {
  // fixtures/sessions/pre-release.json: written by the pre-release writer (session-file.ts as
  // of ce3445b) from a TypeORM-shaped request with an N+1, then formatted by Prettier.
  it('reads a file of the pre-release writer (stamped version 1) as version 0 and derives its findings', async () => {
    const file = join(FIXTURES, 'pre-release.json')
    const sink = stagingSink()
    const result = await loadSessionFile(file, { sink })
    expect(result).toMatchObject({ fileVersion: 0, derived: ['findings', 'insights'] })
    const header = sink.header!
    expect(header.version).toBe(1)
    expect(header.session).toEqual({
      id: '5f1c0c8e-2d59-4b7e-9d8c-0a6a1f0b9e21',
      startedAt: 1764000000000,
      endedAt: 1764000010000,
    })
    expect(header.settings).toEqual({ ...DEFAULT_ANALYSIS_SETTINGS, ...v0.PRE_RELEASE_SETTINGS })
    expect(header.health).toBeNull()
    expect(header.metrics).toEqual([])
    expect(header.findings).toHaveLength(1)
    expect(header.findings[0]).toMatchObject({
      kind: 'n-plus-one',
      count: 6,
      sourceQueryId: 1,
      scope: { id: 'req-1', name: 'GET /orders' },
      queryIds: [2, 3, 4, 5, 6, 7],
    })
    expect(header.findings[0]!.suggestion).toMatch(/TypeORM|relations|join/i)
    expect(sink.committed).toHaveLength(8)
    expect(sink.committed[7]!.error).toEqual({
      type: '42P01',
      message: 'relation "audit" does not exist',
    })
  })

  it('reads "version": 0 the same way, and saves it again as version 1', async () => {
    const folder = tempDir()
    const old = join(folder, 'v0.json')
    writeFileSync(
      old,
      readFileSync(join(FIXTURES, 'pre-release.json'), 'utf8').replace(
        '"version": 1',
        '"version": 0',
      ),
    )
    const loaded = await readSessionFile(old)
    expect(loaded.findings).toHaveLength(1)
    const again = join(folder, 'v1.json')
    await writeSessionFile(again, loaded, loaded.queries)
    const reloaded = await loadSessionFile(again, { sink: { queries() {} } })
    expect(reloaded).toMatchObject({ fileVersion: 1, derived: [] })
    expect(await readSessionFile(again)).toEqual(loaded)
  })

  it('migrates with up(): the v0 envelope gains the v1 fields', () => {
    const old: v0.EnvelopeV0 = {
      format: 'fastorm-profiler-session',
      version: 0,
      session: { id: 's', startedAt: 1, endedAt: 2 },
      apps: [],
      counters: { received: 0, stored: 0, evicted: 0, rejected: 0, droppedByAgents: 0 },
    }
    expect(v1.up(old)).toEqual({
      ...old,
      version: 1,
      settings: v0.PRE_RELEASE_SETTINGS,
      findings: [],
      insights: [],
      health: null,
      metrics: [],
    })
  })
})

describe('bad files are refused with the problem and where, and change nothing', () => {
  const header = {
    format: 'fastorm-profiler-session',
    version: 1,
    session: { id: 's', startedAt: T, endedAt: T + 1 },
    apps: [],
    counters: { received: 2, stored: 2, evicted: 0, rejected: 0, droppedByAgents: 0 },
    settings: DEFAULT_ANALYSIS_SETTINGS,
  }
  const tail = { findings: [], insights: [], health: null, metrics: [] }
  /** A document in the writer's layout: envelope, then one query per line. */
  const layout = (envelope: object, queries: string[], after: object = tail) => {
    const head = JSON.stringify(envelope, null, 2).slice(0, -2)
    const rest = JSON.stringify(after, null, 2).slice(1)
    return `${head},\n  "queries": [\n    ${queries.join(',\n    ')}\n  ],${rest}`
  }
  const q = (id: number, extra = '') =>
    `{"id":${id},"appId":"a","sql":"SELECT 1","startTime":${T + id},"durationMs":0.5${extra}}`
  const good = layout(header, [q(1), q(2), q(3)])

  const cases: {
    what: string
    text: string | (() => string)
    message: string
    path?: string
    /** The byte offset: a number, the end of the file, or found in the text. */
    at?: number | 'end' | ((text: string) => number)
    options?: LoadOptions
  }[] = [
    {
      what: 'a truncated file',
      text: good.slice(0, good.indexOf(q(2)) + 20),
      message: 'not valid JSON: the file ends inside queries[1] (truncated?)',
      path: 'queries[1]',
      at: 'end',
    },
    {
      what: 'a file cut between two queries',
      text: good.slice(0, good.indexOf(q(2))),
      message:
        'not valid JSON: the file ends inside the "queries" array, after 1 element (truncated?)',
      path: 'queries',
      at: 'end',
    },
    {
      what: 'a file that is not JSON',
      text: 'SQLite format 3\u0000',
      message: 'not valid JSON: expected a JSON object ("{"), found "S"',
      at: 0,
    },
    {
      what: 'JSON that is not an object',
      text: '[1, 2]',
      message: 'not valid JSON: expected a JSON object ("{"), found "["',
      at: 0,
    },
    { what: 'an empty file', text: '', message: 'not valid JSON: the file is empty', at: 0 },
    {
      what: 'a file of another format',
      text: '{"format": "har", "version": 1, "log": {}}',
      message:
        'not a FastORM Profiler session (format is "har", expected "fastorm-profiler-session")',
      path: 'format',
      at: 11,
    },
    {
      what: 'a file without a format name',
      text: JSON.stringify({ ...header, format: undefined, queries: [], ...tail }),
      message: 'not a FastORM Profiler session (no "format" field)',
      at: 'end',
    },
    {
      what: 'a newer version',
      text: layout({ ...header, version: 2 }, [q(1)]),
      message:
        'session format version 2 is newer than this profiler reads (1); update FastORM Profiler',
      path: 'version',
      at: (text) => text.indexOf('"version": ') + 11,
    },
    {
      what: 'a version that is not a number',
      text: layout({ ...header, version: '1' }, [q(1)]),
      message: 'the version must be a whole number, found "1"',
      path: 'version',
      at: (text) => text.indexOf('"version": ') + 11,
    },
    {
      what: 'a missing field',
      text: layout({ ...header, settings: undefined }, [q(1)]),
      message: 'missing field "settings"',
      at: 'end',
    },
    {
      what: 'a field version 0 does not have',
      text: layout({ ...header, version: 0 }, [q(1)]),
      message: '"settings" is not a field of version 0',
      path: 'settings',
      at: (text) => text.indexOf('"settings"'),
    },
    {
      what: 'an unknown field',
      text: layout(header, [q(1)], { ...tail, comment: 'hi' }),
      message: 'unknown field "comment"',
      path: 'comment',
      at: (text) => text.indexOf('"comment"'),
    },
    {
      what: 'a field given twice',
      text: good.replace('"apps": [],', '"apps": [],\n  "apps": [],'),
      message: 'the field "apps" appears twice',
      path: 'apps',
      at: (text) => text.lastIndexOf('"apps"'),
    },
    {
      what: 'a wrongly typed query field',
      text: layout(header, [q(1), q(2).replace('"durationMs":0.5', '"durationMs":"fast"')]),
      message: 'queries[1]: durationMs: expected number, received string',
      path: 'queries[1].durationMs',
      at: good.indexOf(q(2)),
    },
    {
      what: 'a query missing a field',
      text: layout(header, [q(1), q(2).replace('"appId":"a",', '')]),
      message: 'queries[1]: appId: expected string, received undefined',
      path: 'queries[1].appId',
      at: good.indexOf(q(2)),
    },
    {
      what: 'a query with a field the format does not have',
      text: layout(header, [q(1, ',"cost":3')]),
      message: 'queries[0]: Unrecognized key: "cost"',
      path: 'queries[0]',
      at: good.indexOf(q(1)),
    },
    {
      what: 'a wrongly typed field of a query’s stack',
      text: layout(header, [q(1, ',"stack":[{"file":"a.ts","line":-1}]')]),
      message: 'queries[0]: stack[0].line: Too small: expected number to be >=0',
      path: 'queries[0].stack[0].line',
      at: good.indexOf(q(1)),
    },
    {
      what: 'query ids that do not increase',
      text: layout(header, [q(1), q(1)]),
      message: 'queries[1]: id 1 does not follow 1 (ids must increase)',
      path: 'queries[1].id',
      at: (text) => text.lastIndexOf(q(1)),
    },
    {
      what: 'a wrongly typed envelope field',
      text: layout({ ...header, session: { id: 's', startedAt: 'today', endedAt: T } }, [q(1)]),
      message: 'session: startedAt: expected number, received string',
      path: 'session.startedAt',
      at: (text) => text.indexOf('"session": ') + 11,
    },
    {
      what: 'a bad finding',
      text: layout(header, [q(1)], { ...tail, findings: [{ ...finding, kind: 'slow' }] }),
      message:
        'findings[0]: kind: Invalid option: expected one of "n-plus-one"|"duplicate"|"write-loop"',
      path: 'findings[0].kind',
      at: (text) => text.indexOf('{', text.indexOf('"findings"')),
    },
    {
      what: 'two queries without a comma between them',
      text: good.replace(`${q(1)},`, q(1)),
      message: 'not valid JSON: expected "," or "]" after queries[0], found "{"',
      path: 'queries',
      at: good.indexOf(q(2)) - 1,
    },
    {
      what: 'a query that is not valid JSON',
      text: good.replace(q(2), q(2).replace('0.5', '.5')),
      message: "not valid JSON: unexpected token '.'",
      path: 'queries[1]',
      at: good.indexOf(q(2)) + q(2).indexOf('0.5'),
    },
    {
      what: 'data after the end',
      text: `${good}\n{}`,
      message: 'not valid JSON: unexpected data after the end of the object',
      at: good.length + 1,
    },
    {
      what: 'a string over the limit',
      text: layout(header, [q(1), q(2).replace('SELECT 1', `SELECT '${'x'.repeat(2000)}'`)]),
      options: { limits: { maxStringBytes: 1024 } },
      message: 'a string longer than the limit of 1 KiB',
      path: 'queries[1]',
      at: good.indexOf(q(2)) + q(2).indexOf('"SELECT'),
    },
    {
      what: 'a value over the limit',
      text: layout(header, [q(1), q(2, `,"params":[${'1,'.repeat(3000)}1]`)]),
      options: { limits: { maxValueBytes: 4096 } },
      message: 'a value larger than the limit of 4 KiB',
      path: 'queries[1]',
      at: good.indexOf(q(2)),
    },
    {
      what: 'more queries than the limit',
      text: good,
      options: { limits: { maxQueries: 2 } },
      message: 'more queries than the limit of 2',
      path: 'queries[2]',
      at: good.indexOf(q(3)),
    },
  ]

  for (const { what, text, message, path, at, options } of cases) {
    it(`names the problem in ${what}`, async () => {
      const file = join(tempDir(), 'bad.json')
      const content = typeof text === 'function' ? text() : text
      writeFileSync(file, content)
      const size = Buffer.byteLength(content)
      for (const mode of ['transaction', 'validate-first'] as const) {
        for (const chunkBytes of [undefined, 5]) {
          const sink = stagingSink()
          const error = await failure(file, { ...options, sink, mode, chunkBytes })
          expect(error.problem).toBe(message)
          expect(error.path ?? '').toBe(path ?? '')
          if (at !== undefined) {
            const offset = at === 'end' ? size : typeof at === 'function' ? at(content) : at
            expect(error.offset).toBe(offset)
          }
          const where = [error.path, error.offset === undefined ? '' : `at byte ${error.offset}`]
            .filter(Boolean)
            .join(', ')
          expect(error.message).toBe(`${file}: ${message}${where ? ` (${where})` : ''}`)
          // Nothing was kept: either the sink never heard of it, or it rolled back.
          expect(sink.committed).toEqual([])
          expect(sink.calls).not.toContain('commit')
          if (sink.calls.includes('begin')) expect(sink.calls.at(-1)).toBe('rollback')
          if (mode === 'validate-first') expect(sink.calls).toEqual([])
        }
      }
    })
  }

  it('names a file that does not exist', async () => {
    const file = join(tempDir(), 'missing.json')
    const error = await failure(file)
    expect(error.message).toMatch(/: cannot read: ENOENT: no such file or directory/)
  })

  it('accepts the well-formed document all these were made from', async () => {
    const file = join(tempDir(), 'good.json')
    writeFileSync(file, good)
    expect((await readSessionFile(file)).queries).toHaveLength(3)
  })
})

describe('the fast query check', () => {
  const valid: unknown[] = [
    fullQuery,
    bareQuery(1),
    { ...bareQuery(1), params: {} },
    { ...bareQuery(1), params: [] },
    { ...bareQuery(1), rows: 0, error: { message: '' }, context: { id: '' }, stack: [] },
    { ...bareQuery(Number.MAX_SAFE_INTEGER), startTime: 0, durationMs: 0 },
  ]
  const invalid: unknown[] = [
    null,
    [],
    'query',
    {},
    { ...bareQuery(1), id: 0 },
    { ...bareQuery(1), id: 1.5 },
    { ...bareQuery(1), id: 2 ** 53 },
    { ...bareQuery(1), id: '1' },
    { ...bareQuery(1), appId: 1 },
    { ...bareQuery(1), sql: null },
    { ...bareQuery(1), startTime: -1 },
    { ...bareQuery(1), durationMs: Number.POSITIVE_INFINITY },
    { ...bareQuery(1), params: 'a' },
    { ...bareQuery(1), params: null },
    { ...bareQuery(1), rows: -1 },
    { ...bareQuery(1), rows: 1.5 },
    { ...bareQuery(1), error: 'boom' },
    { ...bareQuery(1), error: { type: '1' } },
    { ...bareQuery(1), error: { message: 'x', code: 1 } },
    { ...bareQuery(1), connectionId: 3 },
    { ...bareQuery(1), context: { name: 'x' } },
    { ...bareQuery(1), context: { id: 'x', name: 1 } },
    { ...bareQuery(1), stack: {} },
    { ...bareQuery(1), stack: [{ line: 1 }] },
    { ...bareQuery(1), stack: [{ file: 'a', column: -1 }] },
    { ...bareQuery(1), stack: [{ file: 'a', extra: true }] },
    { ...bareQuery(1), extra: true },
    JSON.parse('{"id":1,"appId":"a","sql":"","startTime":0,"durationMs":0,"__proto__":{}}'),
  ]
  it('accepts exactly what the zod schema accepts', () => {
    for (const query of valid) {
      expect(v1.querySchema.safeParse(query).success, JSON.stringify(query)).toBe(true)
      expect(isValidQuery(query), JSON.stringify(query)).toBe(true)
    }
    for (const query of invalid) {
      expect(v1.querySchema.safeParse(query).success, JSON.stringify(query)).toBe(false)
      expect(isValidQuery(query), JSON.stringify(query)).toBe(false)
    }
  })
})

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  )
}
