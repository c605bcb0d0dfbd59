/**
 * Files the core keeps for a short while in a private temp folder and hands over once, by a
 * random id: browser mode's downloads (export/downloads.ts) and uploads (uploads.ts). An id
 * is 128 random bits and works once; a file never taken is deleted after `ttlMs`; everything
 * left goes with `close()`. The folder (mode 0700, from mkdtemp) is made on first use, so a
 * core that never needs it leaves nothing behind.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const DEFAULT_SHELF_TTL_MS = 10 * 60 * 1000

export class FileShelf<Item extends { file: string }> {
  private folder: string | undefined
  private readonly waiting = new Map<string, { item: Item; timer: NodeJS.Timeout }>()
  private closed = false

  /** `kind` names the shelf in errors and its folder (`fastorm-profiler-<kind>s-...`). */
  constructor(
    private readonly kind: string,
    private readonly ttlMs = DEFAULT_SHELF_TTL_MS,
  ) {}

  /** How many files wait to be taken. */
  get size(): number {
    return this.waiting.size
  }

  /** The private folder; undefined until the first file. */
  get folderPath(): string | undefined {
    return this.folder
  }

  /** Deletes a file once it has been used (or one that failed to be written whole). */
  async done(file: string): Promise<void> {
    await rm(file, { force: true })
  }

  close(): void {
    this.closed = true
    for (const entry of this.waiting.values()) clearTimeout(entry.timer)
    this.waiting.clear()
    if (this.folder) rmSync(this.folder, { recursive: true, force: true })
  }

  /** The private folder, made now if it is not yet; refused once closed. */
  protected privateFolder(): string {
    if (this.closed) throw new Error(`the ${this.kind} shelf is closed`)
    this.folder ??= mkdtempSync(join(tmpdir(), `fastorm-profiler-${this.kind}s-`))
    return this.folder
  }

  /** A fresh random name for a file or folder in the private folder. */
  protected freshPath(): string {
    return join(this.privateFolder(), randomBytes(12).toString('hex'))
  }

  /** Puts a written file on the shelf; returns its id. */
  protected put(item: Item): string {
    const id = randomBytes(16).toString('base64url')
    const timer = setTimeout(() => this.discard(id), this.ttlMs)
    timer.unref()
    this.waiting.set(id, { item, timer })
    return id
  }

  /** The file with this id, taken off the shelf: a second take finds nothing. */
  protected takeById(id: string): Item | undefined {
    const entry = this.waiting.get(id)
    if (!entry) return undefined
    this.waiting.delete(id)
    clearTimeout(entry.timer)
    return entry.item
  }

  private discard(id: string): void {
    const item = this.takeById(id)
    if (item) void this.done(item.file)
  }
}
