/** Where things are: the data directory, and the built files the core serves or starts. */
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The per-user data directory: `$FASTORM_PROFILER_DATA_DIR`, else the platform's usual place. */
export function defaultDataDir(): string {
  if (process.env.FASTORM_PROFILER_DATA_DIR) return resolve(process.env.FASTORM_PROFILER_DATA_DIR)
  const home = homedir()
  if (process.platform === 'win32') {
    return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'fastorm-profiler')
  }
  if (process.platform === 'darwin')
    return join(home, 'Library', 'Application Support', 'fastorm-profiler')
  return join(process.env.XDG_CONFIG_HOME ?? join(home, '.config'), 'fastorm-profiler')
}

/**
 * The package root (the folder with our package.json), found from this file whether it runs
 * bundled from `out/main` or as source under `src/main` in tests.
 */
export function appRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'electron.vite.config.ts')))
      return dir
    dir = dirname(dir)
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
}

export function builtRendererDir(): string {
  return join(appRoot(), 'out', 'renderer')
}

export function builtDemoScript(): string {
  return join(appRoot(), 'out', 'main', 'demo-app.js')
}
