/**
 * One-time downloads for browser mode's exports. An export can be a session of a million
 * queries: rather than push it through the RPC socket as one string (and hold it whole in
 * the page), the core writes it to a private temp folder and the page fetches it once from
 * `GET /download/<id>` — same origin, with the page's token cookie, as an attachment.
 *
 * An id is 128 random bits and works once: the file is deleted when it has been sent, and
 * one never fetched is deleted after `ttlMs`. Everything left goes with `close()`.
 */
import { FileShelf } from '../server/file-shelf'

export const DOWNLOAD_PATH_PREFIX = '/download/'

export interface Download {
  /** Where the file is, until it is sent. */
  file: string
  /** The name the browser saves it under. */
  fileName: string
  contentType: string
}

export class DownloadShelf extends FileShelf<Download> {
  constructor(ttlMs?: number) {
    super('export', ttlMs)
  }

  /** A fresh path in the private folder, to write a download's file to before `add`. */
  reservePath(): string {
    return this.freshPath()
  }

  /** Puts a written file on the shelf; returns the URL path that serves it once. */
  add(download: Download): string {
    return `${DOWNLOAD_PATH_PREFIX}${this.put(download)}`
  }

  /**
   * The download for a URL path, taken off the shelf: a second request for it finds nothing.
   * The caller sends the file and then calls `done(file)`.
   */
  take(urlPath: string): Download | undefined {
    if (!urlPath.startsWith(DOWNLOAD_PATH_PREFIX)) return undefined
    return this.takeById(urlPath.slice(DOWNLOAD_PATH_PREFIX.length))
  }
}
