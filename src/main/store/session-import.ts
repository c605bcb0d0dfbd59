/**
 * A session file streamed into the library: the session-file loader reads it a chunk at a
 * time (validated, migrated) and hands its queries to this sink, which writes them in
 * batches. A 1,000,000-query file is never whole in memory and never holds the event loop
 * for long.
 *
 * All or nothing, but not as one long transaction: the recorder writes to the same connection
 * every 200 ms, and a transaction held open across turns of the event loop would take the
 * recorder's writes in with it (lost on a rollback, or with a crash part-way through a long
 * import). So the import is staged instead:
 *
 *   begin    a session row with status `importing` (no list, search, get, export or
 *            retention sees it) under a throwaway id
 *   queries  every IMPORT_BATCH queries, one short transaction (SessionWriter)
 *   commit   one transaction: the row gets the file's id, name, times and findings and
 *            becomes `complete`
 *   rollback one transaction deleting everything staged
 *
 * A process killed part-way leaves an `importing` row, which the next start deletes
 * (`SessionStore.recoverInterrupted`).
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import type { AppInfo, QueryRecord } from '../../shared/domain'
import type { SessionHeader, SessionSink } from '../session/session-file'
import type { SessionWriter } from './session-writer'

/**
 * Queries per transaction: enough to spread a transaction's cost thin, few enough that one
 * write holds the event loop for tens of milliseconds, not hundreds.
 */
export const IMPORT_BATCH = 5_000

/** What the import needs from the store (SessionStore implements it). */
export interface ImportTarget {
  /** A new, invisible session row and its writer. */
  stageImport(startedAt: number): SessionWriter
  /** Makes the staged session complete, under the file's id unless taken; returns the id. */
  finishImport(
    writer: SessionWriter,
    header: SessionHeader,
    options: { name?: string; source?: string },
  ): string
  /** Deletes the staged session. */
  discardImport(writer: SessionWriter): void
}

export class ImportSink implements SessionSink {
  /** The imported session's id, once committed. */
  id: string | undefined
  private writer: SessionWriter | undefined
  private pending: QueryRecord[] = []
  private apps: AppInfo[] = []

  constructor(
    private readonly target: ImportTarget,
    /** The name to store it under (default the file's), and the file's name. */
    private readonly options: { name?: string; source?: string } = {},
  ) {}

  begin(header: Partial<SessionHeader>): void {
    // Writers put the session and apps before the queries; a file that does not gets them
    // filled in at commit.
    this.apps = header.apps ?? []
    this.writer = this.target.stageImport(header.session?.startedAt ?? Date.now())
  }

  queries(batch: QueryRecord[]): void {
    for (const query of batch) this.pending.push(query)
    if (this.pending.length >= IMPORT_BATCH) this.writePending()
  }

  async commit(header: SessionHeader): Promise<void> {
    this.apps = header.apps
    this.writePending(header.counters.evicted, header.session.endedAt)
    // The last batch and the findings are each a write of their own: a turn between them.
    await yieldToEventLoop()
    this.id = this.target.finishImport(this.writer!, header, this.options)
  }

  rollback(): void {
    this.pending = []
    if (this.writer) this.target.discardImport(this.writer)
  }

  private writePending(notPersisted = 0, now = Date.now()): void {
    const queries = this.pending
    this.pending = []
    this.writer!.write(queries, this.apps, notPersisted, now)
  }
}
