/**
 * Which better-sqlite3 addon the Electron shell loads. npm builds the addon for Node's ABI
 * (what `npm test` and the CLI use); Electron needs one built for its own ABI, which
 * scripts/electron-sqlite.js builds (at `npm install` once Electron is downloaded, before
 * `npm start`, or by `npm run electron:sqlite`) and keeps apart under this name, with a stamp
 * saying which Electron it is for. Plain Node: the Electron entry passes in its folders, this
 * module imports no electron.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { StoreOptions } from './index'

/** As scripts/electron-sqlite-lib.js names them (a test holds the two together). */
export const ELECTRON_BINDING_NAME = 'better_sqlite3-electron.node'
export const ELECTRON_STAMP_NAME = 'better_sqlite3-electron.json'
/** What builds it; every "library off" message tells the user to run this. */
export const ELECTRON_BINDING_COMMAND = 'npm run electron:sqlite'

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
 * there and its stamp (if any) names this Electron; otherwise off, with the line to log
 * saying why and what to run.
 */
export function electronStoreOption(
  appPath: string,
  resourcesPath?: string,
  electronVersion: string | undefined = process.versions.electron,
): { store: StoreOptions | false; message?: string } {
  const candidates = electronBindingCandidates(appPath, resourcesPath)
  const found = candidates.find((candidate) => existsSync(candidate))
  const retry = `to record sessions, run \`${ELECTRON_BINDING_COMMAND}\` in ${appPath} (it downloads or compiles it once; docs/storage.md)`
  if (!found) {
    return {
      store: false,
      message:
        `Session library off: no better-sqlite3 build for Electron (looked for ${candidates.join(', ')}). ` +
        `Live profiling works; ${retry}.`,
    }
  }
  const builtFor = stampedElectron(found)
  if (builtFor !== undefined && electronVersion !== undefined && builtFor !== electronVersion) {
    return {
      store: false,
      message:
        `Session library off: ${found} was built for Electron ${builtFor}, this is Electron ${electronVersion}. ` +
        `Live profiling works; ${retry}.`,
    }
  }
  return { store: { nativeBinding: found } }
}

/** The Electron version the stamp beside `binding` names; undefined without a stamp. */
function stampedElectron(binding: string): string | undefined {
  try {
    const stamp = JSON.parse(
      readFileSync(join(binding, '..', ELECTRON_STAMP_NAME), 'utf8'),
    ) as unknown
    const electron = (stamp as { electron?: unknown } | null)?.electron
    return typeof electron === 'string' ? electron : undefined
  } catch {
    return undefined
  }
}
