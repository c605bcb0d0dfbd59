/**
 * A list of the Slow & failed view (slow or failed queries), a page at a time, refetched
 * while shown when the analysis changes, the session is cleared, or the line comes back.
 */
import { useProfilerClient } from '@renderer/api/client'
import { usePagedList } from '@renderer/lib/paged-list'
import { useActivation } from '@renderer/lib/activation'
import { onAnalysisChange, onSessionReplaced } from '@renderer/lib/analysis-changes'
import type { Page } from '@shared/analysis'
import type { RendererClient } from '@renderer/api/transport'

export function useAnalysisList<T>(
  fetch: (client: RendererClient, offset: number, limit: number) => Promise<Page<T>>,
) {
  const client = useProfilerClient()
  const list = usePagedList<T>({ fetch: (offset, limit) => fetch(client, offset, limit) })
  const activation = useActivation(list.invalidate)

  onAnalysisChange(client, activation.changed)
  onSessionReplaced(client, () => {
    list.reset()
    activation.changed()
  })
  client.onStateChange((state) => {
    if (state === 'open') activation.changed()
  })

  return {
    total: list.total,
    loaded: list.loaded,
    loadError: list.error,
    rowAt: list.rowAt,
    setVisibleRange: list.setVisibleRange,
    activate: activation.activate,
    deactivate: activation.deactivate,
  }
}
