/**
 * Findings for a session file whose queries stream past once and are not kept: when the
 * writer is given queries without findings (and not as an array it could analyze whole), and
 * when the reader migrates a file from a version that kept none.
 *
 * The Analyzer needs a lookup to read back a query it saw: the findings detector reads the
 * SQL of the query that preceded an N+1 loop when the loop is detected, which is a recent
 * query. A ring of the last `RECENT` texts answers that; an older source loses its
 * `sourceSql` (its id stays). The Analyzer's timeline is sized the same: nothing here reads
 * the timeline, and a ring the size of the session would cost memory for nothing.
 */
import type { AnalysisSettings, Finding, RecurringInsight } from '../../shared/analysis'
import type { AppInfo, QueryRecord } from '../../shared/domain'
import { Analyzer, unknownApp } from '../analysis/analyzer'

const RECENT = 1 << 16

export class StreamingAnalysis {
  private readonly analyzer: Analyzer
  private readonly ids = new Float64Array(RECENT).fill(-1)
  private readonly texts: string[] = new Array<string>(RECENT)
  private apps = new Map<string, AppInfo>()

  constructor(settings: Partial<AnalysisSettings>, apps: readonly AppInfo[] = []) {
    this.setApps(apps)
    this.analyzer = new Analyzer({
      settings,
      capacity: RECENT,
      lookup: (id) => {
        const slot = id % RECENT
        if (this.ids[slot] !== id) return undefined
        return { id, appId: '', sql: this.texts[slot]!, startTime: 0, durationMs: 0 }
      },
    })
  }

  /** The apps, once known (queries of an app not listed are analyzed as a generic one). */
  setApps(apps: readonly AppInfo[]): void {
    for (const app of apps) this.apps.set(app.id, app)
  }

  /** One query; ids must grow from one call to the next. */
  add(query: QueryRecord): void {
    const slot = query.id % RECENT
    this.ids[slot] = query.id
    this.texts[slot] = query.sql
    let app = this.apps.get(query.appId)
    if (app === undefined) this.apps.set(query.appId, (app = unknownApp(query.appId)))
    this.analyzer.handleQuery(query, app)
  }

  /** The findings and insights of every query added. */
  finish(): { findings: Finding[]; insights: RecurringInsight[] } {
    this.analyzer.finalize()
    return this.analyzer.findingsResult()
  }
}
