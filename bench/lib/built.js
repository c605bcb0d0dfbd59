/**
 * The benchmarks measure the built code, as users run it: the core from `out/main/core.js`
 * (electron-vite's build) and the agent from its package's `dist` (tsc). A missing build is
 * a setup error with the command that fixes it, not a stack trace.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { join } from 'node:path'

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url))

export const corePath = join(repoRoot, 'out', 'main', 'core.js')
export const agentPath = join(repoRoot, 'agents', 'node', 'dist', 'index.js')

export class SetupError extends Error {}

const BUILD_COMMANDS = new Map([
  [corePath, 'npx electron-vite build'],
  [agentPath, 'npx tsc -p agents/node/tsconfig.json'],
])

/** Throws a SetupError naming the build command when `path` has not been built. */
export function requireBuilt(path) {
  if (!existsSync(path)) {
    throw new SetupError(`${path} is missing: build it first (${BUILD_COMMANDS.get(path)})`)
  }
}

/** `{ startCore, Profiler }` from the built core. */
export function importCore() {
  requireBuilt(corePath)
  return import(pathToFileURL(corePath).href)
}

/** The built Node agent package (`fastorm-profiler-agent`). */
export function importAgent() {
  requireBuilt(agentPath)
  return import(pathToFileURL(agentPath).href)
}
