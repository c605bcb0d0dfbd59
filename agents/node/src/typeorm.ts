/**
 * TypeORM instrumentation, without depending on TypeORM: the shapes used here are
 * structural. Every query TypeORM runs goes through a QueryRunner's `query(sql, params,
 * useStructuredResult)` (the better-sqlite3, postgres and mysql runners alike), and every
 * runner comes from `driver.createQueryRunner`. So the driver's `createQueryRunner` is
 * wrapped to wrap each runner's `query`, and runners that exist already (the SQLite drivers
 * keep a single one) are wrapped directly: it works before or after `initialize()`.
 *
 * The wrapper times the call itself, reads the row count from the result, records errors
 * and rethrows the very same error, and takes the call site before the query starts, while
 * the app's frames are still on the stack (V8's async frames reach back through awaits).
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, sep } from 'node:path'
import { performance } from 'node:perf_hooks'
import { captureCallSite, type CapturedCallSite } from './call-site'
import type { NameAndVersion, StackFrame } from './protocol'

export type TypeORMCallSiteMode = 'all' | 'sampled' | 'off'

export interface InstrumentTypeORMOptions {
  /**
   * Call sites for TypeORM's queries. Default `all`: next to TypeORM's own work per query,
   * a stack capture is cheap.
   */
  callSites?: TypeORMCallSiteMode
}

/** What the wrapper needs from the agent (kept as an interface to avoid an import cycle). */
export interface QuerySink {
  enqueue(
    sql: unknown,
    params: unknown,
    startTime: number,
    durationMs: number,
    rows: unknown,
    error: unknown,
    connectionId: unknown,
    stack: StackFrame[] | undefined,
    site: CapturedCallSite | undefined,
  ): void
  wantsCallSite(
    sql: unknown,
    durationMs: number,
    error: unknown,
    mode: TypeORMCallSiteMode,
  ): boolean
}

type QueryMethod = (this: unknown, sql: unknown, ...rest: unknown[]) => unknown

interface QueryRunnerLike {
  query?: QueryMethod
}

interface DriverLike {
  options?: { type?: unknown }
  createQueryRunner?: (this: unknown, ...args: unknown[]) => unknown
  /** The SQLite drivers' single runner. */
  queryRunner?: unknown
}

export interface DataSourceLike {
  driver?: DriverLike
  options?: { type?: unknown }
  manager?: { queryRunner?: unknown }
}

/**
 * TypeORM puts 5 to 10 frames (repository, entity manager, query builder) between the app
 * and the runner, and each frame captured costs time: room for those and the app's nearest.
 */
const TYPEORM_STACK_LIMIT = 16

const WRAPPED = Symbol.for('fastorm-profiler-agent.wrapped')
/** One id per query runner, that is per database connection it holds. */
let nextConnectionId = 1

export function instrumentTypeORM(
  sink: QuerySink,
  dataSource: DataSourceLike,
  options: InstrumentTypeORMOptions = {},
): { orm: NameAndVersion; dbSystem: string | undefined } | undefined {
  const driver = dataSource?.driver
  if (!driver || typeof driver.createQueryRunner !== 'function') return undefined
  const mode = options.callSites ?? 'all'
  const driverType = dataSource.options?.type ?? driver.options?.type

  const markedDriver = driver as DriverLike & { [WRAPPED]?: boolean }
  if (!markedDriver[WRAPPED]) {
    markedDriver[WRAPPED] = true
    const createQueryRunner = driver.createQueryRunner
    driver.createQueryRunner = function profiledCreateQueryRunner(this: unknown, ...args) {
      const runner = createQueryRunner.apply(this, args)
      wrapQueryRunner(sink, runner, mode)
      return runner
    }
  }
  wrapQueryRunner(sink, driver.queryRunner, mode)
  wrapQueryRunner(sink, dataSource.manager?.queryRunner, mode)

  const orm: NameAndVersion = { name: 'typeorm' }
  const version = typeormVersion()
  if (version) orm.version = version
  return { orm, dbSystem: dbSystemName(driverType) }
}

function wrapQueryRunner(sink: QuerySink, candidate: unknown, mode: TypeORMCallSiteMode): void {
  if (!candidate || typeof candidate !== 'object') return
  const runner = candidate as QueryRunnerLike & { [WRAPPED]?: boolean }
  const original = runner.query
  if (runner[WRAPPED] || typeof original !== 'function') return
  const connectionId = nextConnectionId++

  // An async function, so the app's own await chain (and its async stack frames) passes
  // through it unchanged.
  const profiledQuery = async function profiledQuery(
    this: unknown,
    sql: unknown,
    ...rest: unknown[]
  ): Promise<unknown> {
    let site: CapturedCallSite | undefined
    try {
      // The decision is made before the query runs (its stack is gone afterwards), so in
      // `sampled` mode it can only go by the SQL text.
      if (sink.wantsCallSite(sql, 0, undefined, mode)) {
        site = captureCallSite(TYPEORM_STACK_LIMIT, profiledQuery)
      }
    } catch {
      site = undefined
    }
    const started = performance.now()
    let result: unknown
    try {
      result = await original.call(this, sql, ...rest)
    } catch (error) {
      record(sink, sql, rest[0], started, undefined, error, connectionId, site)
      throw error
    }
    record(sink, sql, rest[0], started, result, undefined, connectionId, site)
    return result
  }
  Object.defineProperty(runner, 'query', {
    value: profiledQuery,
    writable: true,
    configurable: true,
    enumerable: false,
  })
  runner[WRAPPED] = true
}

function record(
  sink: QuerySink,
  sql: unknown,
  params: unknown,
  started: number,
  result: unknown,
  error: unknown,
  connectionId: number,
  site: CapturedCallSite | undefined,
): void {
  try {
    const durationMs = performance.now() - started
    sink.enqueue(
      sql,
      params,
      performance.timeOrigin + started,
      durationMs,
      error === undefined ? rowCount(result) : undefined,
      error,
      connectionId,
      undefined,
      site,
    )
  } catch {
    // Recording is best effort; the app's query result is what matters.
  }
}

/**
 * Rows returned or affected, from what the runners return: an array of rows; PostgreSQL's
 * `[rows, rowCount]` for UPDATE and DELETE; a `QueryResult` (`records`, `affected`) when
 * asked for a structured result; MySQL's `affectedRows`. SQLite's bare `lastInsertRowid`
 * says nothing about rows.
 */
export function rowCount(result: unknown): number | undefined {
  if (Array.isArray(result)) {
    if (result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
      return result[1]
    }
    return result.length
  }
  if (!result || typeof result !== 'object') return undefined
  const r = result as {
    records?: unknown
    affected?: unknown
    affectedRows?: unknown
    rowCount?: unknown
  }
  if (Array.isArray(r.records) && r.records.length > 0) return r.records.length
  if (typeof r.affected === 'number') return r.affected
  if (Array.isArray(r.records)) return 0
  if (typeof r.affectedRows === 'number') return r.affectedRows
  if (typeof r.rowCount === 'number') return r.rowCount
  return undefined
}

/** TypeORM's driver `type` as OpenTelemetry's `db.system.name`. */
export function dbSystemName(type: unknown): string | undefined {
  if (typeof type !== 'string' || !type) return undefined
  switch (type) {
    case 'better-sqlite3':
    case 'sqlite':
    case 'sqljs':
    case 'capacitor':
    case 'cordova':
    case 'expo':
    case 'nativescript':
    case 'react-native':
      return 'sqlite'
    case 'postgres':
    case 'aurora-postgres':
      return 'postgresql'
    case 'mysql':
    case 'aurora-mysql':
      return 'mysql'
    case 'mssql':
      return 'microsoft.sql_server'
    case 'oracle':
      return 'oracle.db'
    case 'sap':
      return 'sap.hana'
    case 'spanner':
      return 'gcp.spanner'
    default:
      // mariadb, cockroachdb, mongodb: the same word in both vocabularies.
      return type
  }
}

let cachedVersion: string | undefined | null = null

/**
 * The version of the TypeORM the app loaded: TypeORM is CommonJS, so its files are in
 * Node's module cache; failing that, the copy the working directory resolves. Its
 * package.json is not in its `exports`, so it is read from disk.
 */
function typeormVersion(): string | undefined {
  if (cachedVersion !== null) return cachedVersion
  cachedVersion = undefined
  try {
    const req = createRequire(join(process.cwd(), 'index.js'))
    const marker = `${sep}node_modules${sep}typeorm${sep}`
    let root: string | undefined
    for (const file of Object.keys(req.cache)) {
      const at = file.lastIndexOf(marker)
      if (at >= 0) {
        root = file.slice(0, at + marker.length - 1)
        break
      }
    }
    if (!root) {
      let dir = dirname(req.resolve('typeorm'))
      while (!dir.endsWith(`${sep}typeorm`) && dirname(dir) !== dir) dir = dirname(dir)
      root = dir
    }
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      version?: unknown
    }
    if (typeof manifest.version === 'string') cachedVersion = manifest.version
  } catch {
    // Unknown version: the hello still names TypeORM.
  }
  return cachedVersion
}
