/**
 * The session library as the core starts it: open `<dataDir>/sessions.sqlite`, mark what a
 * killed process left `recording` as `recovered`, apply retention, and record the Profiler's
 * live session into it until `close()`. core.ts loads this module only when the library is on,
 * so a core without it never loads TypeORM or the native addon.
 */
import { join } from 'node:path'
import { SessionRecorder, type RecordedProfiler } from './recorder'
import { SessionStore } from './session-store'
import type { RetentionSettings } from './types'

export { SessionStore, LibraryError, MAX_STORED_PAGE } from './session-store'
export { SessionRecorder, type RecorderStats, type RecordedProfiler } from './recorder'
export type * from './types'

export const LIBRARY_FILE = 'sessions.sqlite'

export interface StoreOptions {
  /** Overrides (and saves) the library's retention setting. */
  retention?: Partial<RetentionSettings>
  /** better-sqlite3 addon built for this runtime (Electron); default the installed one. */
  nativeBinding?: string
  /** How often the recorder writes (ms); default 200. */
  intervalMs?: number
  /** Where write failures and recoveries are reported; default stderr. */
  log?: (line: string) => void
}

export interface SessionLibrary {
  store: SessionStore
  recorder: SessionRecorder
  /** Ids of the sessions found interrupted at start and marked recovered. */
  recovered: string[]
  /** Writes what is pending, ends the session as complete, applies retention, closes. */
  close(): Promise<void>
}

export function libraryFile(dataDir: string): string {
  return join(dataDir, LIBRARY_FILE)
}

/**
 * Opens the library and starts recording. Never throws: a library that cannot open (a native
 * addon built for another runtime, a damaged file) leaves the profiler running live-only,
 * with the reason in `error`.
 */
export async function startLibrary(
  profiler: RecordedProfiler,
  dataDir: string,
  options: StoreOptions = {},
): Promise<{ library?: SessionLibrary; error?: string }> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  let store: SessionStore
  try {
    store = await SessionStore.open({
      file: libraryFile(dataDir),
      nativeBinding: options.nativeBinding,
    })
  } catch (error) {
    // In Electron, most likely the addon: built for another Electron, or damaged.
    const hint = options.nativeBinding
      ? `; if the better-sqlite3 build for Electron (${options.nativeBinding}) is the cause, rebuild it with \`npm run electron:sqlite -- --force\``
      : ''
    return { error: `the session library could not open: ${(error as Error).message}${hint}` }
  }
  try {
    if (options.retention) await store.setRetention(options.retention)
    const recovered = store.recoverInterrupted()
    await store.enforceRetention()
    // After each session ends; chained, so two runs never overlap and close() can wait.
    let retention: Promise<unknown> = Promise.resolve()
    const applyRetention = () => {
      retention = retention
        .then(() => store.enforceRetention())
        .catch((error: Error) => log(`session library: retention failed: ${error.message}`))
    }
    const recorder = new SessionRecorder(profiler, store, {
      intervalMs: options.intervalMs,
      onError: (error) => log(`session library: a write failed (will retry): ${error.message}`),
      onSessionEnded: applyRetention,
    })
    recorder.start()
    let closing: Promise<void> | undefined
    return {
      library: {
        store,
        recorder,
        recovered,
        close: () =>
          (closing ??= (async () => {
            recorder.stop()
            await retention
            await store.close()
          })()),
      },
    }
  } catch (error) {
    await store.close()
    return { error: `the session library could not start: ${(error as Error).message}` }
  }
}
