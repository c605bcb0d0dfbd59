/**
 * Browser mode's uploaded session files. A page cannot hand the core a path (it has none,
 * and must never name one), so "Open file" and "Import file" send the file's bytes to
 * `POST /upload` (server.ts), which streams them into a private temp folder and answers with
 * an id; `file.load` then takes the file by that id, once, and deletes it after reading.
 *
 * An id is 128 random bits. A file never taken is deleted after `ttlMs`; everything left goes
 * with `close()`.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'

const DEFAULT_TTL_MS = 10 * 60 * 1000

export interface Upload {
  /** Where the bytes are, until taken and done with. */
  file: string
  /** The name the user's file had (for the library's "imported from"). */
  fileName: string
}

export class UploadShelf {
  private folder: string | undefined
  private readonly waiting = new Map<string, Upload & { timer: NodeJS.Timeout }>()
  private closed = false

  constructor(private readonly ttlMs = DEFAULT_TTL_MS) {}

  /**
   * A fresh path in the private folder (mode 0700) to stream an upload to before `add`: a
   * folder of its own, so the file keeps the user's name (`fileName`, a plain name) for
   * whatever reads it to show.
   */
  reservePath(fileName = 'upload.json'): string {
    if (this.closed) throw new Error('the upload shelf is closed')
    if (basename(fileName) !== fileName || /^\.*$/.test(fileName)) {
      throw new Error(`not a plain file name: ${JSON.stringify(fileName)}`)
    }
    // Created on first use, so a core that never takes an upload leaves nothing behind.
    this.folder ??= mkdtempSync(join(tmpdir(), 'fastorm-profiler-uploads-'))
    const own = join(this.folder, randomBytes(12).toString('hex'))
    mkdirSync(own, { mode: 0o700 })
    return join(own, fileName)
  }

  /** Puts a received file on the shelf; returns the id `file.load` takes it by. */
  add(upload: Upload): string {
    const id = randomBytes(16).toString('base64url')
    const timer = setTimeout(() => this.discard(id), this.ttlMs)
    timer.unref()
    this.waiting.set(id, { ...upload, timer })
    return id
  }

  /** The upload with this id, taken off the shelf (a second take finds nothing). */
  take(id: string): Upload | undefined {
    const entry = this.waiting.get(id)
    if (!entry) return undefined
    this.waiting.delete(id)
    clearTimeout(entry.timer)
    return { file: entry.file, fileName: entry.fileName }
  }

  /** Deletes a file once read (or one that failed to arrive whole), with its folder. */
  async done(file: string): Promise<void> {
    const own = dirname(file)
    if (this.folder === undefined || dirname(own) !== this.folder) return
    await rm(own, { recursive: true, force: true })
  }

  /** The private folder uploads are written to; undefined until the first one. */
  get folderPath(): string | undefined {
    return this.folder
  }

  /** How many uploads wait to be taken. */
  get size(): number {
    return this.waiting.size
  }

  close(): void {
    this.closed = true
    for (const entry of this.waiting.values()) clearTimeout(entry.timer)
    this.waiting.clear()
    if (this.folder) rmSync(this.folder, { recursive: true, force: true })
  }

  private discard(id: string): void {
    const entry = this.waiting.get(id)
    if (!entry) return
    this.waiting.delete(id)
    void this.done(entry.file)
  }
}
