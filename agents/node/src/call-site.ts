/**
 * Where in the app a query came from. Capturing is split in two so the app pays little:
 * on the hot path `captureCallSite` only asks V8 to record the frames (the text is built
 * lazily, on first read of `.stack`); at flush time `callSiteFrames` reads and parses that
 * text and keeps the app's own frames, so the first frame sent is the call site: the first
 * one outside `node_modules`, Node's internals and this agent.
 *
 * Parsing the text rather than asking V8 for structured call sites keeps whatever source-map
 * support the app installed (ts-node, tsx, --enable-source-maps): the positions are the
 * ones the developer sees.
 */
import { dirname, basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { StackFrame } from './protocol'

/** What the hot path keeps: V8 fills `stack` lazily. */
export interface CapturedCallSite {
  stack?: string
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

/**
 * Parsed stacks by their text: a loop issues its query from the same place again and again,
 * and the text is all that differs between call sites. Bounded; starts over when full.
 */
const parsedStacks = new Map<string, StackFrame[] | undefined>()
const MAX_PARSED_STACKS = 2_000

/** The frames to send for a captured stack, the call site first; undefined when none. */
export function callSiteFrames(captured: CapturedCallSite): StackFrame[] | undefined {
  let text: unknown
  try {
    text = captured.stack
  } catch {
    return undefined
  }
  if (typeof text !== 'string') return undefined
  if (parsedStacks.has(text)) return parsedStacks.get(text)
  const frames = appFrames(parseStack(text))
  if (parsedStacks.size >= MAX_PARSED_STACKS) parsedStacks.clear()
  parsedStacks.set(text, frames)
  return frames
}

function appFrames(frames: StackFrame[]): StackFrame[] | undefined {
  const app: StackFrame[] = []
  const fallback: StackFrame[] = []
  for (const frame of frames) {
    if (isOwnFile(frame.file)) continue
    if (isLibraryFile(frame.file)) {
      if (fallback.length < MAX_FALLBACK_FRAMES) fallback.push(frame)
      continue
    }
    app.push(frame)
    if (app.length >= MAX_APP_FRAMES) break
  }
  if (app.length > 0) return app
  return fallback.length > 0 ? fallback : undefined
}

/** Parses V8's `    at fn (file:line:col)` lines; lines that are not frames are skipped. */
export function parseStack(text: string): StackFrame[] {
  const frames: StackFrame[] = []
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim()
    if (!line.startsWith('at ')) continue
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

/**
 * This agent's own folder (`src` in development, `dist` once built), found from where this
 * module runs. When a bundler has merged the agent into the app's own file, the folder would
 * be the app's too, so it is not used then: the capture already starts above the agent's
 * frames (`captureCallSite`'s `above`).
 */
const ownFolder: string | undefined = (() => {
  const here = captureCallSite(1, captureCallSite)
  const frames = here ? parseStack(String(here.stack)) : []
  const file = frames[0]?.file
  if (!file || !/^call-site\.[cm]?[jt]s$/.test(basename(file))) return undefined
  return dirname(file)
})()

function isOwnFile(file: string): boolean {
  return ownFolder !== undefined && dirname(file) === ownFolder
}
