/**
 * Small builders for the analysis tests: queries, apps and hand-made shapes (what the
 * fingerprinter would say about a query), and a harness that runs one handler behind a real
 * ScopeTracker, as the Analyzer does.
 */
import type { AnalysisSettings } from '../../src/shared/analysis'
import { DEFAULT_ANALYSIS_SETTINGS } from '../../src/shared/analysis'
import type { AppInfo, QueryRecord, StackFrame } from '../../src/shared/domain'
import type { Shape } from '../../src/main/analysis/handler'
import { ScopeTracker, type Scope } from '../../src/main/analysis/scopes'

export function app(id = 'app-1', orm?: string, dbSystem = 'sqlite'): AppInfo {
  return {
    id,
    name: `${id}-name`,
    orm: orm === undefined ? undefined : { name: orm },
    dbSystem,
    connectedAt: 0,
    received: 0,
    droppedByAgent: 0,
  }
}

export function shape(partial: Partial<Shape> & Pick<Shape, 'id' | 'text'>): Shape {
  return {
    statement: 'select',
    collapsedRows: 0,
    inListItems: 0,
    literals: [],
    paginated: false,
    ...partial,
  }
}

export function frame(line: number, file = '/app/src/orders.ts'): StackFrame {
  return { file, line, column: 7, function: 'handler' }
}

export function settings(changes: Partial<AnalysisSettings> = {}): AnalysisSettings {
  return { ...DEFAULT_ANALYSIS_SETTINGS, ...changes }
}

/** Queries with ids from 1 and start times 1 ms apart, unless given. */
export class QueryMaker {
  private nextId = 1
  private clock = 1_700_000_000_000

  make(partial: Partial<QueryRecord> & { sql: string }): QueryRecord {
    const startTime = partial.startTime ?? (this.clock += 1)
    if (partial.startTime !== undefined) this.clock = Math.max(this.clock, partial.startTime)
    return {
      id: this.nextId++,
      appId: 'app-1',
      startTime,
      durationMs: 0.5,
      ...partial,
    }
  }

  /** Moves the clock on (a pause between requests). */
  wait(ms: number): void {
    this.clock += ms
  }
}

/** Feeds one handler the way the Analyzer does: each query with its shape and scope. */
export class Harness {
  readonly queries = new Map<number, QueryRecord>()
  readonly scopes: ScopeTracker
  readonly maker = new QueryMaker()

  constructor(
    readonly config: AnalysisSettings,
    private readonly handle: (query: QueryRecord, app: AppInfo, fp: Shape, scope: Scope) => void,
    onClose: (scope: Scope) => void = () => {},
  ) {
    this.scopes = new ScopeTracker(config, { scopeClosed: onClose })
  }

  run(
    fp: Shape,
    partial: Partial<QueryRecord> & { sql?: string } = {},
    from: AppInfo = app(partial.appId),
  ): QueryRecord {
    const query = this.maker.make({ sql: fp.text, ...partial, appId: from.id })
    this.queries.set(query.id, query)
    const scope = this.scopes.scopeOf(query, from)
    this.handle(query, from, fp, scope)
    return query
  }

  lookup = (id: number): QueryRecord | undefined => this.queries.get(id)
}
