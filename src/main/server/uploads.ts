/**
 * Browser mode's uploaded session files. A page cannot hand the core a path (it has none,
 * and must never name one), so "Open file" and "Import file" send the file's bytes to
 * `POST /upload` (server.ts), which streams them into a private temp folder and answers with
 * an id; `file.load` then takes the file by that id, once, and deletes it after reading.
 *
 * An id is 128 random bits. A file never taken is deleted after `ttlMs`; everything left goes
 * with `close()`.
 */
import { mkdirSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { FileShelf } from './file-shelf'

export interface Upload {
  /** Where the bytes are, until taken and done with. */
  file: string
  /** The name the user's file had (for the library's "imported from"). */
  fileName: string
}

export class UploadShelf extends FileShelf<Upload> {
  constructor(ttlMs?: number) {
    super('upload', ttlMs)
  }

  /**
   * A fresh path in the private folder to stream an upload to before `add`: a folder of its
   * own, so the file keeps the user's name (`fileName`, a plain name) for whatever reads it
   * to show.
   */
  reservePath(fileName = 'upload.json'): string {
    if (basename(fileName) !== fileName || /^\.*$/.test(fileName)) {
      throw new Error(`not a plain file name: ${JSON.stringify(fileName)}`)
    }
    const own = this.freshPath()
    mkdirSync(own, { mode: 0o700 })
    return join(own, fileName)
  }

  /** Puts a received file on the shelf; returns the id `file.load` takes it by. */
  add(upload: Upload): string {
    return this.put(upload)
  }

  /** The upload with this id, taken off the shelf (a second take finds nothing). */
  take(id: string): Upload | undefined {
    return this.takeById(id)
  }

  /** Deletes a file once read (or one that failed to arrive whole), with its own folder. */
  override async done(file: string): Promise<void> {
    const own = dirname(file)
    if (this.folderPath === undefined || dirname(own) !== this.folderPath) return
    await rm(own, { recursive: true, force: true })
  }
}
