/**
 * Exports: a session — the live one, or one from the library — written to a file, as a
 * session file or as a report. Both destinations use this: the Electron shell writes where
 * its save dialog says (shell/export-dialog.ts), browser mode to the download shelf
 * (downloads.ts). `prepareExport` settles what is exported and its file name first, so the
 * save dialog can propose the name before anything is read.
 *
 * A session file is streamed: a stored session is read a page at a time, so a million
 * queries never sit in memory. A report needs the whole session for its analysis, so its
 * queries are gathered first; it is then written a line at a time. Both are written to a
 * temp file and renamed, so a failed export leaves nothing half-written under the name.
 */
import { randomBytes } from 'node:crypto'
import { open, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { AppInfo, QueryRecord, SessionCounters } from '../../shared/domain'
import {
  LIVE_SESSION,
  type ExportFormat,
  type ExportRequest,
  type ReportSection,
} from '../../shared/library'
import { buildReport } from '../report/report'
import { reportOptions, type ReportFormat, type ReportSection as Section } from '../report/options'
import { renderReport } from '../report/render'
import {
  createRedactor,
  SESSION_FORMAT,
  SESSION_VERSION,
  writeSessionFile,
  type RedactionOptions,
  type Redactor,
  type SessionFile,
  type SessionFileHeader,
} from '../session/session-file'
import type { LiveSession } from '../session/live-session'
import type { SessionStore } from '../store/session-store'

// The export dialog offers the report's own sections; this fails to compile if they part.
const sameSections: [ReportSection, Section] extends [Section, ReportSection] ? true : never = true
void sameSections

/** What the Profiler offers of the live session. */
export interface LiveSessionSource {
  readonly sessionId: string
  readonly sessionStartedAt: number
  readonly session: Pick<LiveSession, 'firstId' | 'lastId' | 'get'>
  appsList(): AppInfo[]
  counters(): SessionCounters
}

export interface ExportSources {
  live: LiveSessionSource
  /** The library, when it is open. */
  store: () => SessionStore
}

/** An export whose session is known, ready to be written. */
export interface ExportJob {
  request: ExportRequest
  /** A name for the file: the session's name and the format's extension. */
  fileName: string
  contentType: string
  /** Writes the export to `path` (atomically); returns its size in bytes. */
  write(path: string): Promise<number>
}

/** Queries read so far, of `total`, while a job writes. */
export type ExportProgressListener = (done: number, total: number) => void

interface ExportSource {
  header: SessionFileHeader
  queries: Iterable<QueryRecord>
  total: number
}

const EXTENSIONS: Record<ExportFormat, string> = {
  json: '.json',
  'report-json': '.report.json',
  text: '.txt',
  markdown: '.md',
  html: '.html',
}

const CONTENT_TYPES: Record<ExportFormat, string> = {
  json: 'application/json',
  'report-json': 'application/json',
  text: 'text/plain; charset=utf-8',
  markdown: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
}

const REPORT_FORMATS: Record<Exclude<ExportFormat, 'json'>, ReportFormat> = {
  'report-json': 'json',
  text: 'text',
  markdown: 'markdown',
  html: 'html',
}

/** Progress is reported every this many queries (and at the end). */
const PROGRESS_STEP = 2000
/** Report lines gathered before each write to the file. */
const WRITE_BYTES = 1024 * 1024

/**
 * Finds the session the request names and what its file is called. Rejects for an unknown
 * stored session, or a stored one while the library is unavailable.
 */
export async function prepareExport(
  request: ExportRequest,
  sources: ExportSources,
  onProgress: ExportProgressListener = () => {},
): Promise<ExportJob> {
  const source =
    request.id === LIVE_SESSION ? liveSource(sources.live) : await storedSource(sources, request.id)
  const { session } = source.header
  return {
    request,
    fileName: exportFileName(session.name, session.startedAt, request.format),
    contentType: CONTENT_TYPES[request.format],
    write: (path) => writeExport(source, request, path, onProgress),
  }
}

/**
 * The live session as it is when the export starts: queries arriving while it is written
 * are left for the next one, and those evicted meanwhile (a full ring) are skipped.
 */
function liveSource(live: LiveSessionSource): ExportSource {
  const { sessionId } = live
  const first = live.session.firstId
  const last = live.session.lastId
  function* queries(): Generator<QueryRecord> {
    for (let id = first; id <= last; id++) {
      if (live.sessionId !== sessionId) {
        throw new Error('the live session was cleared while it was being exported')
      }
      const query = live.session.get(id)
      if (query) yield query
    }
  }
  const counters = live.counters()
  return {
    header: {
      session: { id: sessionId, startedAt: live.sessionStartedAt, endedAt: Date.now() },
      apps: live.appsList(),
      counters,
    },
    queries: queries(),
    total: Math.max(0, last - first + 1),
  }
}

async function storedSource(sources: ExportSources, id: string): Promise<ExportSource> {
  const exported = await sources.store().exportSession(id)
  if (!exported) throw new Error(`no session ${id} in the library`)
  return {
    header: exported.header,
    queries: exported.queries,
    total: exported.header.counters.stored,
  }
}

async function writeExport(
  source: ExportSource,
  request: ExportRequest,
  path: string,
  onProgress: ExportProgressListener,
): Promise<number> {
  const redaction = redactionFor(request, source.header.apps)
  if (request.format === 'json') {
    // The writer redacts, so the findings it works out still see the real values.
    const queries = counted(source.queries, source.total, onProgress)
    return (await writeSessionFile(path, source.header, queries, { redact: redaction })).bytes
  }
  const redact = redaction && createRedactor(redaction)
  const session: SessionFile = {
    format: SESSION_FORMAT,
    version: SESSION_VERSION,
    ...source.header,
    queries: [...counted(source.queries, source.total, onProgress, redact)],
  }
  const options = reportOptions(request.kind ?? 'detailed', request.sections)
  const report = buildReport(session, {}, { queries: options.sections.includes('queries') })
  await writeLines(path, renderReport(report, REPORT_FORMATS[request.format], options))
  return (await stat(path)).size
}

function redactionFor(request: ExportRequest, apps: AppInfo[]): RedactionOptions | undefined {
  if (request.redact) return { apps, dropParams: request.dropParams }
  // Parameters dropped, nothing else touched.
  if (request.dropParams) return { rules: [], sqlLiterals: false, dropParams: true }
  return undefined
}

function* counted(
  queries: Iterable<QueryRecord>,
  total: number,
  onProgress: ExportProgressListener,
  redact?: Redactor,
): Generator<QueryRecord> {
  let done = 0
  onProgress(0, total)
  for (const query of queries) {
    yield redact ? redact(query) : query
    if (++done % PROGRESS_STEP === 0) onProgress(done, Math.max(total, done))
  }
  onProgress(done, done)
}

/** Lines to a temp file beside `path`, fsynced, then renamed over it. */
async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`)
  const handle = await open(temp, 'w', 0o600)
  try {
    let text = ''
    for (const line of lines) {
      text += line + '\n'
      if (text.length >= WRITE_BYTES) {
        await handle.write(text)
        text = ''
      }
    }
    await handle.write(text)
    await handle.sync()
    await handle.close()
    await rename(temp, path)
  } catch (error) {
    await handle.close().catch(() => {})
    await rm(temp, { force: true })
    throw error
  }
}

/** `Checkout flow.json`, `session-2025-11-26-0941.report.json`: safe on every file system. */
export function exportFileName(
  name: string | undefined,
  startedAt: number,
  format: ExportFormat,
): string {
  const fromName = (name ?? '')
    .normalize('NFKC')
    // Characters Windows, macOS or a shell would trip on, and control characters.
    // eslint-disable-next-line no-control-regex -- control characters are what it removes
    .replace(/[<>:"/\\|?*\u0000-\u001f\u007f]+/g, '-')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.-]+|[\s.-]+$/g, '')
    .slice(0, 100)
  return `${fromName || `session-${compactMinute(startedAt)}`}${EXTENSIONS[format]}`
}

/** `2025-11-26-0941`, local time. */
function compactMinute(epochMs: number): string {
  const date = new Date(epochMs)
  const two = (n: number) => String(n).padStart(2, '0')
  return (
    `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}-` +
    `${two(date.getHours())}${two(date.getMinutes())}`
  )
}
