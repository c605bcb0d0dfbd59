/**
 * The query open in the analysis views' side panel (Timeline, N+1, Statistics, Slow &
 * failed): one at a time, shared by those views, apart from the Queries view's own
 * selection so that inspecting a bar never moves the live table.
 */
import { ref, shallowRef } from 'vue'
import { defineStore } from 'pinia'
import type { QueryRecord } from '@shared/domain'
import { useProfilerClient } from '@renderer/api/client'
import { onSessionReplaced } from '@renderer/lib/analysis-changes'

export const useInspectorStore = defineStore('inspector', () => {
  const client = useProfilerClient()

  /** Id of the query shown, or `null`. */
  const queryId = ref<number | null>(null)
  /** Whether the panel is open. */
  const open = ref(false)
  /** The full record, once fetched. */
  const record = shallowRef<QueryRecord | null>(null)
  const loading = ref(false)
  const error = ref<string | null>(null)
  let request = 0

  /** Opens the panel on query `id` and fetches it. */
  async function inspect(id: number): Promise<void> {
    open.value = true
    if (queryId.value === id && record.value?.id === id) return
    queryId.value = id
    const current = ++request
    loading.value = true
    error.value = null
    record.value = null
    try {
      const found = await client.request('queries.get', id)
      if (current !== request) return
      record.value = found
      if (!found) error.value = `Query #${id} is no longer in the live session.`
    } catch (cause) {
      if (current === request) error.value = cause instanceof Error ? cause.message : String(cause)
    } finally {
      if (current === request) loading.value = false
    }
  }

  function close(): void {
    open.value = false
  }

  onSessionReplaced(client, () => {
    // Cleared, or another session viewed: the query shown is not in it.
    request += 1
    open.value = false
    queryId.value = null
    record.value = null
    loading.value = false
  })

  return { queryId, open, record, loading, error, inspect, close }
})
