/**
 * `fastorm-profiler sessions`: the library of a data directory as a table or as JSON. Opens
 * the database without recovering or deleting anything, so it is safe to run while `serve`
 * records into the same directory (WAL lets it read alongside the writer).
 */
import { existsSync, rmSync } from 'node:fs'
import { writeSessionFile } from '../session/session-file'
import { libraryFile } from './index'
import { localMinute, SessionStore } from './session-store'
import type { StoredSessionSummary } from './types'

export interface ListSessionsOptions {
  dataDir: string
  json?: boolean
  search?: string
}

/** The command's output: a table with a storage line, or a JSON array of summaries. */
export async function listSessionsOutput(options: ListSessionsOptions): Promise<string> {
  const file = libraryFile(options.dataDir)
  if (!existsSync(file)) {
    return options.json ? '[]' : `No session library in ${options.dataDir} yet.`
  }
  const store = await SessionStore.open({ file })
  try {
    const sessions = await store.list({ search: options.search, limit: 10_000 })
    if (options.json) return JSON.stringify(sessions, null, 2)
    const storage = await store.storage()
    const footer =
      `${count(storage.sessions)} session(s), ${count(storage.queries)} queries, ` +
      `${formatBytes(storage.bytes)} in ${file}`
    if (sessions.length === 0) {
      return options.search ? `No session matches "${options.search}".\n${footer}` : footer
    }
    return `${table(sessions)}\n\n${footer}`
  } finally {
    await store.close()
  }
}

/**
 * `import FILE`: a session file into the library (created if need be), streamed: the file is
 * never whole in memory, and a bad one changes nothing.
 */
export async function importSessionOutput(options: {
  dataDir: string
  file: string
  name?: string
}): Promise<string> {
  const file = libraryFile(options.dataDir)
  const created = !existsSync(file)
  const store = await SessionStore.open({ file })
  let imported = false
  try {
    const id = await store.importSessionFile(options.file, { name: options.name })
    imported = true
    const queries = (await store.get(id))?.queryCount ?? 0
    return `Imported ${count(queries)} queries from ${options.file} as session ${id}.`
  } finally {
    await store.close()
    // A failed import into a library it had to create leaves no empty library behind.
    if (created && !imported) {
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true })
    }
  }
}

/** `export ID --out FILE`: a stored session as a session file (written atomically). */
export async function exportSessionOutput(options: {
  dataDir: string
  id: string
  out: string
}): Promise<string> {
  const file = libraryFile(options.dataDir)
  if (!existsSync(file)) throw new Error(`no session library in ${options.dataDir}`)
  const store = await SessionStore.open({ file })
  try {
    const exported = await store.exportSession(options.id)
    if (!exported) throw new Error(`no session ${options.id} in the library`)
    await writeSessionFile(options.out, exported.header, exported.queries)
    return `Wrote ${count(exported.header.counters.stored)} queries of session ${options.id} to ${options.out}.`
  } finally {
    await store.close()
  }
}

function table(sessions: StoredSessionSummary[]): string {
  const header = [
    'ID',
    'NAME',
    'APPS',
    'STARTED',
    'DURATION',
    'QUERIES',
    'FAILED',
    'FINDINGS',
    'STATUS',
    'SIZE',
  ]
  const rows = sessions.map((s) => [
    s.id,
    clip(s.name, 40),
    clip(s.appNames.join(', ') || '—', 30),
    localMinute(s.startedAt),
    formatDuration(s.durationMs),
    count(s.queryCount),
    count(s.failedCount),
    count(s.findingsCount),
    s.status,
    formatBytes(s.bytes),
  ])
  const numeric = new Set([5, 6, 7, 9])
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

function count(n: number): string {
  return n.toLocaleString('en-US')
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000)
  if (seconds < 60) return `${seconds} s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`
}
