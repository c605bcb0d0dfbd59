/**
 * Writes a report to a file the way session files are written: into a temp file beside it,
 * fsynced, then renamed, so a failed write never leaves half a report under the name. Lines
 * are gathered into chunks of about 64 KB, so a long report is neither one string nor a
 * million small writes.
 */
import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

const CHUNK_CHARS = 64 * 1024

export async function writeReportFile(path: string, lines: Iterable<string>): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`)
  const handle = await open(temp, 'w', 0o600)
  try {
    for (const chunk of chunked(lines)) await handle.write(chunk)
    await handle.sync()
    await handle.close()
    await rename(temp, path)
  } catch (error) {
    await handle.close().catch(() => {})
    await rm(temp, { force: true })
    throw error
  }
}

/** The lines, each with its line break, joined into chunks of about CHUNK_CHARS. */
export function* chunked(lines: Iterable<string>, size = CHUNK_CHARS): Generator<string> {
  let parts: string[] = []
  let length = 0
  for (const line of lines) {
    parts.push(line, '\n')
    length += line.length + 1
    if (length >= size) {
      yield parts.join('')
      parts = []
      length = 0
    }
  }
  if (parts.length > 0) yield parts.join('')
}
