/**
 * Session files: the JSON a session is saved as and loaded from (`docs/session-format.md`).
 *
 *   session-file-types.ts     the types, `SessionFileError`
 *   session-file-writer.ts    `writeSessionFile`: atomic, streamed, checked, optionally redacted
 *   session-file-reader.ts    `loadSessionFile`: streamed, validated, migrated, all-or-nothing
 *   session-file-analysis.ts  findings from queries that stream past (writer and migration)
 *   format/                   the versions' schemas (`v0.ts`, `v1.ts`) and the tokenizer
 *   redaction.ts              secrets out of parameters and SQL, for export
 *
 * `readSessionFile` is the simple way in: the whole session, queries included, in memory.
 * `loadSessionFile` streams the queries into a sink instead.
 */
import type { QueryRecord } from '../../shared/domain'
import { loadSessionFile, type LoadOptions } from './session-file-reader'
import type { SessionDocument } from './session-file-types'

export {
  SESSION_FORMAT,
  SESSION_VERSION,
  SessionFileError,
  type FileLocation,
  type MetricSample,
  type SessionDocument,
  type SessionFile,
  type SessionFileHeader,
  type SessionHeader,
  type SessionHealth,
  type SessionMeta,
  type SessionStatus,
} from './session-file-types'
export {
  DEFAULT_LIMITS,
  loadSessionFile,
  type LoadOptions,
  type LoadProgress,
  type LoadResult,
  type SessionFileLimits,
  type SessionSink,
} from './session-file-reader'
export { writeSessionFile, type WriteOptions, type WriteResult } from './session-file-writer'
export {
  createRedactor,
  DEFAULT_REDACTION_RULES,
  redactQuery,
  type RedactionOptions,
  type Redactor,
} from './redaction'

/**
 * Reads, validates and migrates a whole session file into memory (buffer, then return:
 * nothing is returned unless all of it is valid). Throws SessionFileError naming the problem
 * and where. For large files prefer `loadSessionFile` with a sink.
 */
export async function readSessionFile(
  path: string,
  options: Omit<LoadOptions, 'sink' | 'mode'> = {},
): Promise<SessionDocument> {
  const queries: QueryRecord[] = []
  const { header } = await loadSessionFile(path, {
    ...options,
    sink: {
      queries(batch) {
        for (const query of batch) queries.push(query)
      },
    },
  })
  return { ...header, queries }
}
