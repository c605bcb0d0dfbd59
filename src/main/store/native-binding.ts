/**
 * Which better-sqlite3 addon the Electron shell loads. npm builds the addon for Node's ABI
 * (what `npm test` and the CLI use); Electron needs one built for its own ABI, kept apart
 * under this name so the two never replace each other (docs/storage.md: how to build it).
 * Plain Node: the Electron entry passes in its folders, this module imports no electron.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { StoreOptions } from './index'

export const ELECTRON_BINDING_NAME = 'better_sqlite3-electron.node'

/**
 * Where to look, in order: next to the packaged app's resources (electron-builder's
 * `extraResources`), then `build/native/` of the app folder (a development checkout).
 */
export function electronBindingCandidates(appPath: string, resourcesPath?: string): string[] {
  const candidates = [join(appPath, 'build', 'native', ELECTRON_BINDING_NAME)]
  if (resourcesPath) candidates.unshift(join(resourcesPath, 'native', ELECTRON_BINDING_NAME))
  return candidates
}

/**
 * The `store` option for the Electron core: the library with the Electron addon when one is
 * there, otherwise off, with the line to log saying why and what to run.
 */
export function electronStoreOption(
  appPath: string,
  resourcesPath?: string,
): { store: StoreOptions | false; message?: string } {
  const candidates = electronBindingCandidates(appPath, resourcesPath)
  const found = candidates.find((candidate) => existsSync(candidate))
  if (found) return { store: { nativeBinding: found } }
  return {
    store: false,
    message:
      `Session library off: no better-sqlite3 build for Electron (looked for ${candidates.join(', ')}). ` +
      'Live profiling works; to record sessions, build it as docs/storage.md describes.',
  }
}
