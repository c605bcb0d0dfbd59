/** The failed queries list (Slow & failed view), a page at a time, refreshed as analysis changes. */
import { defineStore } from 'pinia'
import type { FailedQuery } from '@shared/analysis'
import { useAnalysisList } from '@renderer/stores/analysis-list'

export const useFailedQueriesStore = defineStore('failed-queries', () =>
  useAnalysisList<FailedQuery>((client, offset, limit) =>
    client.request('analysis.failed', { offset, limit }),
  ),
)
