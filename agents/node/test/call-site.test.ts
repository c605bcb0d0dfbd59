import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, relative } from 'node:path'
import { runInThisContext } from 'node:vm'
import ts from 'typescript'
import { build } from 'vite'
import { afterEach, describe, expect, it } from 'vitest'
import {
  callSiteFrames,
  captureCallSite,
  isLibraryFile,
  parseStack,
  type CapturedCallSite,
} from '../src/call-site'
import { buildAgentForChild, runNodeScript } from './child-app'
import { RecordingProfiler } from './recording-profiler'

describe('call-site stacks', () => {
  it('parses the frame forms V8 prints', () => {
    const text = [
      'Error',
      '    at UserService.load (/app/src/users.ts:12:7)',
      '    at async Promise.all (index 0)',
      '    at async handler (/app/src/routes.ts:40:3)',
      '    at new Repo (/app/src/repo.js:3:9)',
      '    at /app/src/anonymous.js:5:1',
      '    at async /app/src/async-anonymous.js:6:2',
      '    at Object.<anonymous> (file:///app/src/module.mjs:8:4)',
      '    at run (C:\\app\\src\\win.js:9:5)',
      '    at eval (eval at compile (/app/src/tpl.js:20:11), <anonymous>:1:1)',
      '    at Array.map (<anonymous>)',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
      'not a frame',
    ].join('\n')
    expect(parseStack(text)).toEqual([
      { function: 'UserService.load', file: '/app/src/users.ts', line: 12, column: 7 },
      { function: 'Promise.all', file: 'index 0' },
      { function: 'handler', file: '/app/src/routes.ts', line: 40, column: 3 },
      { function: 'new Repo', file: '/app/src/repo.js', line: 3, column: 9 },
      { file: '/app/src/anonymous.js', line: 5, column: 1 },
      { file: '/app/src/async-anonymous.js', line: 6, column: 2 },
      { function: 'Object.<anonymous>', file: '/app/src/module.mjs', line: 8, column: 4 },
      { function: 'run', file: 'C:\\app\\src\\win.js', line: 9, column: 5 },
      { function: 'eval', file: '/app/src/tpl.js', line: 20, column: 11 },
      { function: 'Array.map', file: '<anonymous>' },
      {
        function: 'process.processTicksAndRejections',
        file: 'node:internal/process/task_queues',
        line: 95,
        column: 5,
      },
    ])
  })

  it('tells library and runtime frames from the app’s own', () => {
    expect(isLibraryFile('/app/node_modules/typeorm/query-builder/SelectQueryBuilder.js')).toBe(
      true,
    )
    expect(isLibraryFile('C:\\app\\node_modules\\pg\\lib\\client.js')).toBe(true)
    expect(isLibraryFile('node:internal/process/task_queues')).toBe(true)
    expect(isLibraryFile('<anonymous>')).toBe(true)
    expect(isLibraryFile('index 0')).toBe(true)
    expect(isLibraryFile('/app/src/users.ts')).toBe(false)
  })

  it('starts the frames sent at the first frame of the app, skipping libraries', () => {
    const captured = {
      stack: [
        'Error',
        '    at SelectQueryBuilder.getMany (/app/node_modules/typeorm/query-builder/SelectQueryBuilder.js:832:36)',
        '    at async UserService.load (/app/src/users.ts:12:7)',
        '    at async Layer.handle (/app/node_modules/express/lib/router/layer.js:95:5)',
        '    at async handler (/app/src/routes.ts:40:3)',
      ].join('\n'),
    }
    expect(callSiteFrames(captured)).toEqual([
      { function: 'UserService.load', file: '/app/src/users.ts', line: 12, column: 7 },
      { function: 'handler', file: '/app/src/routes.ts', line: 40, column: 3 },
    ])
  })

  it('falls back to the library frames when no app frame was captured', () => {
    const captured = {
      stack: 'Error\n    at Pool.query (/app/node_modules/pg-pool/index.js:1:2)',
    }
    expect(callSiteFrames(captured)).toEqual([
      { function: 'Pool.query', file: '/app/node_modules/pg-pool/index.js', line: 1, column: 2 },
    ])
  })

  it('captures above the given function, at most the given number of frames, and restores the limit', () => {
    const previous = Error.stackTraceLimit
    function inner() {
      return captureCallSite(2, inner)
    }
    function outer() {
      return inner()
    }
    const frames = parseStack(String(outer()?.stack))
    expect(frames.length).toBeLessThanOrEqual(2)
    expect(frames[0].function).toBe('outer')
    expect(Error.stackTraceLimit).toBe(previous)
  })
})

/** Code V8 runs from a file in `node_modules`, as a library's would be. */
const LIBRARY_FILE = '/virtual/node_modules/fake-orm/index.js'
const runInLibrary = runInThisContext('(function libraryQuery(capture) { return capture() })', {
  filename: LIBRARY_FILE,
}) as (capture: () => CapturedCallSite | undefined) => CapturedCallSite | undefined

function capture(): CapturedCallSite | undefined {
  return captureCallSite(10, capture)
}

function appQuery(): CapturedCallSite | undefined {
  return runInLibrary(capture)
}

type Formatter = (error: Error, callSites: NodeJS.CallSite[]) => unknown

/** Reads the frames with `formatter` as the app's `Error.prepareStackTrace`, then puts back vitest's. */
function framesWith(formatter: Formatter, site: CapturedCallSite | undefined) {
  const errorClass = Error as { prepareStackTrace?: Formatter }
  const before = errorClass.prepareStackTrace
  errorClass.prepareStackTrace = formatter
  try {
    const frames = site && callSiteFrames(site)
    expect(errorClass.prepareStackTrace).toBe(formatter)
    return frames
  } finally {
    errorClass.prepareStackTrace = before
  }
}

/** As source-map-support would: the library mapped to its own sources, outside node_modules. */
const formatAsMapped: Formatter = (_, callSites) =>
  'Error: ' +
  callSites
    .map((callSite) => {
      if (callSite.getFileName() === LIBRARY_FILE) {
        return '\n    at libraryQuery (/virtual/fake-orm/src/index.ts:7:3)'
      }
      if (callSite.getFunctionName() === 'appQuery')
        return '\n    at appQuery (/app/src/shop.ts:42:5)'
      return `\n    at ${String(callSite)}`
    })
    .join('')

describe('call-site stacks read through V8’s call sites', () => {
  it('judges each frame by the file V8 ran and reports the app’s as the app’s formatter shows it', () => {
    const frames = framesWith(formatAsMapped, appQuery())
    expect(frames?.[0]).toEqual({
      function: 'appQuery',
      file: '/app/src/shop.ts',
      line: 42,
      column: 5,
    })
    expect(frames?.some((frame) => frame.file.includes('fake-orm'))).toBe(false)
  })

  it('keeps the frames V8 ran when the formatter’s lines cannot be matched with them', () => {
    const dropsLibraries: Formatter = (error, callSites) =>
      String(formatAsMapped(error, callSites))
        .split('\n')
        .filter((line) => !line.includes('fake-orm'))
        .join('\n')
    const frames = framesWith(dropsLibraries, appQuery())
    expect(frames?.[0]?.function).toBe('appQuery')
    expect(frames?.[0]?.file).toMatch(/call-site\.test\.ts$/)
  })

  it('keeps the frames V8 ran when the formatter throws', () => {
    const frames = framesWith(() => {
      throw new Error('formatter broken')
    }, appQuery())
    expect(frames?.[0]?.function).toBe('appQuery')
    expect(frames?.[0]?.file).toMatch(/call-site\.test\.ts$/)
  })

  it('gives the same frames when a captured stack is read again', () => {
    const site = appQuery()
    const first = framesWith(formatAsMapped, site)
    expect(first?.[0]?.file).toBe('/app/src/shop.ts')
    expect(framesWith(formatAsMapped, site)).toBe(first)
  })
})

/**
 * A small app, compiled from TypeScript with a source map, over a stand-in for TypeORM that
 * lives in `node_modules` but ships a source map pointing outside it, as TypeORM's do.
 */
interface ShopFixture {
  root: string
  appSource: string
  appFile: string
  appOutput: string
  appOutputFile: string
}

const LIBRARY_SOURCE = `/** A stand-in for TypeORM: every query goes through a runner's \`query\`. */
interface Agent {
  recordQuery(query: { sql: string; durationMs: number }): void
}

interface QueryRunner {
  query(sql: string, params: unknown[]): Promise<unknown[]>
}

export class DataSource {
  readonly options = { type: 'better-sqlite3' }
  readonly driver = {
    options: { type: 'better-sqlite3' },
    createQueryRunner(): QueryRunner {
      return { query: async (sql: string, params: unknown[]) => [{ sql, id: params[0] }] }
    },
  }

  constructor(private readonly agent: Agent) {}

  async find(table: string, id: number): Promise<unknown[]> {
    return this.execute(\`SELECT * FROM \${table} WHERE id = ?\`, [id])
  }

  private async execute(sql: string, params: unknown[]): Promise<unknown[]> {
    const runner = this.driver.createQueryRunner()
    return runner.query(sql, params)
  }

  /** A driver that reports its own queries, through \`recordQuery\`. */
  count(table: string): number {
    this.agent.recordQuery({ sql: \`SELECT count(*) FROM \${table}\`, durationMs: 2 })
    return 0
  }
}
`

function appSource(agentDir: string): string {
  return `import { DataSource } from 'fake-orm'
import { startAgent } from ${JSON.stringify(join(agentDir, 'index.js'))}

interface Order {
  id: number
}

type Orders = Order[]

// Node without a default Error.prepareStackTrace (before it exposed its own).
if (process.env.FIXTURE_NO_FORMATTER) delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace
const formatter = Error.prepareStackTrace

const profiler = startAgent({ url: process.env.FIXTURE_URL, appName: 'fixture-shop' })
const dataSource: DataSource = profiler.instrumentTypeORM(new DataSource(profiler))

async function listOrders(userId: number): Promise<Orders> {
  const rows = (await dataSource.find('orders', userId)) as Orders // call site: find
  return rows
}

function countOrders(): number {
  return dataSource.count('orders') // call site: count
}

async function main(): Promise<void> {
  await listOrders(7)
  countOrders()
  await profiler.close()
  console.log(JSON.stringify({ formatterKept: Error.prepareStackTrace === formatter }))
}

void main()
`
}

/** Compiles `source` to `outputFile`, with a source map naming `sourceFile` when asked. */
function compileTo(source: string, sourceFile: string, outputFile: string, withMap: boolean) {
  mkdirSync(dirname(sourceFile), { recursive: true })
  mkdirSync(dirname(outputFile), { recursive: true })
  writeFileSync(sourceFile, source)
  const output = ts.transpileModule(source, {
    fileName: basename(sourceFile),
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      sourceMap: withMap,
    },
  })
  let text = output.outputText.replace(/^\/\/# sourceMappingURL=.*$/m, '')
  if (withMap && output.sourceMapText) {
    const map = JSON.parse(output.sourceMapText) as { file: string; sources: string[] }
    map.file = basename(outputFile)
    map.sources = [relative(dirname(outputFile), sourceFile)]
    writeFileSync(`${outputFile}.map`, JSON.stringify(map))
    text += `//# sourceMappingURL=${basename(outputFile)}.map\n`
  }
  writeFileSync(outputFile, text)
  return text
}

const fixtureRoots: string[] = []

function writeShopFixture(options: { appMap: boolean }): ShopFixture {
  const root = mkdtempSync(join(tmpdir(), 'fastorm-call-site-'))
  fixtureRoots.push(root)
  const library = join(root, 'node_modules', 'fake-orm')
  mkdirSync(library, { recursive: true })
  writeFileSync(
    join(library, 'package.json'),
    JSON.stringify({ name: 'fake-orm', main: 'index.js' }),
  )
  // The library's map points back out of node_modules, to where it was built from.
  compileTo(
    LIBRARY_SOURCE,
    join(root, 'fake-orm', 'src', 'data-source.ts'),
    join(library, 'index.js'),
    true,
  )
  const source = appSource(buildAgentForChild())
  const appFile = join(root, 'src', 'shop.ts')
  const appOutputFile = join(root, 'dist', 'shop.js')
  const appOutput = compileTo(source, appFile, appOutputFile, options.appMap)
  return { root, appSource: source, appFile, appOutput, appOutputFile }
}

function lineOf(text: string, marker: string): number {
  return text.split('\n').findIndex((line) => line.includes(marker)) + 1
}

describe('call sites in a real app process, with libraries that ship source maps', () => {
  let profiler: RecordingProfiler | undefined
  afterEach(async () => {
    await profiler?.stop()
    profiler = undefined
    for (const root of fixtureRoots.splice(0)) rmSync(root, { recursive: true, force: true })
  })

  async function runShop(
    fixture: ShopFixture,
    nodeArgs: string[],
    env: Record<string, string> = {},
  ) {
    profiler = await RecordingProfiler.start()
    const result = await runNodeScript(fixture.appOutputFile, {
      nodeArgs,
      cwd: fixture.root,
      env: { FIXTURE_URL: profiler.url, NODE_OPTIONS: '', ...env },
    })
    expect(result).toMatchObject({ killed: false, code: 0, stderr: '' })
    expect(JSON.parse(result.stdout)).toEqual({ formatterKept: true })
    await profiler.waitFor(() => profiler!.events.length === 2)
    expect(profiler.invalid).toEqual([])
    const bySql = (prefix: string) => {
      const event = profiler!.events.find((e) => e['db.query.text'].startsWith(prefix))
      expect(event).toBeDefined()
      return event!.stack ?? []
    }
    return { find: bySql('SELECT * FROM orders'), count: bySql('SELECT count(*)') }
  }

  function expectOnlyAppFrames(stack: { file: string }[], appFile: string) {
    expect(stack.length).toBeGreaterThan(0)
    for (const frame of stack) expect(frame.file).toBe(appFile)
  }

  it.each([
    ['with Node’s default stack formatter', {}],
    ['with no stack formatter set (Node before it exposed its own)', { FIXTURE_NO_FORMATTER: '1' }],
  ])(
    'reports the app’s mapped position, not the library’s, under --enable-source-maps %s',
    async (_, env) => {
      const fixture = writeShopFixture({ appMap: true })
      const { find, count } = await runShop(fixture, ['--enable-source-maps'], env)
      expect(find[0]).toMatchObject({
        function: 'listOrders',
        file: fixture.appFile,
        line: lineOf(fixture.appSource, '// call site: find'),
      })
      expect(find[1]).toMatchObject({ function: 'main', file: fixture.appFile })
      expect(count[0]).toMatchObject({
        function: 'countOrders',
        file: fixture.appFile,
        line: lineOf(fixture.appSource, '// call site: count'),
      })
      expectOnlyAppFrames(find, fixture.appFile)
      expectOnlyAppFrames(count, fixture.appFile)
    },
  )

  it('reports the file that ran when only the library has a source map', async () => {
    const fixture = writeShopFixture({ appMap: false })
    const { find, count } = await runShop(fixture, ['--enable-source-maps'])
    expect(find[0]).toMatchObject({
      function: 'listOrders',
      file: fixture.appOutputFile,
      line: lineOf(fixture.appOutput, '// call site: find'),
    })
    expect(count[0]).toMatchObject({
      function: 'countOrders',
      file: fixture.appOutputFile,
      line: lineOf(fixture.appOutput, '// call site: count'),
    })
    expectOnlyAppFrames(find, fixture.appOutputFile)
    expectOnlyAppFrames(count, fixture.appOutputFile)
  })

  it('reports the app’s mapped position when the agent and the library are bundled into the app’s file', async () => {
    const fixture = writeShopFixture({ appMap: true })
    const bundle = join(fixture.root, 'bundle', 'shop.js')
    await build({
      configFile: false,
      root: fixture.root,
      logLevel: 'silent',
      ssr: { noExternal: true },
      build: {
        ssr: fixture.appFile,
        outDir: dirname(bundle),
        sourcemap: true,
        minify: false,
        rolldownOptions: {
          external: ['ws'],
          output: { format: 'cjs', entryFileNames: basename(bundle) },
        },
      },
    })
    const { find, count } = await runShop({ ...fixture, appOutputFile: bundle }, [
      '--enable-source-maps',
    ])
    expect(find[0]).toMatchObject({
      function: 'listOrders',
      file: fixture.appFile,
      line: lineOf(fixture.appSource, '// call site: find'),
    })
    expect(count[0]).toMatchObject({
      function: 'countOrders',
      file: fixture.appFile,
      line: lineOf(fixture.appSource, '// call site: count'),
    })
    expectOnlyAppFrames(find, fixture.appFile)
    expectOnlyAppFrames(count, fixture.appFile)
  })

  it('reports the file that ran without --enable-source-maps', async () => {
    const fixture = writeShopFixture({ appMap: true })
    const { find, count } = await runShop(fixture, [])
    expect(find[0]).toMatchObject({
      function: 'listOrders',
      file: fixture.appOutputFile,
      line: lineOf(fixture.appOutput, '// call site: find'),
    })
    expect(count[0]).toMatchObject({
      function: 'countOrders',
      file: fixture.appOutputFile,
      line: lineOf(fixture.appOutput, '// call site: count'),
    })
    expectOnlyAppFrames(find, fixture.appOutputFile)
    expectOnlyAppFrames(count, fixture.appOutputFile)
  })
})
