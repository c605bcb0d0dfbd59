/**
 * The Statistics view's data: per-fingerprint statistics, a page at a time, in the order and
 * with the filter the table asks for (the core sorts and filters, the renderer never holds
 * the whole list). The selected fingerprint opens in the side panel with its sample query.
 */
import { ref, shallowRef } from 'vue'
import { defineStore } from 'pinia'
import type { FingerprintPageRequest, FingerprintSortKey, FingerprintStats } from '@shared/analysis'
import { useProfilerClient } from '@renderer/api/client'
import { usePagedList } from '@renderer/lib/paged-list'
import { useActivation } from '@renderer/lib/activation'
import { onAnalysisChange, onSessionReplaced } from '@renderer/lib/analysis-changes'

/** Quiet time after the last keystroke before a filter is applied. */
export const STATISTICS_FILTER_DEBOUNCE_MS = 200

export const useStatisticsStore = defineStore('statistics', () => {
  const client = useProfilerClient()

  /** The column the core sorts by. */
  const sortBy = ref<FingerprintSortKey>('totalMs')
  const descending = ref(true)
  /** The filter box's text, as typed. */
  const filterText = ref('')
  /** The filter the rows were fetched with. */
  const filter = ref('')
  /** The fingerprint open in the side panel (as it was when clicked). */
  const selected = shallowRef<FingerprintStats | null>(null)
  let filterTimer: ReturnType<typeof setTimeout> | null = null

  const list = usePagedList<FingerprintStats>({
    pageSize: 100,
    fetch: (offset, limit) => {
      const request: FingerprintPageRequest = {
        offset,
        limit,
        sortBy: sortBy.value,
        descending: descending.value,
      }
      if (filter.value) request.filter = filter.value
      return client.request('analysis.fingerprints', request)
    },
  })

  const activation = useActivation(list.invalidate)

  /** Sorts by `key`: descending first (the costly shapes on top), again to flip. */
  function sort(key: FingerprintSortKey): void {
    if (sortBy.value === key) descending.value = !descending.value
    else {
      sortBy.value = key
      descending.value = true
    }
    list.reset()
  }

  function setFilterText(text: string): void {
    filterText.value = text
    if (filterTimer) clearTimeout(filterTimer)
    filterTimer = setTimeout(applyFilterNow, STATISTICS_FILTER_DEBOUNCE_MS)
  }

  function applyFilterNow(): void {
    if (filterTimer) clearTimeout(filterTimer)
    filterTimer = null
    const next = filterText.value.trim()
    if (next === filter.value) return
    filter.value = next
    list.reset()
  }

  function select(row: FingerprintStats | null): void {
    selected.value = row
  }

  onAnalysisChange(client, activation.changed)
  onSessionReplaced(client, () => {
    selected.value = null
    list.reset()
    activation.changed()
  })
  client.onStateChange((state) => {
    if (state === 'open') activation.changed()
  })

  return {
    sortBy,
    descending,
    filterText,
    filter,
    selected,
    total: list.total,
    loaded: list.loaded,
    loadError: list.error,
    rowAt: list.rowAt,
    setVisibleRange: list.setVisibleRange,
    sort,
    setFilterText,
    applyFilterNow,
    select,
    activate: activation.activate,
    deactivate: activation.deactivate,
  }
})
