/**
 * The shape every analysis has (after Chrome DevTools' trace handlers): `reset` forgets
 * everything, `handleQuery` takes one query as it arrives, `finalize` is called when no more
 * will come (a loaded session), and `data` answers what the analysis found so far — live
 * sessions read it at any time, without finalizing.
 *
 * `handleQuery` runs on the ingest path, once per query: it must not keep the query object
 * (it is the ingest's event), only the few numbers and shared strings it needs.
 */
import type { StatementKind } from '../../shared/analysis'
import type { AppInfo, QueryRecord } from '../../shared/domain'
import type { Scope } from './scopes'

/**
 * What the analyses read of a query's fingerprint (`Fingerprint` from ./fingerprint has at
 * least these): naming only what is used keeps the handlers testable with hand-made shapes.
 */
export interface Shape {
  /** Stable short id of the shape. */
  id: string
  /** The normalised SQL. */
  text: string
  statement: StatementKind
  /** Rows of a multi-row VALUES that were collapsed (1 or 0 for a single row). */
  collapsedRows: number
  /** Items of the longest IN list that were collapsed (0 when none). */
  inListItems: number
  /** Literal values inlined in the text, for ORMs that inline params. */
  literals: readonly string[]
  /** OFFSET / keyset pagination: a page, not a loop. */
  paginated: boolean
}

export interface AnalysisHandler<Data> {
  reset(): void
  handleQuery(query: QueryRecord, app: AppInfo, fp: Shape, scope: Scope): void
  finalize(): void
  data(): Data
}

/** How the analysis reads back a query it saw (to show its SQL, rows, ...); undefined once gone. */
export type QueryLookup = (id: number) => QueryRecord | undefined
