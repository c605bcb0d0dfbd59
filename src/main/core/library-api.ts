/**
 * The `library.*` channels: the session library (src/main/store) as the renderer uses it.
 *
 * The Profiler does not own the store: `startCore` opens it (when asked to) and hands it to
 * the Profiler with `setLibrary`, and takes it back on close. Until then, or when it could
 * not open, every channel answers "library unavailable: <why>" — except `library.storage`,
 * which is how the Sessions view learns why, and so answers `{ available: false, error }`.
 */
import type { RequestHandlers } from '../../shared/api'
import type { ExportRequest, ExportResult } from '../../shared/library'
import { toRow } from '../session/live-session'
import type { SessionStore } from '../store/session-store'

export type LibraryChannel = Extract<keyof RequestHandlers, `library.${string}`>

/** Why there is no library when none was asked for. */
export const LIBRARY_OFF = 'the session library is off (the profiler was started without it)'

/** What the handlers need from their owner (the Profiler). */
export interface LibraryHost {
  /** The open store, if any. */
  readonly libraryStore: SessionStore | undefined
  /** Why there is no store. */
  readonly libraryError: string
  /** Writes an export wherever this transport puts files (see Profiler.setExportDestination). */
  exportSession(request: ExportRequest): Promise<ExportResult>
}

export class LibraryUnavailableError extends Error {
  constructor(why: string) {
    super(`library unavailable: ${why}`)
    this.name = 'LibraryUnavailableError'
  }
}

/** The host's open store; throws LibraryUnavailableError when there is none. */
export function openStore(host: Pick<LibraryHost, 'libraryStore' | 'libraryError'>): SessionStore {
  const store = host.libraryStore
  if (!store || store.isClosed) throw new LibraryUnavailableError(host.libraryError)
  return store
}

export function libraryHandlers(host: LibraryHost): Pick<RequestHandlers, LibraryChannel> {
  const store = () => openStore(host)
  return {
    'library.list': (options) => store().list(options),
    'library.get': (id) => store().get(id),
    'library.queries': async (id, offset, limit) => {
      const page = await store().queries(id, offset, limit)
      return page && { total: page.total, offset: page.offset, rows: page.rows.map(toRow) }
    },
    'library.query': (id, queryId) => store().query(id, queryId),
    'library.rename': (id, name) => store().rename(id, name),
    'library.note': (id, note) => store().setNote(id, note),
    'library.delete': (id) => store().delete(id),
    'library.storage': async () => {
      const open = host.libraryStore
      if (!open || open.isClosed) return { available: false, error: host.libraryError }
      const [use, retention] = await Promise.all([open.storage(), open.retention()])
      return { available: true, ...use, retention }
    },
    'library.retention.set': async (changes) => {
      const open = store()
      const retention = await open.setRetention(changes)
      // A tighter limit applies now, not after the next session ends.
      await open.enforceRetention()
      return retention
    },
    'library.export': (request) => host.exportSession(request),
  }
}
