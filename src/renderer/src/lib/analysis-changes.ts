/**
 * "The analysis may have changed": the core's throttled `analysis.changed`, or, from a core
 * that does not push that event over this transport, `queries.changed` (new queries are
 * what changes the analysis). Once an `analysis.changed` has arrived, `queries.changed` is
 * ignored, so a core that pushes both costs no extra requests.
 */
import type { AnalysisSummary } from '@shared/analysis'
import type { ProfilerClient } from '@shared/api'

export function onAnalysisChange(
  client: ProfilerClient,
  listener: (summary: AnalysisSummary | undefined) => void,
): () => void {
  let pushed = false
  const offAnalysis = client.on('analysis.changed', (change) => {
    pushed = true
    listener(change.summary)
  })
  const offQueries = client.on('queries.changed', () => {
    if (!pushed) listener(undefined)
  })
  return () => {
    offAnalysis()
    offQueries()
  }
}
