/**
 * The logic of scripts/electron-sqlite.js: a better-sqlite3 built for Electron's ABI, kept
 * apart from the one npm built for Node (which `npm test`, the CLI and the benchmarks load).
 *
 *   inspect(root)        what is installed: Electron (version, binary?), better-sqlite3
 *                        (version, folder), the Electron addon and its stamp
 *   decide(state, ...)   skip (and why) / up to date / build (and why)
 *   buildAddon(...)      in a scratch copy of the better-sqlite3 package: prebuild-install
 *                        for Electron, else node-gyp against Electron's headers
 *   installAddon(...)    copies the result to build/native/better_sqlite3-electron.node and
 *                        writes the stamp beside it (what it was built for)
 *
 * Plain Node (it runs at `npm install`, before anything is compiled), no dependencies, and
 * the running of commands is passed in, so tests drive all of it without a network.
 */
import { Buffer } from 'node:buffer'
import { spawn } from 'node:child_process'
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  closeSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import process from 'node:process'

/** The file the Electron shell looks for (src/main/store/native-binding.ts). */
export const BINDING_NAME = 'better_sqlite3-electron.node'
/** What the addon beside it was built for. */
export const STAMP_NAME = 'better_sqlite3-electron.json'
/** A build that failed, and for what: `npm start` does not try the same one again. */
export const FAILED_NAME = 'better_sqlite3-electron.failed.json'
export const HEADERS_URL = 'https://electronjs.org/headers'
export const RETRY_COMMAND = 'npm run electron:sqlite'

/** Where the Electron addon goes in a checkout. */
export function nativeDir(root) {
  return join(root, 'build', 'native')
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return undefined
  }
}

/**
 * What is installed under `root`. Electron 45 downloads its binary on first use, not at
 * `npm install`: `binary` is null until then (`node_modules/electron/path.txt` names it,
 * under `dist/`).
 */
export function inspect(root, platform = { platform: process.platform, arch: process.arch }) {
  const electronDir = join(root, 'node_modules', 'electron')
  const electronPackage = readJson(join(electronDir, 'package.json'))
  let electron = null
  if (electronPackage?.version) {
    let binary = null
    const pathFile = join(electronDir, 'path.txt')
    if (existsSync(pathFile)) {
      const file = join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim())
      if (existsSync(file)) binary = file
    }
    electron = { version: electronPackage.version, binary }
  }
  const sqliteDir = join(root, 'node_modules', 'better-sqlite3')
  const sqlitePackage = readJson(join(sqliteDir, 'package.json'))
  const sqlite = sqlitePackage?.version ? { version: sqlitePackage.version, dir: sqliteDir } : null
  const dir = nativeDir(root)
  const file = join(dir, BINDING_NAME)
  return {
    electron,
    sqlite,
    addon: {
      file,
      exists: existsSync(file) && statSync(file).size > 0,
      stamp: readJson(join(dir, STAMP_NAME)) ?? null,
      failed: readJson(join(dir, FAILED_NAME)) ?? null,
    },
    platform,
  }
}

/** The stamp an addon built now would get. */
export function stampFor(state, how) {
  return {
    electron: state.electron.version,
    betterSqlite3: state.sqlite.version,
    platform: state.platform.platform,
    arch: state.platform.arch,
    how,
  }
}

/** Why the addon in place does not fit what is installed, or null when it does. */
export function staleness(state) {
  const { addon } = state
  if (!addon.exists) return `no Electron build of better-sqlite3 yet`
  const stamp = addon.stamp
  if (!stamp) return 'the Electron build in place has no record of what it was built for'
  if (stamp.electron !== state.electron.version) {
    return `the Electron build in place is for Electron ${stamp.electron}, installed is ${state.electron.version}`
  }
  if (stamp.betterSqlite3 !== state.sqlite.version) {
    return `the Electron build in place is of better-sqlite3 ${stamp.betterSqlite3}, installed is ${state.sqlite.version}`
  }
  if (stamp.platform !== state.platform.platform || stamp.arch !== state.platform.arch) {
    return `the Electron build in place is for ${stamp.platform}-${stamp.arch}, this is ${state.platform.platform}-${state.platform.arch}`
  }
  return null
}

/**
 * What to do. `when`: `postinstall` (only once Electron's binary is there: npm ci in CI has
 * none, and must stay fast), `start` (before `npm start` opens Electron: only when a window
 * can open at all, and not again after a failure with the same versions), `manual`
 * (`npm run electron:sqlite`: whenever Electron is installed).
 * `force` rebuilds an addon that looks current.
 */
export function decide(state, { when = 'manual', force = false, display = true } = {}) {
  if (!state.electron) return { action: 'skip', reason: 'the electron package is not installed' }
  if (!state.sqlite) return { action: 'skip', reason: 'better-sqlite3 is not installed' }
  if (when === 'postinstall' && !state.electron.binary) {
    return {
      action: 'skip',
      reason: "Electron's binary is not downloaded yet",
      then: `the first \`npm start\` builds better-sqlite3 for Electron before it opens it (or run \`${RETRY_COMMAND}\` now)`,
    }
  }
  if (when === 'start' && !display) {
    return { action: 'skip', reason: 'there is no display, so Electron will not open' }
  }
  const stale = staleness(state)
  const failed = state.addon.failed
  if (
    when === 'start' &&
    stale &&
    failed?.electron === state.electron.version &&
    failed?.betterSqlite3 === state.sqlite.version
  ) {
    // Offline, a start would wait on the same timeouts every time: only an install or
    // `npm run electron:sqlite` tries again.
    return {
      action: 'skip',
      reason: `the last build for Electron ${failed.electron} failed (${failed.reason})`,
    }
  }
  if (!stale && !force) {
    return {
      action: 'current',
      reason: `better-sqlite3 ${state.sqlite.version} for Electron ${state.electron.version} is in place`,
    }
  }
  return { action: 'build', reason: stale ?? 'rebuild asked for' }
}

/** Whether a display exists for Electron's window (Linux needs X11 or Wayland). */
export function hasDisplay(env = process.env, platform = process.platform) {
  return platform !== 'linux' || Boolean(env.DISPLAY || env.WAYLAND_DISPLAY)
}

/**
 * The environment for the build commands: npm's settings for the project's own install
 * (`nodedir`, `target`, `runtime`, `build_from_source`, ...) would otherwise point node-gyp
 * at Node's headers and prebuild-install at Node's ABI.
 */
export function buildEnv(env, electronVersion) {
  const clean = {}
  for (const [key, value] of Object.entries(env)) {
    if (
      /^npm_config_(nodedir|target|runtime|disturl|dist_url|build_from_source|devdir)$/i.test(key)
    ) {
      continue
    }
    clean[key] = value
  }
  return {
    ...clean,
    npm_config_runtime: 'electron',
    npm_config_target: electronVersion,
    npm_config_disturl: HEADERS_URL,
  }
}

/** node-gyp: the one npm runs scripts with, else the one bundled with npm, else on PATH. */
export function findNodeGyp(env = process.env, execPath = process.execPath) {
  if (env.npm_config_node_gyp && existsSync(env.npm_config_node_gyp)) {
    return [execPath, [env.npm_config_node_gyp]]
  }
  const bundled = join(
    dirname(execPath),
    '..',
    'lib',
    'node_modules',
    'npm',
    'node_modules',
    'node-gyp',
    'bin',
    'node-gyp.js',
  )
  if (existsSync(bundled)) return [execPath, [bundled]]
  return ['node-gyp', []]
}

/** better-sqlite3's own prebuild-install (its dependency, wherever npm put it). */
export function findPrebuildInstall(root) {
  try {
    const fromPackage = createRequire(join(root, 'node_modules', 'better-sqlite3', 'package.json'))
    return fromPackage.resolve('prebuild-install/bin.js')
  } catch {
    return join(root, 'node_modules', 'prebuild-install', 'bin.js')
  }
}

/** The two ways to an Electron build, in order: a download, then a compile. */
export function buildSteps({
  root,
  electronVersion,
  env = process.env,
  execPath = process.execPath,
}) {
  const [gyp, gypArgs] = findNodeGyp(env, execPath)
  return [
    {
      how: 'prebuilt',
      command: execPath,
      args: [
        findPrebuildInstall(root),
        '--runtime',
        'electron',
        '--target',
        electronVersion,
        '--verbose',
      ],
      timeoutMs: 2 * 60_000,
    },
    {
      how: 'compiled',
      command: gyp,
      args: [
        ...gypArgs,
        'rebuild',
        '--release',
        '--runtime=electron',
        `--target=${electronVersion}`,
        `--dist-url=${HEADERS_URL}`,
      ],
      timeoutMs: 15 * 60_000,
    },
  ]
}

/** A native library's first bytes: ELF, Mach-O (either byte order, or universal), or PE. */
export function looksLikeAddon(file) {
  let fd
  try {
    fd = openSync(file, 'r')
    const head = Buffer.alloc(4)
    if (readSync(fd, head, 0, 4, 0) < 4) return false
    const magic = head.readUInt32BE(0)
    return (
      magic === 0x7f454c46 ||
      [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(magic) ||
      head.readUInt16BE(0) === 0x4d5a
    )
  } catch {
    return false
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/**
 * Builds the addon in a scratch copy of the better-sqlite3 package (never in
 * node_modules, whose build is Node's), trying each step until one leaves
 * `build/Release/better_sqlite3.node`. `run(step, cwd)` runs a step and resolves with
 * `{ ok, detail }` (the tests pass one that fakes a build). Resolves with the built file
 * (still in the scratch folder: call `cleanup` after installing it) or with why not.
 */
export async function buildAddon({ packageDir, steps, run, scratchRoot = tmpdir() }) {
  const scratch = mkdtempSync(join(scratchRoot, 'fop-electron-sqlite-'))
  const cleanup = () => rmSync(scratch, { recursive: true, force: true })
  const workDir = join(scratch, basename(packageDir))
  try {
    // Without its `build` (Node's addon, which must not be mistaken for the result).
    cpSync(packageDir, workDir, {
      recursive: true,
      filter: (source) => source !== join(packageDir, 'build'),
    })
  } catch (error) {
    cleanup()
    return { ok: false, reason: `could not copy better-sqlite3: ${error.message}` }
  }
  const built = join(workDir, 'build', 'Release', 'better_sqlite3.node')
  const failures = []
  for (const step of steps) {
    rmSync(join(workDir, 'build'), { recursive: true, force: true })
    let result
    try {
      result = await run(step, workDir)
    } catch (error) {
      result = { ok: false, detail: error.message }
    }
    if (result.ok && existsSync(built) && looksLikeAddon(built)) {
      return { ok: true, file: built, how: step.how, cleanup }
    }
    failures.push(`${step.how}: ${result.ok ? 'no addon came out' : result.detail}`)
  }
  cleanup()
  return { ok: false, reason: failures.join('; ') }
}

/**
 * Puts the built addon in place (a copy renamed over the old one, so Electron never sees
 * half a file), then its stamp: an addon without a matching stamp is rebuilt next time.
 */
export function installAddon(builtFile, dir, stamp) {
  mkdirSync(dir, { recursive: true })
  const target = join(dir, BINDING_NAME)
  const partial = `${target}.${process.pid}.tmp`
  rmSync(join(dir, STAMP_NAME), { force: true })
  copyFileSync(builtFile, partial)
  renameSync(partial, target)
  writeFileSync(join(dir, STAMP_NAME), `${JSON.stringify(stamp, null, 2)}\n`)
  return target
}

/**
 * Runs a step as a child process. `quiet`: its output goes to `log` (a file) rather than to
 * the terminal. Resolves `{ ok, detail }`, never rejects.
 */
export function runStep(step, cwd, { env, quiet = true, log } = {}) {
  return new Promise((resolve) => {
    let child
    const lines = []
    try {
      child = spawn(step.command, step.args, {
        cwd,
        env,
        stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
        timeout: step.timeoutMs,
        killSignal: 'SIGKILL',
      })
    } catch (error) {
      resolve({ ok: false, detail: error.message })
      return
    }
    const keep = (chunk) => {
      const text = chunk.toString()
      if (log) writeFileSync(log, text, { flag: 'a' })
      for (const line of text.split('\n')) if (line.trim()) lines.push(line.trim())
      if (lines.length > 50) lines.splice(0, lines.length - 50)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    child.on('error', (error) => resolve({ ok: false, detail: error.message }))
    child.on('close', (code, signal) => {
      if (code === 0) resolve({ ok: true, detail: '' })
      else if (signal) resolve({ ok: false, detail: `stopped after ${step.timeoutMs / 1000} s` })
      else resolve({ ok: false, detail: whyItFailed(lines) ?? `exit code ${code}` })
    })
  })
}

/**
 * What a failed build's output says went wrong, in one line: a network error if there was
 * one, else node-gyp's error (spread over several `stack` lines), else its last error line.
 */
export function whyItFailed(lines) {
  const network = lines.filter((line) =>
    /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH/.test(line),
  )
  if (network.length > 0) return clip(network[network.length - 1])
  const gypError = lines.findLastIndex((line) => /stack Error: /.test(line))
  if (gypError >= 0) {
    let text = lines[gypError].replace(/^.*?stack Error: /, '')
    for (const line of lines.slice(gypError + 1)) {
      const more = /^gyp ERR! stack (?!at )(.*)$/.exec(line)
      if (!more) break
      text += ` ${more[1]}`
    }
    return clip(`node-gyp: ${text}`)
  }
  const errors = lines.filter(
    (line) => /err|fail|cannot|not found/i.test(line) && !/not ok$/.test(line),
  )
  const line = errors[errors.length - 1] ?? lines[lines.length - 1]
  return line && clip(line)
}

function clip(line) {
  return line.length > 200 ? `${line.slice(0, 199)}…` : line
}

/**
 * The whole job. Resolves `{ status: 'skipped' | 'current' | 'built' | 'failed', line }`:
 * `line` is the one line to print. `onBuild(line)` is told before a build starts (it can
 * take a minute).
 */
export async function ensureElectronSqlite({
  root,
  when = 'manual',
  force = false,
  display = hasDisplay(),
  run,
  steps,
  scratchRoot,
  onBuild = () => {},
}) {
  const state = inspect(root)
  const decision = decide(state, { when, force, display })
  const prefix = 'electron-sqlite:'
  if (decision.action === 'skip') {
    return {
      status: 'skipped',
      line:
        `${prefix} skipped: ${decision.reason}; ` +
        (decision.then ??
          `the desktop app runs without the session library until \`${RETRY_COMMAND}\` builds better-sqlite3 for Electron`) +
        '.',
    }
  }
  if (decision.action === 'current') {
    return { status: 'current', line: `${prefix} ${decision.reason}.` }
  }
  onBuild(
    `${prefix} building better-sqlite3 ${state.sqlite.version} for Electron ${state.electron.version} (${decision.reason})…`,
  )
  const built = await buildAddon({
    packageDir: state.sqlite.dir,
    steps: steps ?? buildSteps({ root, electronVersion: state.electron.version }),
    run,
    scratchRoot,
  })
  const failedFile = join(nativeDir(root), FAILED_NAME)
  if (!built.ok) {
    mkdirSync(nativeDir(root), { recursive: true })
    writeFileSync(
      failedFile,
      `${JSON.stringify({ ...stampFor(state, 'failed'), reason: built.reason }, null, 2)}\n`,
    )
    return {
      status: 'failed',
      line: `${prefix} skipped: could not build better-sqlite3 for Electron ${state.electron.version} (${decision.reason}): ${built.reason.replace(/\.$/, '')}. Offline? The desktop app runs without the session library; retry with \`${RETRY_COMMAND}\`.`,
    }
  }
  try {
    installAddon(built.file, nativeDir(root), stampFor(state, built.how))
    rmSync(failedFile, { force: true })
  } finally {
    built.cleanup()
  }
  return {
    status: 'built',
    line: `${prefix} better-sqlite3 ${state.sqlite.version} for Electron ${state.electron.version} (${built.how}) is in ${join('build', 'native', BINDING_NAME)}.`,
  }
}
