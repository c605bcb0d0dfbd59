/** The slow queries list (Slow & failed view), a page at a time, refreshed as analysis changes. */
import { defineStore } from 'pinia'
import type { SlowQuery } from '@shared/analysis'
import { useAnalysisList } from '@renderer/stores/analysis-list'

export const useSlowQueriesStore = defineStore('slow-queries', () =>
  useAnalysisList<SlowQuery>((client, offset, limit) =>
    client.request('analysis.slow', { offset, limit }),
  ),
)
