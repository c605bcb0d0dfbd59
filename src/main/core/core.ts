/**
 * The headless core: the Profiler plus the server, wired together. The CLI's `serve` and
 * `record`, the Electron shell and the tests all start exactly this.
 */
import { existsSync } from 'node:fs'
import { Profiler } from './profiler'
import { createDemoLauncher } from './demo-launcher'
import { builtRendererDir, defaultDataDir } from './paths'
import { isValidTokenFormat, loadOrCreateToken } from '../ingest/auth'
import { startServer, type RunningServer } from '../server/server'

export interface CoreOptions {
  port?: number
  host?: string
  /** Overrides the data directory's token (e.g. for a CI run); 16+ URL-safe characters. */
  token?: string
  dataDir?: string
  capacity?: number
  maxPayload?: number
  /** Serve the browser-mode UI from this folder; default the built renderer, if present. */
  uiDir?: string | false
}

export interface Core {
  profiler: Profiler
  server: RunningServer
  token: string
  dataDir: string
  agentUrl: string
  uiUrl: string
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
  const profiler = new Profiler({ capacity: options.capacity, startDemo: () => demo.start() })
  const server = await startServer({
    profiler,
    token,
    port: options.port,
    host: options.host,
    maxPayload: options.maxPayload,
    uiDir,
  })
  endpoint = { agentUrl: server.agentUrl, token }

  return {
    profiler,
    server,
    token,
    dataDir,
    agentUrl: server.agentUrl,
    uiUrl: server.uiUrl,
    async close() {
      demo.stop()
      profiler.dispose()
      await server.close()
    },
  }
}
