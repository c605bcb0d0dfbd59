/**
 * One-time downloads for browser mode's exports. An export can be a session of a million
 * queries: rather than push it through the RPC socket as one string (and hold it whole in
 * the page), the core writes it to a private temp folder and the page fetches it once from
 * `GET /download/<id>` — same origin, with the page's token cookie, as an attachment.
 *
 * An id is 128 random bits and works once: the file is deleted when it has been sent, and
 * one never fetched is deleted after `ttlMs`. Everything left goes with `close()`.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const DOWNLOAD_PATH_PREFIX = '/download/'
const DEFAULT_TTL_MS = 10 * 60 * 1000

export interface Download {
  /** Where the file is, until it is sent. */
  file: string
  /** The name the browser saves it under. */
  fileName: string
  contentType: string
}

export class DownloadShelf {
  private folder: string | undefined
  private readonly waiting = new Map<string, Download & { timer: NodeJS.Timeout }>()
  private closed = false

  constructor(private readonly ttlMs = DEFAULT_TTL_MS) {}

  /** A fresh path in the private folder, to write a download's file to before `add`. */
  reservePath(): string {
    if (this.closed) throw new Error('the download shelf is closed')
    // Created on first use, so a core that never exports leaves nothing behind.
    this.folder ??= mkdtempSync(join(tmpdir(), 'fastorm-profiler-exports-'))
    return join(this.folder, randomBytes(12).toString('hex'))
  }

  /** Puts a written file on the shelf; returns the URL path that serves it once. */
  add(download: Download): string {
    const id = randomBytes(16).toString('base64url')
    const timer = setTimeout(() => this.discard(id), this.ttlMs)
    timer.unref()
    this.waiting.set(id, { ...download, timer })
    return `${DOWNLOAD_PATH_PREFIX}${id}`
  }

  /**
   * The download for a URL path, taken off the shelf: a second request for it finds nothing.
   * The caller sends the file and then calls `done(file)`.
   */
  take(urlPath: string): Download | undefined {
    if (!urlPath.startsWith(DOWNLOAD_PATH_PREFIX)) return undefined
    const id = urlPath.slice(DOWNLOAD_PATH_PREFIX.length)
    const entry = this.waiting.get(id)
    if (!entry) return undefined
    this.waiting.delete(id)
    clearTimeout(entry.timer)
    const { file, fileName, contentType } = entry
    return { file, fileName, contentType }
  }

  /** Deletes a file that was sent (or that failed to be written). */
  async done(file: string): Promise<void> {
    await rm(file, { force: true })
  }

  /** How many downloads wait to be fetched. */
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
