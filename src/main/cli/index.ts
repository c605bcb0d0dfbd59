/**
 * The command line: `fastorm-profiler <command>` (bin/fastorm-profiler.js loads this file,
 * built to out/main/cli.js). Exit codes: 0 success, 2 bad usage or bad input with a one-line
 * error on stderr; each command's own codes are in its help.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { startCore, type Core, type CoreOptions } from '../core/core'
import { appRoot, builtDemoScript, defaultDataDir } from '../core/paths'
import { loadOrCreateToken } from '../ingest/auth'
import { DEFAULT_PORT } from '../server/server'
import { readSessionFile, SessionFileError, writeSessionFile } from '../session/session-file'
import { analyzeSessionFile, buildReport, type BuildOptions } from '../report/report'
import {
  parseSections,
  REPORT_FORMATS,
  REPORT_KINDS,
  reportOptions,
  type ReportSection,
} from '../report/options'
import { renderReport } from '../report/render'
import { chunked, writeReportFile } from '../report/write-file'
import {
  CHECK_FLAGS,
  CHECK_LIMITS,
  checkSession,
  formatCheckResult,
  type CheckLimits,
} from '../report/check'
import { compareSessions, formatDiffText } from '../report/diff'
import { createRedactor } from '../session/redaction'
import type { AnalysisSettings } from '../../shared/analysis'
import { DEFAULT_ANALYSIS_SETTINGS } from '../../shared/analysis'
import { analysisSettingsSchema } from '../../shared/api-schemas'

export const USAGE = `FastORM Profiler — live database query profiler

Usage: fastorm-profiler <command> [options]

Commands:
  start                      open the desktop app (or the browser-mode UI where Electron cannot run)
  serve                      run the core headless and serve the UI in a browser; records
                             each session into the library in the data directory
      [--port N] [--host H] [--token T] [--data-dir D] [--capacity N] [analysis options]
  record --out FILE          record what agents send; write a session file on SIGINT/SIGTERM
      [--duration SECONDS] [--port N] [--host H] [--token T] [--data-dir D] [analysis options]
  report FILE [--format text|markdown|json|html] [--kind summary|detailed]
      [--sections a,b,c] [--out FILE] [--redact] [--drop-params] [analysis options]
                             the analysis (findings, statistics, slow and failed queries),
                             the totals and the queries of a session file; sections:
                             summary, apps, findings, fingerprints, slow, failed, queries
                             (default: the kind's; detailed has them all); --redact masks
                             values bound to secret-looking names, --drop-params every parameter
  check FILE [--max-n-plus-one N] [--max-duplicates N] [--max-slow N] [--max-failed N]
      [analysis options]     exit 1 when a session is over a limit (printing which, the count
                             and the worst query shapes with their call sites), 0 when within
  diff A B [--format text|json] [analysis options]
                             compare two session files: totals, query shapes (count and time),
                             findings that appeared or disappeared, slow and failed queries
  sessions [--json] [--search TEXT] [--data-dir D]
                             list the session library (--search: name, note, app or SQL text)
  import FILE [--name NAME] [--data-dir D]
                             add a session file to the library
  export ID --out FILE [--data-dir D]
                             write a session of the library as a session file
  demo [--port N]            run the demo app (TypeORM on SQLite) against a profiler
  help                       this text

Analysis options (defaults in brackets):
  --n-plus-one-threshold N   different values of one SELECT in one context that make an N+1 [${DEFAULT_ANALYSIS_SETTINGS.nPlusOneThreshold}]
  --duplicate-threshold N    identical queries in one context that make a duplicate [${DEFAULT_ANALYSIS_SETTINGS.duplicateThreshold}]
  --write-loop-threshold N   single-row writes of one shape in one context that make a loop [${DEFAULT_ANALYSIS_SETTINGS.writeLoopThreshold}]
  --recurring-min-contexts N a small N+1 in this many contexts is a recurring insight [${DEFAULT_ANALYSIS_SETTINGS.recurringMinContexts}]
  --slow-ms MS               queries slower than this are slow [${DEFAULT_ANALYSIS_SETTINGS.slowQueryMs}]
  --outlier-factor X         ... and so are those X times over their shape's p95 [${DEFAULT_ANALYSIS_SETTINGS.outlierFactor}]
  --outlier-min-ms MS        ... when at least this slow [${DEFAULT_ANALYSIS_SETTINGS.outlierMinMs}]
  --burst-gap-ms MS          queries without a context: a pause this long ends a burst [${DEFAULT_ANALYSIS_SETTINGS.burstGapMs}]

Agents connect to ws://127.0.0.1:${DEFAULT_PORT}/agent with the token from <data-dir>/token.
Exit codes: 0 success, 1 check: a limit exceeded, 2 bad usage or bad input.`

/** Bad usage or bad input: exit code 2 with a one-line message. */
export class UsageError extends Error {}

type Output = { out: (text: string) => void; err: (text: string) => void }
const stdio: Output = {
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
}

/** Flag -> setting, for the analysis thresholds every analysing command takes. */
const ANALYSIS_FLAGS = {
  'n-plus-one-threshold': 'nPlusOneThreshold',
  'duplicate-threshold': 'duplicateThreshold',
  'write-loop-threshold': 'writeLoopThreshold',
  'recurring-min-contexts': 'recurringMinContexts',
  'slow-ms': 'slowQueryMs',
  'outlier-factor': 'outlierFactor',
  'outlier-min-ms': 'outlierMinMs',
  'burst-gap-ms': 'burstGapMs',
} as const satisfies Record<string, keyof AnalysisSettings>

type AnalysisFlag = keyof typeof ANALYSIS_FLAGS

const analysisOptions = Object.fromEntries(
  Object.keys(ANALYSIS_FLAGS).map((flag) => [flag, { type: 'string' }]),
) as { [F in AnalysisFlag]: { type: 'string' } }

const serverOptions = {
  port: { type: 'string' },
  host: { type: 'string' },
  token: { type: 'string' },
  'data-dir': { type: 'string' },
  capacity: { type: 'string' },
  ...analysisOptions,
} satisfies ParseArgsConfig['options']

/** Runs a command; resolves with the exit code once the command is over. */
export async function run(argv: string[], io: Output = stdio): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'serve':
        return await serve(rest, io)
      case 'record':
        return await record(rest, io)
      case 'report':
        return await report(rest, io)
      case 'check':
        return await check(rest, io)
      case 'diff':
        return await diff(rest, io)
      case 'start':
        return await start(rest, io)
      case 'demo':
        return await demo(rest, io)
      case 'sessions':
      case 'import':
      case 'export':
        return await library(command, rest, io)
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE)
        return 0
      case undefined:
        throw new UsageError('missing command; try `fastorm-profiler help`')
      default:
        throw new UsageError(`unknown command "${command}"; try \`fastorm-profiler help\``)
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof SessionFileError) {
      io.err(`fastorm-profiler: ${error.message}`)
      return 2
    }
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE') {
      io.err(
        `fastorm-profiler: the port is in use (is FastORM Profiler already running?); pick another with --port`,
      )
      return 2
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      io.err(`fastorm-profiler: cannot listen on that host (${(error as Error).message})`)
      return 2
    }
    throw error
  }
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true })
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]!)
  }
}

function integerOption(
  value: string | undefined,
  name: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined
  const number = Number(value)
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`)
  }
  return number
}

/** The analysis settings the flags give, checked against the same rules as the API's. */
function analysisSettings(values: { [F in AnalysisFlag]?: string }): Partial<AnalysisSettings> {
  const settings: Partial<AnalysisSettings> = {}
  for (const [flag, key] of Object.entries(ANALYSIS_FLAGS) as [
    AnalysisFlag,
    keyof AnalysisSettings,
  ][]) {
    const raw = values[flag]
    if (raw === undefined) continue
    const value = raw.trim() === '' ? NaN : Number(raw)
    const checked = analysisSettingsSchema.safeParse({ [key]: value })
    if (!Number.isFinite(value) || !checked.success) {
      const rule =
        key.endsWith('Threshold') || key === 'recurringMinContexts'
          ? 'a whole number from 2 to 1000000'
          : key === 'outlierFactor'
            ? 'a number of at least 1'
            : key === 'outlierMinMs'
              ? 'a number of milliseconds, 0 or more'
              : 'a number of milliseconds above 0'
      throw new UsageError(`--${flag} must be ${rule}, got "${raw}"`)
    }
    settings[key] = value
  }
  return settings
}

function coreOptions(
  values: {
    port?: string
    host?: string
    token?: string
    'data-dir'?: string
    capacity?: string
  } & { [F in AnalysisFlag]?: string },
): CoreOptions {
  const token = values.token ?? process.env.FASTORM_PROFILER_TOKEN
  if (token !== undefined && !/^[A-Za-z0-9_-]{16,256}$/.test(token)) {
    throw new UsageError('--token must be 16 to 256 characters of A-Z, a-z, 0-9, _ or -')
  }
  return {
    port: integerOption(values.port, 'port', 0, 65535),
    host: values.host,
    token,
    dataDir: values['data-dir'] ? resolve(values['data-dir']) : undefined,
    capacity: integerOption(values.capacity, 'capacity', 1, 50_000_000),
    analysis: analysisSettings(values),
  }
}

function printEndpoints(core: Core, io: Output): void {
  io.out(`FastORM Profiler is running.`)
  io.out(`  UI (open in a browser): ${core.uiUrl}`)
  io.out(`  Agent URL:              ${core.agentUrl}`)
  io.out(`  Token file:             ${join(core.dataDir, 'token')}`)
  if (core.library) io.out(`  Session library:        ${core.library.store.file}`)
  if (core.libraryError) io.out(`  Session library:        off (${core.libraryError})`)
  if (
    core.server.host !== '127.0.0.1' &&
    core.server.host !== 'localhost' &&
    core.server.host !== '::1'
  ) {
    io.out(
      `  Listening on ${core.server.host}: reachable from other machines, protected by the token.`,
    )
  }
}

/** Resolves when SIGINT or SIGTERM arrives, or after `seconds` if given. */
function untilStopped(seconds?: number): Promise<string> {
  return new Promise((resolvePromise) => {
    const done = (why: string) => {
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
      clearTimeout(timer)
      resolvePromise(why)
    }
    const onInt = () => done('SIGINT')
    const onTerm = () => done('SIGTERM')
    process.on('SIGINT', onInt)
    process.on('SIGTERM', onTerm)
    const timer =
      seconds === undefined ? undefined : setTimeout(() => done('duration'), seconds * 1000)
  })
}

async function serve(args: string[], io: Output): Promise<number> {
  const { values } = parse(args, serverOptions)
  const core = await startCore({ ...coreOptions(values), store: true })
  printEndpoints(core, io)
  await untilStopped()
  await core.close()
  io.out('FastORM Profiler stopped.')
  return 0
}

async function record(args: string[], io: Output): Promise<number> {
  const { values } = parse(args, {
    ...serverOptions,
    out: { type: 'string' },
    duration: { type: 'string' },
  })
  if (!values.out) throw new UsageError('record needs --out FILE')
  const out = resolve(values.out)
  if (!existsSync(dirname(out)) || !statSync(dirname(out)).isDirectory()) {
    throw new UsageError(`cannot write ${out}: folder ${dirname(out)} does not exist`)
  }
  let duration: number | undefined
  if (values.duration !== undefined) {
    duration = Number(values.duration)
    if (!Number.isFinite(duration) || duration <= 0) {
      throw new UsageError(
        `--duration must be a number of seconds above 0, got "${values.duration}"`,
      )
    }
  }
  const core = await startCore(coreOptions(values))
  printEndpoints(core, io)
  io.out(`Recording to ${out}${duration ? ` for ${duration} s` : ''}; stop with Ctrl-C.`)
  await untilStopped(duration)
  const { profiler } = core
  const endedAt = Date.now()
  await writeSessionFile(
    out,
    {
      session: { id: profiler.sessionId, startedAt: profiler.sessionStartedAt, endedAt },
      apps: profiler.appsList(),
      counters: profiler.counters(),
      // The findings as the live analysis had them, and the settings it found them with.
      settings: { ...profiler.analyzer.settings },
      ...profiler.analyzer.findingsResult(),
    },
    profiler.queries(),
  )
  const counters = profiler.counters()
  await core.close()
  io.out(`Wrote ${counters.stored} queries from ${profiler.appsList().length} app(s) to ${out}.`)
  return 0
}

async function report(args: string[], io: Output): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      format: { type: 'string', default: 'text' },
      kind: { type: 'string', default: 'detailed' },
      sections: { type: 'string' },
      out: { type: 'string' },
      redact: { type: 'boolean', default: false },
      'drop-params': { type: 'boolean', default: false },
      ...analysisOptions,
    },
    true,
  )
  if (positionals.length !== 1) throw new UsageError('report needs exactly one session FILE')
  const format = oneOf(values.format, REPORT_FORMATS, 'format')
  const kind = oneOf(values.kind, REPORT_KINDS, 'kind')
  let sections: ReportSection[] | undefined
  try {
    sections = values.sections === undefined ? undefined : parseSections(values.sections)
  } catch (error) {
    throw new UsageError(`--sections: ${(error as Error).message}`)
  }
  const out = values.out === undefined ? undefined : writableFile(values.out)
  const settings = analysisSettings(values)
  const options = reportOptions(kind, sections)
  const session = await readSessionFile(resolve(positionals[0]!))

  const build: BuildOptions = { queries: options.sections.includes('queries') }
  if (values.redact || values['drop-params']) {
    build.redaction = {
      // --drop-params alone drops parameters and masks nothing else.
      redactor: createRedactor({
        apps: session.apps,
        dropParams: values['drop-params'],
        ...(values.redact ? {} : { rules: [], sqlLiterals: false }),
      }),
      secrets: values.redact,
      droppedParams: values['drop-params'],
    }
  }
  const lines = renderReport(buildReport(session, settings, build), format, options)
  if (out === undefined) {
    printLines(io, lines)
  } else {
    await writeReportFile(out, lines).catch((error: NodeJS.ErrnoException) => {
      // A file-system refusal (EACCES, ENOSPC, ...) is bad input; anything else is a bug.
      throw error.code ? new UsageError(`cannot write ${out}: ${error.message}`) : error
    })
    io.out(`Wrote the ${kind} ${format} report (${options.sections.join(', ')}) to ${out}.`)
  }
  return 0
}

async function check(args: string[], io: Output): Promise<number> {
  const limitOptions = Object.fromEntries(
    CHECK_LIMITS.map((limit) => [CHECK_FLAGS[limit], { type: 'string' }]),
  ) as Record<(typeof CHECK_FLAGS)[keyof typeof CHECK_FLAGS], { type: 'string' }>
  const { values, positionals } = parse(args, { ...limitOptions, ...analysisOptions }, true)
  if (positionals.length !== 1) throw new UsageError('check needs exactly one session FILE')
  const limits: CheckLimits = {}
  for (const limit of CHECK_LIMITS) {
    const flag = CHECK_FLAGS[limit]
    const max = integerOption(values[flag], flag, 0, 1_000_000_000)
    if (max !== undefined) limits[limit] = max
  }
  const settings = analysisSettings(values)
  const file = resolve(positionals[0]!)
  const result = checkSession(analyzeSessionFile(await readSessionFile(file), settings), limits)
  printLines(io, formatCheckResult(result, positionals[0]!))
  return result.passed ? 0 : 1
}

async function diff(args: string[], io: Output): Promise<number> {
  const { values, positionals } = parse(
    args,
    { format: { type: 'string', default: 'text' }, ...analysisOptions },
    true,
  )
  if (positionals.length !== 2) throw new UsageError('diff needs two session files, A and B')
  const format = oneOf(values.format, ['text', 'json'] as const, 'format')
  const settings = analysisSettings(values)
  const [before, after] = await Promise.all(
    positionals.map(async (file) =>
      analyzeSessionFile(await readSessionFile(resolve(file)), settings),
    ),
  )
  const compared = compareSessions(before!, after!)
  printLines(io, format === 'json' ? [JSON.stringify(compared, null, 2)] : formatDiffText(compared))
  return 0
}

/** A value of a fixed list, or a usage error naming the list. */
function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag} must be ${allowed.join(', ')}; got "${value}"`)
  }
  return value as T
}

/** An output path whose folder exists. */
function writableFile(path: string): string {
  const file = resolve(path)
  if (!existsSync(dirname(file)) || !statSync(dirname(file)).isDirectory()) {
    throw new UsageError(`cannot write ${file}: folder ${dirname(file)} does not exist`)
  }
  if (existsSync(file) && statSync(file).isDirectory()) {
    throw new UsageError(`cannot write ${file}: it is a folder`)
  }
  return file
}

/** Prints lines in chunks (each `io.out` call adds the last line break). */
function printLines(io: Output, lines: Iterable<string>): void {
  for (const chunk of chunked(lines)) io.out(chunk.slice(0, -1))
}

/**
 * Whether an Electron window can open here. Electron downloads its binary on first use, not
 * at `npm install`; where that download is impossible (no route to its host) we fall back.
 */
export async function electronAvailability(): Promise<
  { ok: true; binary: string } | { ok: false; why: string }
> {
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { ok: false, why: 'there is no display' }
  }
  const electronDir = join(appRoot(), 'node_modules', 'electron')
  if (!existsSync(join(electronDir, 'install.js')))
    return { ok: false, why: 'the electron package is not installed' }
  const binary = () => {
    const pathFile = join(electronDir, 'path.txt')
    if (!existsSync(pathFile)) return undefined
    const file = join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim())
    return existsSync(file) ? file : undefined
  }
  const found = binary()
  if (found) return { ok: true, binary: found }
  const download = spawnSync(process.execPath, [join(electronDir, 'install.js')], {
    stdio: 'ignore',
    timeout: 10 * 60_000,
  })
  const downloaded = download.status === 0 ? binary() : undefined
  return downloaded
    ? { ok: true, binary: downloaded }
    : { ok: false, why: 'the Electron binary could not be downloaded' }
}

async function start(args: string[], io: Output): Promise<number> {
  const electron = await electronAvailability()
  if (electron.ok) {
    const child = spawn(electron.binary, [appRoot(), ...args], { stdio: 'inherit' })
    return await new Promise<number>((resolvePromise) => {
      child.on('exit', (code) => resolvePromise(code ?? 0))
      child.on('error', (error) => {
        io.err(`fastorm-profiler: Electron failed to start (${error.message})`)
        resolvePromise(1)
      })
    })
  }
  io.out(`Electron cannot run here (${electron.why}); serving the same UI in browser mode instead.`)
  return serve(args, io)
}

async function demo(args: string[], io: Output): Promise<number> {
  const { values } = parse(args, { ...serverOptions })
  const script = builtDemoScript()
  if (!existsSync(script))
    throw new UsageError(`the demo is not built (${script}); run npm run build`)
  const options = coreOptions(values)
  const port = options.port ?? DEFAULT_PORT
  const dataDir = options.dataDir ?? defaultDataDir()

  // A profiler already running on the port (the desktop app, or `serve`): feed it.
  if (await isProfilerListening(port)) {
    const token = options.token ?? loadOrCreateToken(dataDir)
    io.out(`Sending the demo app's queries to the profiler on port ${port}.`)
    return runDemoApp(script, `ws://127.0.0.1:${port}/agent`, token)
  }
  const core = await startCore({ ...options, port })
  printEndpoints(core, io)
  io.out('Running the demo app; the profiler keeps serving afterwards. Stop with Ctrl-C.')
  const stopped = untilStopped()
  const exitCode = await runDemoApp(script, core.agentUrl, core.token)
  io.out(
    `Demo app finished (exit code ${exitCode}); ${core.profiler.counters().received} queries received.`,
  )
  await stopped
  await core.close()
  return 0
}

function runDemoApp(script: string, agentUrl: string, token: string): Promise<number> {
  const child = spawn(process.execPath, ['--enable-source-maps', script], {
    stdio: 'inherit',
    env: { ...process.env, FASTORM_PROFILER_URL: agentUrl, FASTORM_PROFILER_TOKEN: token },
  })
  return new Promise((resolvePromise) => {
    child.on('exit', (code) => resolvePromise(code ?? 1))
    child.on('error', () => resolvePromise(1))
  })
}

async function isProfilerListening(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, {
      signal: AbortSignal.timeout(1000),
    })
    return response.ok
  } catch {
    return false
  }
}

/** The library commands: `sessions`, `import FILE`, `export ID --out FILE`. */
async function library(
  command: 'sessions' | 'import' | 'export',
  args: string[],
  io: Output,
): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      'data-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
      search: { type: 'string' },
      name: { type: 'string' },
      out: { type: 'string' },
    },
    command !== 'sessions',
  )
  const dataDir = values['data-dir'] ? resolve(values['data-dir']) : defaultDataDir()
  if (command !== 'sessions' && positionals.length !== 1) {
    throw new UsageError(`${command} needs exactly one ${command === 'import' ? 'FILE' : 'ID'}`)
  }
  if (command === 'export' && !values.out) throw new UsageError('export needs --out FILE')
  // Loaded here, not at the top: only these commands need TypeORM and the native addon.
  const commands = await import('../store/library-cli')
  try {
    if (command === 'sessions') {
      io.out(
        await commands.listSessionsOutput({ dataDir, json: values.json, search: values.search }),
      )
    } else if (command === 'import') {
      io.out(
        await commands.importSessionOutput({
          dataDir,
          file: resolve(positionals[0]!),
          name: values.name,
        }),
      )
    } else {
      io.out(
        await commands.exportSessionOutput({
          dataDir,
          id: positionals[0]!,
          out: resolve(values.out!),
        }),
      )
    }
  } catch (error) {
    if (error instanceof SessionFileError) throw error
    throw new UsageError(`session library: ${(error as Error).message}`)
  }
  return 0
}
