/**
 * The Sessions view's data: the session library in the core (`library.*`).
 *
 * - The list is small (the core returns at most 500 sessions), so it is fetched whole and
 *   again after every change, on a search, when the live session is cleared (which ends
 *   its stored session) and, while the view is shown and a session is being recorded,
 *   every few seconds so its counts move.
 * - `library.storage` says how much the library holds and its retention setting, or why
 *   there is no library; the view then shows that reason instead of an empty table.
 * - Opening a session shows it in every view (stores/view.ts), not here.
 */
import { computed, ref, shallowRef, watch } from 'vue'
import { defineStore } from 'pinia'
import type { LibraryStorage, RetentionSettings, StoredSessionSummary } from '@shared/library'
import { useProfilerClient } from '@renderer/api/client'
import { useConnectionStore } from '@renderer/stores/connection'

/** Quiet time after the last keystroke before a search is sent. */
export const SEARCH_DEBOUNCE_MS = 250
/** How often the list is refetched while shown and a session is being recorded. */
export const RECORDING_REFRESH_MS = 2000

const message = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

export const useLibraryStore = defineStore('library', () => {
  const client = useProfilerClient()
  const connection = useConnectionStore()

  /** Stored sessions matching the search, newest first. */
  const sessions = shallowRef<StoredSessionSummary[]>([])
  /** Whether the list has arrived at least once. */
  const loaded = ref(false)
  /** Why the last list request failed, if it did. */
  const loadError = ref<string | null>(null)
  /** The search box's text, as typed. */
  const searchText = ref('')
  /** The search the list was fetched with (debounced, trimmed). */
  const search = ref('')
  /** Storage use and retention, or why there is no library; null until fetched. */
  const storage = shallowRef<LibraryStorage | null>(null)
  /** Why the last change (rename, note, delete, retention) failed; cleared by the next. */
  const actionError = ref<string | null>(null)

  /** False only once the core has said there is no library. */
  const available = computed(() => storage.value?.available !== false)
  /** Why there is no library, when there is none. */
  const unavailableReason = computed(() =>
    storage.value && !storage.value.available ? storage.value.error : null,
  )
  /** The id of the session being profiled now (stored as it runs: it cannot be deleted). */
  const liveSessionId = computed(() => connection.status?.sessionId ?? null)

  let listRequest = 0
  let searchTimer: ReturnType<typeof setTimeout> | null = null
  let pollTimer: ReturnType<typeof setInterval> | null = null
  let active = 0

  /** Fetches the list and the storage use again. */
  async function refresh(): Promise<void> {
    const current = ++listRequest
    const options = search.value ? { search: search.value } : {}
    const [list, use] = await Promise.allSettled([
      client.request('library.list', options),
      client.request('library.storage'),
    ])
    if (current !== listRequest) return
    if (use.status === 'fulfilled') storage.value = use.value
    if (list.status === 'fulfilled') {
      sessions.value = list.value
      loadError.value = null
      loaded.value = true
    } else if (storage.value?.available === false) {
      // The list failed because there is no library: the reason is shown, not an error.
      sessions.value = []
      loadError.value = null
      loaded.value = true
    } else {
      loadError.value = message(list.reason)
    }
  }

  /** Sets the search box's text; the search is sent after `SEARCH_DEBOUNCE_MS` of quiet. */
  function setSearchText(text: string): void {
    searchText.value = text
    if (searchTimer) clearTimeout(searchTimer)
    searchTimer = setTimeout(applySearchNow, SEARCH_DEBOUNCE_MS)
  }

  /** Sends the search box's text now (Enter in the box). */
  function applySearchNow(): void {
    if (searchTimer) clearTimeout(searchTimer)
    searchTimer = null
    const next = searchText.value.trim()
    if (next === search.value) return
    search.value = next
    void refresh()
  }

  /** Runs a change, keeping its error for the view; true when it went through. */
  async function change(run: () => Promise<boolean>, unknown: string): Promise<boolean> {
    actionError.value = null
    try {
      const done = await run()
      if (!done) actionError.value = unknown
      return done
    } catch (cause) {
      actionError.value = message(cause)
      return false
    } finally {
      void refresh()
    }
  }

  function rename(id: string, name: string): Promise<boolean> {
    return change(
      () => client.request('library.rename', id, name),
      'That session is no longer in the library.',
    )
  }

  function setNote(id: string, note: string): Promise<boolean> {
    return change(
      () => client.request('library.note', id, note),
      'That session is no longer in the library.',
    )
  }

  function remove(id: string): Promise<boolean> {
    return change(() => client.request('library.delete', id), 'That session was already deleted.')
  }

  async function setRetention(changes: Partial<RetentionSettings>): Promise<boolean> {
    return change(async () => {
      await client.request('library.retention.set', changes)
      return true
    }, '')
  }

  /** The view is shown: fetch now, and keep a recording session's counts moving. */
  function activate(): void {
    active += 1
    void refresh()
    pollTimer ??= setInterval(() => {
      if (sessions.value.some((session) => session.status === 'recording')) void refresh()
    }, RECORDING_REFRESH_MS)
  }

  function deactivate(): void {
    active = Math.max(0, active - 1)
    if (active === 0 && pollTimer) {
      clearInterval(pollTimer)
      pollTimer = null
    }
  }

  // A clear ends the stored session and begins another: the list changes.
  watch(liveSessionId, (next, previous) => {
    if (active > 0 && previous !== null && next !== previous) void refresh()
  })
  client.onStateChange((state) => {
    if (state === 'open' && active > 0) void refresh()
  })

  return {
    sessions,
    loaded,
    loadError,
    searchText,
    search,
    storage,
    actionError,
    available,
    unavailableReason,
    liveSessionId,
    refresh,
    setSearchText,
    applySearchNow,
    rename,
    setNote,
    remove,
    setRetention,
    activate,
    deactivate,
  }
})
