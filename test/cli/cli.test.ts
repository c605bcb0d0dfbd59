import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { run } from '../../src/main/cli/index'
import { connectRawAgent, eventually, hello, queryEvent } from '../helpers/agent-client'

const dir = mkdtempSync(join(tmpdir(), 'fop-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const TOKEN = 'cli-test-token-0123456789'

/** Captures what a command prints; `lines` grows while the command runs. */
function capture() {
  const out: string[] = []
  const err: string[] = []
  return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } }
}

describe('record and report', () => {
  it('records what an agent sends and reports it as text and JSON', async () => {
    const file = join(dir, 'session.json')
    const { out, io } = capture()
    const recording = run(
      [
        'record',
        '--out',
        file,
        '--port',
        '0',
        '--token',
        TOKEN,
        '--duration',
        '1.5',
        '--data-dir',
        dir,
      ],
      io,
    )
    await eventually(() => out.some((line) => line.includes('Agent URL')))
    const agentUrl = out
      .find((line) => line.includes('Agent URL'))!
      .split(/\s+/)
      .at(-1)!
    const agent = await connectRawAgent(agentUrl, { Authorization: `Bearer ${TOKEN}` })
    agent.send(hello('recorded-app'))
    await agent.waitFor((r) => r.type === 'welcome')
    agent.send({
      type: 'batch',
      events: [
        queryEvent('SELECT * FROM users WHERE id = $1', {
          'db.query.parameters': [42],
          'db.response.returned_rows': 1,
          context: { id: 'r1', name: 'GET /users/42' },
          stack: [{ file: '/app/users.ts', line: 10, column: 3, function: 'getUser' }],
          connectionId: 'c1',
        }),
        queryEvent('SELECT * FROM missing', {
          error: { type: '42P01', message: 'relation "missing" does not exist' },
        }),
      ],
    })
    await agent.close()
    expect(await recording).toBe(0)

    const saved = JSON.parse(readFileSync(file, 'utf8'))
    expect(saved).toMatchObject({ format: 'fastorm-profiler-session', version: 1 })
    expect(saved.apps[0].name).toBe('recorded-app')
    expect(saved.queries).toHaveLength(2)
    expect(saved.queries[0]).toMatchObject({
      sql: 'SELECT * FROM users WHERE id = $1',
      params: [42],
      rows: 1,
      connectionId: 'c1',
      context: { id: 'r1', name: 'GET /users/42' },
      stack: [{ file: '/app/users.ts', line: 10, column: 3, function: 'getUser' }],
    })
    expect(saved.queries[1].error.type).toBe('42P01')

    const json = capture()
    expect(await run(['report', file, '--format', 'json'], json.io)).toBe(0)
    const report = JSON.parse(json.out.join('\n'))
    expect(report.summary).toMatchObject({ queries: 2, failed: 1, apps: 1, contexts: 1 })
    expect(report.queries[0].callSite).toBe('/app/users.ts:10:3')
    expect(report.summary).toMatchObject({
      slow: 0,
      fingerprints: 2,
      findings: { nPlusOne: 0, duplicates: 0, writeLoops: 0 },
    })
    expect(report.fingerprints[0]).toMatchObject({ count: 1, p50Ms: expect.any(Number) })
    expect(report.failedQueries[0].error.type).toBe('42P01')

    const text = capture()
    expect(await run(['report', file], text.io)).toBe(0)
    const printed = text.out.join('\n')
    expect(printed).toContain('Queries: 2   Failed: 1')
    expect(printed).toContain('relation "missing" does not exist')
    expect(printed).toContain('at /app/users.ts:10:3')
  })

  it('writes an empty but valid session when nothing connected', async () => {
    const file = join(dir, 'empty.json')
    const { io } = capture()
    expect(
      await run(
        ['record', '--out', file, '--port', '0', '--duration', '0.2', '--data-dir', dir],
        io,
      ),
    ).toBe(0)
    const report = capture()
    expect(await run(['report', file, '--format', 'json'], report.io)).toBe(0)
    expect(JSON.parse(report.out.join('\n')).summary).toMatchObject({ queries: 0, failed: 0 })
  })
})

describe('report with analysis options', () => {
  /** A session of one request that looks up 3 products one by one, 2 ms each. */
  function smallLoopSession(): string {
    const file = join(dir, 'small-loop.json')
    const queries = [1, 2, 3].map((n) => ({
      id: n,
      appId: 'app-1',
      sql: 'SELECT * FROM products WHERE id = ?',
      params: [n],
      startTime: 1_800_000_000_000 + n * 3,
      durationMs: 2,
      context: { id: 'r1', name: 'GET /cart' },
      stack: [{ file: '/app/cart.ts', line: 12, column: 5 }],
    }))
    writeFileSync(
      file,
      JSON.stringify({
        format: 'fastorm-profiler-session',
        version: 1,
        session: { id: 's', startedAt: 1, endedAt: 2 },
        apps: [{ id: 'app-1', name: 'cart', connectedAt: 1, received: 3, droppedByAgent: 0 }],
        counters: { received: 3, stored: 3, evicted: 0, rejected: 0, droppedByAgents: 0 },
        queries,
      }),
    )
    return file
  }

  it('judges by --n-plus-one-threshold and --slow-ms', async () => {
    const file = smallLoopSession()
    const plain = capture()
    expect(await run(['report', file, '--format', 'json'], plain.io)).toBe(0)
    expect(JSON.parse(plain.out.join('\n')).summary).toMatchObject({
      slow: 0,
      findings: { nPlusOne: 0 },
    })

    const strict = capture()
    const args = ['report', file, '--format', 'json', '--n-plus-one-threshold', '3']
    expect(
      await run([...args, '--slow-ms', '1.5', '--recurring-min-contexts', '4'], strict.io),
    ).toBe(0)
    const report = JSON.parse(strict.out.join('\n'))
    expect(report.summary).toMatchObject({ slow: 3, findings: { nPlusOne: 1 } })
    expect(report.settings).toMatchObject({
      nPlusOneThreshold: 3,
      slowQueryMs: 1.5,
      recurringMinContexts: 4,
    })
    expect(report.findings[0].callSites[0]).toEqual({ file: '/app/cart.ts', line: 12, column: 5 })

    const text = capture()
    expect(await run(['report', file, '--n-plus-one-threshold', '3'], text.io)).toBe(0)
    const printed = text.out.join('\n')
    expect(printed).toContain('N+1 read ×3 in "GET /cart" (r1)')
    expect(printed).toContain('at /app/cart.ts:12:5')
    expect(printed).toContain('fix: One query per parent row loads the `products` rows by `id`')
  })
})

describe('bad usage and bad input exit with 2 and one line on stderr', () => {
  const cases: [string, string[], RegExp][] = [
    ['no command', [], /missing command/],
    ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/],
    ['record without --out', ['record'], /--out/],
    ['a port out of range', ['serve', '--port', '70000'], /--port must be/],
    ['an unknown option', ['serve', '--prot', '1'], /prot/],
    ['a short token', ['serve', '--token', 'abc'], /--token/],
    ['report without a file', ['report'], /exactly one/],
    ['report in an unknown format', ['report', 'x.json', '--format', 'xml'], /--format/],
    ['a missing session file', ['report', join(dir, 'nope.json')], /cannot read/],
    [
      'a duration that is not a number',
      ['record', '--out', join(dir, 'x.json'), '--duration', 'soon'],
      /--duration/,
    ],
    [
      'an N+1 threshold under 2',
      ['report', 'x.json', '--n-plus-one-threshold', '1'],
      /--n-plus-one-threshold must be a whole number from 2/,
    ],
    [
      'a fractional duplicate threshold',
      ['serve', '--duplicate-threshold', '2.5'],
      /--duplicate-threshold must be a whole number/,
    ],
    [
      'a recurring-insight minimum under 2',
      ['report', 'x.json', '--recurring-min-contexts', '1'],
      /--recurring-min-contexts must be a whole number from 2/,
    ],
    ['a slow threshold that is not a number', ['serve', '--slow-ms', 'fast'], /--slow-ms must be/],
    [
      'a zero burst gap',
      ['record', '--out', join(dir, 'x.json'), '--burst-gap-ms', '0'],
      /--burst-gap-ms/,
    ],
    [
      'an output folder that does not exist',
      ['record', '--out', join(dir, 'no', 'x.json')],
      /does not exist/,
    ],
  ]
  for (const [what, argv, message] of cases) {
    it(`for ${what}`, async () => {
      const { err, io } = capture()
      expect(await run(argv, io)).toBe(2)
      expect(err).toHaveLength(1)
      expect(err[0]).toMatch(message)
    })
  }

  const badFiles: [string, string, RegExp][] = [
    ['a file that is not JSON', 'not json at all', /not valid JSON/],
    [
      'a truncated file',
      '{"format":"fastorm-profiler-session","version":1,"queries":[',
      /not valid JSON/,
    ],
    ['a file of another format', '{"format":"har","version":1}', /not a FastORM Profiler session/],
    ['a newer version', '{"format":"fastorm-profiler-session","version":99}', /newer/],
    [
      'a query with a wrongly typed field',
      JSON.stringify({
        format: 'fastorm-profiler-session',
        version: 1,
        session: { id: 's', startedAt: 1, endedAt: 2 },
        apps: [],
        counters: { received: 1, stored: 1, evicted: 0, rejected: 0, droppedByAgents: 0 },
        queries: [{ id: 1, appId: 'a', sql: 'SELECT 1', startTime: 1, durationMs: 'fast' }],
      }),
      /queries\[0\]: durationMs/,
    ],
  ]
  for (const [what, content, message] of badFiles) {
    it(`for ${what} given to report`, async () => {
      const file = join(dir, `bad-${what.replace(/\W+/g, '-')}.json`)
      writeFileSync(file, content)
      const { err, io } = capture()
      expect(await run(['report', file], io)).toBe(2)
      expect(err).toHaveLength(1)
      expect(err[0]).toMatch(message)
    })
  }
})
