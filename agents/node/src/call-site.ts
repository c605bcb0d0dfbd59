/**
 * Where in the app a query came from. Capturing is split in two so the app pays little:
 * on the hot path `captureCallSite` only asks V8 to record the frames (nothing is formatted
 * until `.stack` is first read); at flush time `callSiteFrames` reads them and keeps the
 * app's own, so the first frame sent is the call site: the first one outside
 * `node_modules`, Node's internals and this agent.
 *
 * Each frame has two places: the file V8 ran (the generated one) and the one the developer
 * sees once source maps apply (ts-node, tsx, `--enable-source-maps`). Libraries ship source
 * maps too (TypeORM's point at its own `src/`, outside any `node_modules`), so a frame is
 * judged by the file V8 ran, and the app's frames are sent as the developer sees them:
 *
 *   .stack, read once ──▶ readCallSites (a temporary Error.prepareStackTrace)
 *                           ├─ V8's CallSites ──▶ the generated frames: what ran, cache key
 *                           └─ the shown frames: the previous prepareStackTrace's text
 *                              (source-map-support, Node's own), else Node's source maps
 */
import * as nodeModule from 'node:module'
import { dirname, basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { StackFrame } from './protocol'

/** What the hot path keeps: V8 fills `stack` lazily. */
export interface CapturedCallSite {
  stack?: unknown
}

/** App frames sent per query: the call site and enough callers to see the route. */
const MAX_APP_FRAMES = 16
/** Frames sent when no app frame was captured at all (the query came from a library). */
const MAX_FALLBACK_FRAMES = 5

/**
 * Records the current stack above `above` (that function and everything it called are left
 * out), at most `limit` frames. Never throws: an environment that froze `Error` gets none.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- V8's own signature
export function captureCallSite(limit: number, above: Function): CapturedCallSite | undefined {
  const holder: CapturedCallSite = {}
  const previous = Error.stackTraceLimit
  try {
    Error.stackTraceLimit = limit
    Error.captureStackTrace(holder, above)
    return holder
  } catch {
    return undefined
  } finally {
    Error.stackTraceLimit = previous
  }
}

/** What a read through `readCallSites` leaves as `.stack`, so a second read costs nothing. */
class ReadStack<T> {
  constructor(readonly value: T) {}
}

/**
 * Frames to send, by the text of the generated frames: a loop issues its query from the same
 * place again and again, and that text is all that differs between call sites. Bounded;
 * starts over when full.
 */
const parsedStacks = new Map<string, ReadStack<StackFrame[] | undefined>>()
const MAX_PARSED_STACKS = 2_000

/** The frames to send for a captured stack, the call site first; undefined when none. */
export function callSiteFrames(captured: CapturedCallSite): StackFrame[] | undefined {
  let value: unknown
  try {
    value = readCallSites(captured, framesToSend)
  } catch {
    return undefined
  }
  if (value instanceof ReadStack) return value.value as StackFrame[] | undefined
  // Already text (read before, or `Error.prepareStackTrace` could not be replaced): only
  // the shown places are known, so they are judged instead.
  if (typeof value === 'string') return framesFromText(value)
  return undefined
}

type PrepareStackTrace = (error: Error, callSites: NodeJS.CallSite[]) => unknown
/** `Error` as V8 reads it: the formatter may be absent (older Node sets no default one). */
const errorClass = Error as { prepareStackTrace?: PrepareStackTrace }

/**
 * Reads `holder.stack` with V8's structured call sites handed to `read`, through an
 * `Error.prepareStackTrace` installed for this one read: V8 formats a stack on its first
 * read, so that is when the override must be in place. Returns a `ReadStack` of what `read`
 * gave, or whatever `.stack` held if it had been read before.
 */
function readCallSites<T>(
  holder: CapturedCallSite,
  read: (
    callSites: NodeJS.CallSite[],
    previous: PrepareStackTrace | undefined,
    holder: object,
  ) => T,
): unknown {
  const hadOwn = Object.prototype.hasOwnProperty.call(Error, 'prepareStackTrace')
  const previous = errorClass.prepareStackTrace
  const override: PrepareStackTrace = (error, callSites) => {
    // Another error formatted meanwhile (by the previous formatter itself): as it would be.
    if (error !== holder) return formatWith(previous, error, callSites)
    return new ReadStack(read(callSites, previous, holder))
  }
  let installed = false
  try {
    errorClass.prepareStackTrace = override
    installed = errorClass.prepareStackTrace === override
  } catch {
    // Frozen `Error`: `.stack` is read as text below.
  }
  try {
    return holder.stack
  } finally {
    if (installed) {
      if (hadOwn) errorClass.prepareStackTrace = previous
      else delete errorClass.prepareStackTrace
    }
  }
}

function formatWith(
  previous: PrepareStackTrace | undefined,
  error: Error,
  callSites: NodeJS.CallSite[],
): unknown {
  if (previous) return previous(error, callSites)
  // V8's own format, which Node uses when no formatter is set and source maps are off.
  const lines = callSites.map((callSite) => `\n    at ${String(callSite)}`)
  return `${errorHeader(error)}${lines.join('')}`
}

function errorHeader(error: Error): string {
  try {
    return Error.prototype.toString.call(error)
  } catch {
    return 'Error'
  }
}

/** `read` for a captured call site: the frames to send, from the cache when seen before. */
function framesToSend(
  callSites: NodeJS.CallSite[],
  previous: PrepareStackTrace | undefined,
  holder: object,
): StackFrame[] | undefined {
  // V8's own text for each frame, the same as `.stack` would hold without source maps.
  const ran = callSites.map((callSite) => String(callSite))
  const key = ran.join('\n')
  const cached = parsedStacks.get(key)
  if (cached) return cached.value
  const generated = ran.map(parseFrame)
  const shown = shownFrames(callSites, generated, previous, holder)
  const frames = appFrames(generated, shown)
  if (parsedStacks.size >= MAX_PARSED_STACKS) parsedStacks.clear()
  parsedStacks.set(key, new ReadStack(frames))
  return frames
}

/**
 * Where the developer sees each frame, by index. The previous `Error.prepareStackTrace`
 * (source-map-support, or Node's own default where Node exposes it) is asked first: its
 * text is what the app's own stack traces say. It must give one `at` line per frame to be
 * lined up with them; otherwise, and when there is none, Node's source maps are used if
 * they are on, one frame at a time, for the frames that need it.
 */
function shownFrames(
  callSites: NodeJS.CallSite[],
  generated: (StackFrame | undefined)[],
  previous: PrepareStackTrace | undefined,
  holder: object,
): (index: number) => StackFrame | undefined {
  if (previous) {
    let text: unknown
    try {
      text = previous(holder as Error, callSites)
    } catch {
      text = undefined
    }
    if (typeof text === 'string') {
      const lines = atLines(text)
      if (lines.length === callSites.length) {
        const frames = lines.map((line) => parseFrame(line.slice(3)))
        return (index) => frames[index] ?? generated[index]
      }
    }
  }
  if (nodeSourceMapsOn()) {
    return (index) => mapWithNode(callSites[index], generated[index])
  }
  return (index) => generated[index]
}

/**
 * Keeps the app's frames, as shown: a frame is a library's if the file that ran is in
 * `node_modules` (whatever its source map says), or if its source map says it came from
 * there (a library bundled into the app's own file). Only the app's frames need their shown
 * place, so a library's source map is left unread unless its frames are all there is.
 */
function appFrames(
  generated: (StackFrame | undefined)[],
  shown: (index: number) => StackFrame | undefined,
): StackFrame[] | undefined {
  const app: StackFrame[] = []
  const libraries: number[] = []
  for (let index = 0; index < generated.length; index++) {
    const ran = generated[index]
    if (!ran || isOwnFile(ran.file)) continue
    const seen = isLibraryFile(ran.file) ? undefined : (shown(index) ?? ran)
    if (!seen || isLibraryFile(seen.file)) {
      if (libraries.length < MAX_FALLBACK_FRAMES) libraries.push(index)
      continue
    }
    app.push(seen)
    if (app.length >= MAX_APP_FRAMES) break
  }
  if (app.length > 0) return app
  const fallback: StackFrame[] = []
  for (const index of libraries) {
    const frame = shown(index) ?? generated[index]
    if (frame) fallback.push(frame)
  }
  return fallback.length > 0 ? fallback : undefined
}

/** Stack text alone: each frame is judged by the place it shows. */
function framesFromText(text: string): StackFrame[] | undefined {
  const cached = parsedStacks.get(text)
  if (cached) return cached.value
  const frames = parseStack(text)
  const kept = appFrames(frames, (index) => frames[index])
  if (parsedStacks.size >= MAX_PARSED_STACKS) parsedStacks.clear()
  parsedStacks.set(text, new ReadStack(kept))
  return kept
}

function atLines(text: string): string[] {
  const lines: string[] = []
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim()
    if (line.startsWith('at ')) lines.push(line)
  }
  return lines
}

/** Parses V8's `    at fn (file:line:col)` lines; lines that are not frames are skipped. */
export function parseStack(text: string): StackFrame[] {
  const frames: StackFrame[] = []
  for (const line of atLines(text)) {
    const frame = parseFrame(line.slice(3))
    if (frame) frames.push(frame)
  }
  return frames
}

const LOCATION = /^(.*):(\d+):(\d+)$/
/** `eval at fn (file:1:2), <anonymous>:3:4`: the file that called eval is the useful part. */
const EVAL_ORIGIN = /\((.*?):(\d+):(\d+)\)/

function parseFrame(body: string): StackFrame | undefined {
  let fn: string | undefined
  let location = body
  const open = body.indexOf(' (')
  if (open > 0 && body.endsWith(')')) {
    fn = body.slice(0, open)
    location = body.slice(open + 2, -1)
  }
  if (fn?.startsWith('async ')) fn = fn.slice(6)
  else if (!fn && location.startsWith('async ')) location = location.slice(6)
  if (location.startsWith('eval at ')) {
    const origin = EVAL_ORIGIN.exec(location)
    if (!origin) return undefined
    return frame(fn, origin[1], origin[2], origin[3])
  }
  const match = LOCATION.exec(location)
  if (!match) {
    // `native`, `<anonymous>`, `index 0` (Promise.all): no place in a file to point at.
    return fn ? { function: fn, file: location } : undefined
  }
  return frame(fn, match[1], match[2], match[3])
}

function frame(fn: string | undefined, file: string, line: string, column: string): StackFrame {
  const out: StackFrame = { file: toPath(file), line: Number(line), column: Number(column) }
  if (fn) out.function = fn
  return out
}

function toPath(file: string): string {
  if (!file.startsWith('file://')) return file
  try {
    return fileURLToPath(file)
  } catch {
    return file
  }
}

export function isLibraryFile(file: string): boolean {
  return (
    file.includes('/node_modules/') ||
    file.includes('\\node_modules\\') ||
    file.startsWith('node:') ||
    file.startsWith('internal/') ||
    // `native`, `<anonymous>` and the like: not a file of the app.
    !(file.includes('/') || file.includes('\\'))
  )
}

/** The parts of `node:module` used here; `getSourceMapsSupport` is in newer Node only. */
interface SourceMapModule {
  findSourceMap?: (path: string) => { findEntry(line: number, column: number): unknown } | undefined
  getSourceMapsSupport?: () => { enabled?: unknown }
}

/** Whether Node applies source maps to stack traces (`--enable-source-maps` or at runtime). */
function nodeSourceMapsOn(): boolean {
  try {
    const support = (nodeModule as SourceMapModule).getSourceMapsSupport?.()
    if (typeof support?.enabled === 'boolean') return support.enabled
    // Node 20.7 on; before that only the flag tells.
    const enabled = (process as { sourceMapsEnabled?: unknown }).sourceMapsEnabled
    if (typeof enabled === 'boolean') return enabled
    return (
      process.execArgv.includes('--enable-source-maps') ||
      /(^|\s)--enable-source-maps(\s|$)/.test(process.env.NODE_OPTIONS ?? '')
    )
  } catch {
    return false
  }
}

/** A frame as Node's own formatter would map it; unchanged when it has no mapping. */
function mapWithNode(
  callSite: NodeJS.CallSite | undefined,
  ran: StackFrame | undefined,
): StackFrame | undefined {
  if (!callSite || !ran || ran.line === undefined || ran.column === undefined) return ran
  try {
    const findSourceMap = (nodeModule as SourceMapModule).findSourceMap
    const fileName = callSite.getFileName()
    // An eval frame's position is in the evaluated code, not in any mapped file.
    if (!findSourceMap || !fileName || callSite.isEval()) return ran
    const entry = findSourceMap(fileName)?.findEntry(ran.line - 1, ran.column - 1) as
      { originalSource?: unknown; originalLine?: unknown; originalColumn?: unknown } | undefined
    const source = entry?.originalSource
    const line = entry?.originalLine
    const column = entry?.originalColumn
    if (typeof source !== 'string' || typeof line !== 'number' || typeof column !== 'number') {
      return ran
    }
    const mapped: StackFrame = { file: toPath(source), line: line + 1, column: column + 1 }
    if (ran.function) mapped.function = ran.function
    return mapped
  } catch {
    return ran
  }
}

/**
 * This agent's own folder (`src` in development, `dist` once built), found from the file V8
 * runs this module from. When a bundler has merged the agent into the app's own file, the
 * folder would be the app's too, so it is not used then: the capture already starts above
 * the agent's frames (`captureCallSite`'s `above`).
 */
const ownFolder: string | undefined = (() => {
  const here = captureCallSite(1, captureCallSite)
  if (!here) return undefined
  let file: string | undefined
  try {
    const value = readCallSites(here, (callSites) => callSites[0]?.getFileName())
    if (value instanceof ReadStack) {
      file = typeof value.value === 'string' ? toPath(value.value) : undefined
    } else if (typeof value === 'string') {
      file = parseStack(value)[0]?.file
    }
  } catch {
    return undefined
  }
  if (!file || !/^call-site\.[cm]?[jt]s$/.test(basename(file))) return undefined
  return dirname(file)
})()

function isOwnFile(file: string): boolean {
  return ownFolder !== undefined && dirname(file) === ownFolder
}
