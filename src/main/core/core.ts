/**
 * The headless core: the Profiler plus the server, wired together. The CLI's `serve` and
 * `record`, the Electron shell and the tests all start exactly this.
 */
import { existsSync } from 'node:fs'
import type { AnalysisSettings } from '../../shared/analysis'
import { Profiler } from './profiler'
import { createDemoLauncher } from './demo-launcher'
import { builtRendererDir, defaultDataDir } from './paths'
import { isValidTokenFormat, loadOrCreateToken } from '../ingest/auth'
import { startServer, type RunningServer } from '../server/server'
import { DownloadShelf } from '../export/downloads'
import { UploadShelf } from '../server/uploads'
import type { SessionLibrary, StoreOptions } from '../store'

export interface CoreOptions {
  port?: number
  host?: string
  /** Overrides the data directory's token (e.g. for a CI run); 16+ URL-safe characters. */
  token?: string
  dataDir?: string
  capacity?: number
  maxPayload?: number
  /** Largest session file browser mode may upload (default 2 GiB). */
  maxUploadBytes?: number
  /** Serve the browser-mode UI from this folder; default the built renderer, if present. */
  uiDir?: string | false
  /** Analysis thresholds other than the defaults. */
  analysis?: Partial<AnalysisSettings>
  /** Record sessions into the library (`<dataDir>/sessions.sqlite`); off unless asked for. */
  store?: boolean | StoreOptions
}

export interface Core {
  profiler: Profiler
  server: RunningServer
  token: string
  dataDir: string
  agentUrl: string
  uiUrl: string
  /** Browser mode's uploaded session files, waiting for `file.load`. */
  uploads: UploadShelf
  /** The session library, when `store` was asked for and it could open. */
  library?: SessionLibrary
  /** Why the library is off although `store` was asked for. */
  libraryError?: string
  close(): Promise<void>
}

export async function startCore(options: CoreOptions = {}): Promise<Core> {
  const dataDir = options.dataDir ?? defaultDataDir()
  if (options.token !== undefined && !isValidTokenFormat(options.token)) {
    throw new Error('token must be 16 to 256 characters of A-Z, a-z, 0-9, _ or -')
  }
  const token = options.token ?? loadOrCreateToken(dataDir)
  const uiDir =
    options.uiDir === false
      ? undefined
      : (options.uiDir ?? (existsSync(builtRendererDir()) ? builtRendererDir() : undefined))

  let endpoint = { agentUrl: '', token }
  const demo = createDemoLauncher(() => endpoint)
  const profiler = new Profiler({
    capacity: options.capacity,
    analysis: options.analysis,
    startDemo: () => demo.start(),
  })
  // Browser mode's exports are downloads; the Electron shell answers exports itself.
  const downloads = new DownloadShelf()
  profiler.setExportDestination(async (job) => {
    const file = downloads.reservePath()
    try {
      const bytes = await job.write(file)
      const url = downloads.add({ file, fileName: job.fileName, contentType: job.contentType })
      return { kind: 'download', url, fileName: job.fileName, bytes }
    } catch (error) {
      await downloads.done(file)
      throw error
    }
  })
  // Browser mode's session files, uploaded for `file.load` (Electron opens them by path).
  const uploads = new UploadShelf()
  profiler.setUploads(uploads)
  const server = await startServer({
    profiler,
    token,
    port: options.port,
    host: options.host,
    maxPayload: options.maxPayload,
    uiDir,
    downloads,
    uploads,
    maxUploadBytes: options.maxUploadBytes,
  })
  endpoint = { agentUrl: server.agentUrl, token }
  let library: SessionLibrary | undefined
  let libraryError: string | undefined
  if (options.store) {
    // Loaded only when asked for: it brings TypeORM and a native addon. Never throws.
    const { startLibrary } = await import('../store')
    const started = await startLibrary(
      profiler,
      dataDir,
      options.store === true ? {} : options.store,
    )
    library = started.library
    libraryError = started.error
    profiler.setLibrary(library?.store, libraryError)
  }

  return {
    profiler,
    server,
    token,
    dataDir,
    agentUrl: server.agentUrl,
    uiUrl: server.uiUrl,
    uploads,
    library,
    libraryError,
    async close() {
      demo.stop()
      profiler.dispose()
      profiler.setLibrary(undefined, 'the profiler is shutting down')
      await server.close()
      await library?.close()
      downloads.close()
      uploads.close()
    },
  }
}
