// Types of electron-sqlite-lib.js (plain JavaScript: it runs at `npm install`, before any
// build), for the TypeScript tests that drive it.

export const BINDING_NAME: string
export const STAMP_NAME: string
export const FAILED_NAME: string
export const HEADERS_URL: string
export const RETRY_COMMAND: string

export interface Stamp {
  electron: string
  betterSqlite3: string
  platform: string
  arch: string
  how: 'prebuilt' | 'compiled' | string
}

export interface InstallState {
  electron: { version: string; binary: string | null } | null
  sqlite: { version: string; dir: string } | null
  addon: {
    file: string
    exists: boolean
    stamp: Partial<Stamp> | null
    /** The last failed build: what it was for, and why. */
    failed: (Partial<Stamp> & { reason?: string }) | null
  }
  platform: { platform: string; arch: string }
}

export type When = 'postinstall' | 'start' | 'manual'

export interface Decision {
  action: 'skip' | 'current' | 'build'
  reason: string
  /** For a skip: what happens instead, when it is not "nothing until you run the command". */
  then?: string
}

export interface BuildStep {
  how: string
  command: string
  args: string[]
  timeoutMs: number
}

export type StepRunner = (step: BuildStep, cwd: string) => Promise<{ ok: boolean; detail: string }>

export function nativeDir(root: string): string
export function inspect(root: string, platform?: { platform: string; arch: string }): InstallState
export function stampFor(state: InstallState, how: string): Stamp
export function staleness(state: InstallState): string | null
export function decide(
  state: InstallState,
  options?: { when?: When; force?: boolean; display?: boolean },
): Decision
export function hasDisplay(env?: Record<string, string | undefined>, platform?: string): boolean
export function buildEnv(
  env: Record<string, string | undefined>,
  electronVersion: string,
): Record<string, string | undefined>
export function findNodeGyp(
  env?: Record<string, string | undefined>,
  execPath?: string,
): [string, string[]]
export function findPrebuildInstall(root: string): string
export function buildSteps(options: {
  root: string
  electronVersion: string
  env?: Record<string, string | undefined>
  execPath?: string
}): BuildStep[]
export function looksLikeAddon(file: string): boolean
export function whyItFailed(lines: string[]): string | undefined
export function buildAddon(options: {
  packageDir: string
  steps: BuildStep[]
  run: StepRunner
  scratchRoot?: string
}): Promise<
  { ok: true; file: string; how: string; cleanup: () => void } | { ok: false; reason: string }
>
export function installAddon(builtFile: string, dir: string, stamp: Stamp): string
export function runStep(
  step: BuildStep,
  cwd: string,
  options?: { env?: Record<string, string | undefined>; quiet?: boolean; log?: string },
): Promise<{ ok: boolean; detail: string }>
export function ensureElectronSqlite(options: {
  root: string
  when?: When
  force?: boolean
  display?: boolean
  run: StepRunner
  steps?: BuildStep[]
  scratchRoot?: string
  onBuild?: (line: string) => void
}): Promise<{ status: 'skipped' | 'current' | 'built' | 'failed'; line: string }>
