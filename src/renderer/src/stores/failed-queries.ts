/** The failed queries list (Slow & failed view), a page at a time, refreshed as analysis changes. */
import { defineStore } from 'pinia'
import type { FailedQuery } from '@shared/analysis'
import { useProfilerClient } from '@renderer/api/client'
import { usePagedList } from '@renderer/lib/paged-list'
import { useActivation } from '@renderer/lib/activation'
import { onAnalysisChange } from '@renderer/lib/analysis-changes'

export const useFailedQueriesStore = defineStore('failed-queries', () => {
  const client = useProfilerClient()
  const list = usePagedList<FailedQuery>({
    fetch: (offset, limit) => client.request('analysis.failed', { offset, limit }),
  })
  const activation = useActivation(list.invalidate)

  onAnalysisChange(client, activation.changed)
  client.on('queries.changed', ({ total }) => {
    if (total === 0) activation.changed()
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
})
