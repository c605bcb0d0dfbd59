/**
 * The session file's versions, and the migration from any of them to the current one.
 *
 *   v0.ts  pre-release: session, apps, counters, queries
 *   v1.ts  + note, status, settings, findings, insights, health, metrics; `up(v0)`
 *
 * The reader checks each field with the schema of the version the file declares, then
 * brings the envelope up to the current version one `up` at a time. Queries have not changed
 * since v0, so no version has a per-query `up` yet; when one does, `upQuery` goes beside
 * `up` in its file and `migrateQuery` below applies it.
 *
 * To add version 2: write `v2.ts` (schemas, `up(v1)`), add it to `VERSIONS`, point
 * `CURRENT_VERSION` and the `Current*` types at it, and keep v1.ts unchanged.
 */
import type { z } from 'zod'
import * as v0 from './v0'
import * as v1 from './v1'

export { v0, v1 }

export const SESSION_FORMAT = 'fastorm-profiler-session'
export const CURRENT_VERSION = v1.VERSION

export type CurrentEnvelope = v1.EnvelopeV1

/** What the reader needs to know of one version. */
export interface FormatVersion {
  version: number
  /** Fields read whole: name → schema. */
  fields: Record<string, z.ZodType>
  /** Array fields besides `queries`, read element by element: name → element schema. */
  arrays: Record<string, z.ZodType>
  query: z.ZodType
  required: readonly string[]
}

export const VERSIONS: readonly FormatVersion[] = [
  {
    version: 0,
    fields: v0.fields,
    arrays: {},
    query: v0.querySchema,
    required: ['format', 'version', 'session', 'apps', 'counters', 'queries'],
  },
  {
    version: 1,
    fields: v1.fields,
    arrays: v1.arrays,
    query: v1.querySchema,
    required: v1.REQUIRED_FIELDS,
  },
]

/** Every top-level field name any version has. */
export const KNOWN_FIELDS: ReadonlySet<string> = new Set(
  VERSIONS.flatMap((format) => [
    ...format.required,
    ...Object.keys(format.fields),
    ...Object.keys(format.arrays),
  ]),
)

/**
 * The version a file is read as: what it declares, except that a "version 1" file holding
 * none of the fields v1 added is a pre-release (v0) file. `present` are its field names.
 */
export function effectiveVersion(declared: number, present: ReadonlySet<string>): number {
  if (declared === 1 && !v1.ADDED_FIELDS.some((field) => present.has(field))) return 0
  return declared
}

export interface Migrated {
  envelope: CurrentEnvelope
  /** The version the file was written in. */
  from: number
  /** Fields the migration could not carry and that must be derived from the queries. */
  derive: readonly ('findings' | 'insights')[]
}

/** Brings a checked envelope (all fields but `queries`) of version `from` up to the current one. */
export function migrateEnvelope(envelope: Record<string, unknown>, from: number): Migrated {
  let current: unknown = envelope
  const derive = new Set<'findings' | 'insights'>()
  let version = from
  if (version === 0) {
    current = v1.up(current as v0.EnvelopeV0)
    for (const field of v1.DERIVED_FROM_QUERIES) derive.add(field)
    version = 1
  }
  if (version !== CURRENT_VERSION) throw new Error(`no migration from version ${version}`)
  return { envelope: current as CurrentEnvelope, from, derive: [...derive] }
}
