/**
 * An in-memory session library behind the fake client's `library.*` handlers, for the
 * Sessions view and store tests: it lists, searches, renames, annotates and deletes like
 * the core's (the real one is tested through the RPC socket in test/store).
 */
import type { RequestHandlers } from '@shared/api'
import type { QueryRow } from '@shared/domain'
import type { LibraryStorage, RetentionSettings, StoredSessionSummary } from '@shared/library'
import { appInfo, queryRecord } from './fake-client'

export const T0 = Date.UTC(2025, 10, 26, 9, 41)

export function storedSession(overrides: Partial<StoredSessionSummary> = {}): StoredSessionSummary {
  return {
    id: 'session-a',
    name: 'Checkout flow',
    note: '',
    appNames: ['shop-api'],
    startedAt: T0,
    endedAt: T0 + 95_000,
    durationMs: 95_000,
    status: 'complete',
    queryCount: 1200,
    failedCount: 3,
    notPersisted: 0,
    findingsCount: 2,
    health: null,
    bytes: 120_000,
    ...overrides,
  }
}

export function storedRow(index: number): QueryRow {
  return {
    id: index + 1,
    appId: 'app-1',
    sql: `SELECT * FROM "order_items" WHERE "order_id" = ${index}`,
    startTime: T0 + index,
    durationMs: 0.75,
    rows: 2,
    failed: index === 4,
    contextName: 'POST /checkout',
  }
}

export interface FakeLibrary {
  sessions: StoredSessionSummary[]
  retention: RetentionSettings
  handlers: Partial<RequestHandlers>
}

export function fakeLibrary(sessions: StoredSessionSummary[]): FakeLibrary {
  const library: FakeLibrary = {
    sessions,
    retention: { maxAgeDays: 30, maxTotalBytes: 1024 ** 3 },
    handlers: {},
  }
  const find = (id: string) => library.sessions.find((session) => session.id === id)
  const storage = (): LibraryStorage => ({
    available: true,
    bytes: 2_500_000,
    databaseBytes: 2_000_000,
    walBytes: 500_000,
    sessions: library.sessions.length,
    queries: library.sessions.reduce((sum, session) => sum + session.queryCount, 0),
    file: '/home/dev/.fastorm-profiler/sessions.sqlite',
    retention: { ...library.retention },
  })
  library.handlers = {
    'library.list': ({ search }) => {
      const text = search?.toLowerCase()
      return library.sessions.filter(
        (session) =>
          !text ||
          [session.name, session.note, ...session.appNames].some((field) =>
            field.toLowerCase().includes(text),
          ),
      )
    },
    'library.storage': storage,
    'library.get': (id) => {
      const session = find(id)
      return session
        ? { ...session, totalQueryMs: 900, settings: {}, apps: [appInfo({ name: 'shop-api' })] }
        : null
    },
    'library.queries': (id, offset, limit) => {
      const session = find(id)
      if (!session) return null
      const rows: QueryRow[] = []
      for (let i = offset; i < Math.min(session.queryCount, offset + limit); i++) {
        rows.push(storedRow(i))
      }
      return { total: session.queryCount, offset, rows }
    },
    'library.query': (id, queryId) =>
      find(id) ? queryRecord({ id: queryId, sql: storedRow(queryId - 1).sql }) : null,
    'library.rename': (id, name) => {
      const session = find(id)
      if (!session) return false
      if (!name.trim()) throw new Error('a session name must be 1 to 200 characters')
      session.name = name.trim()
      return true
    },
    'library.note': (id, note) => {
      const session = find(id)
      if (session) session.note = note
      return session !== undefined
    },
    'library.delete': (id) => {
      const session = find(id)
      if (!session) return false
      if (session.status === 'recording') {
        throw new Error('this session is being recorded; clear or stop it first')
      }
      library.sessions = library.sessions.filter((other) => other !== session)
      return true
    },
    'library.retention.set': (changes) => {
      library.retention = { ...library.retention, ...changes }
      return { ...library.retention }
    },
  }
  return library
}
