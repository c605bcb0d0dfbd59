/**
 * "The analysis may have changed": the core's throttled `analysis.changed`, or, from a core
 * that does not push that event over this transport, `queries.changed` (new queries are
 * what changes the analysis). Once an `analysis.changed` has arrived, `queries.changed` is
 * ignored, so a core that pushes both costs no extra requests.
 *
 * `onSessionReplaced`: what was shown is gone (cleared, or another session is viewed).
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

/**
 * "Everything shown belongs to another session now": the live session was cleared
 * (`queries.changed` with nothing left), or the views moved to another session
 * (`view.changed`: a stored one or a file opened, or back to live). Stores drop what they
 * hold and fetch again.
 */
export function onSessionReplaced(client: ProfilerClient, listener: () => void): () => void {
  const offQueries = client.on('queries.changed', ({ total }) => {
    if (total === 0) listener()
  })
  const offView = client.on('view.changed', () => listener())
  return () => {
    offQueries()
    offView()
  }
}
