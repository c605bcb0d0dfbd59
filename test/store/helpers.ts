/** Shared pieces of the store tests: temp folders, apps and queries with every field set. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AppInfo, QueryRecord } from '../../src/shared/domain'
import type { HelloMessage } from '../../src/shared/protocol/v1'

export function tempDir(prefix = 'fop-store-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

export const helloFor = (name: string): HelloMessage => ({
  type: 'hello',
  protocol: 1,
  app: { name },
  runtime: { name: 'node', version: '20.20.0' },
  orm: { name: 'typeorm', version: '1.1.1' },
  'db.system.name': 'postgresql',
  pid: 4242,
  host: 'dev-box',
  agent: { name: 'fastorm-profiler-agent', version: '0.1.0' },
})

export const fullApp = (overrides: Partial<AppInfo> = {}): AppInfo => ({
  id: 'app-1',
  name: 'shop',
  runtime: { name: 'node', version: '20.20.0' },
  orm: { name: 'typeorm' },
  dbSystem: 'postgresql',
  pid: 4242,
  host: 'dev-box',
  agent: { name: 'fastorm-profiler-agent', version: '0.1.0' },
  connectedAt: 1_764_000_000_000,
  disconnectedAt: 1_764_000_090_000,
  received: 3,
  droppedByAgent: 1,
  ...overrides,
})

/** A query with every optional field set (and the ones a real agent leaves out, left out). */
export function fullQuery(id: number, overrides: Partial<QueryRecord> = {}): QueryRecord {
  return {
    id,
    appId: 'app-1',
    sql: 'SELECT * FROM "users" WHERE "id" = $1 AND "name" LIKE \'%ü%\'',
    params: [id, 'naïve "quoted"', null, { nested: [1, 2.5, true] }],
    startTime: 1_764_000_000_000.125 + id,
    durationMs: 1.375,
    rows: 7,
    error: { type: '23505', message: 'duplicate key value violates unique constraint' },
    connectionId: 'conn-3',
    context: { id: 'req-9', name: 'GET /users/:id' },
    stack: [
      { function: 'findUser', file: '/app/src/users.ts', line: 42, column: 27 },
      { file: '/app/src/server.ts', line: 7 },
    ],
    ...overrides,
  }
}

/** The least a query can be: no params, rows, error, connection, context or stack. */
export function bareQuery(id: number, sql = 'SELECT 1'): QueryRecord {
  return { id, appId: 'app-1', sql, startTime: 1_764_000_000_000 + id, durationMs: 0.25 }
}
