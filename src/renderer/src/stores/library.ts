/**
 * The Sessions view's data: the session library in the core (`library.*`).
 *
 * - The list is small (the core returns at most 500 sessions), so it is fetched whole and
 *   again after every change, on a search, when the live session is cleared (which ends
 *   its stored session) and, while the view is shown and a session is being recorded,
 *   every few seconds so its counts move.
 * - `library.storage` says how much the library holds and its retention setting, or why
 *   there is no library; the view then shows that reason instead of an empty table.
 * - One session can be open: its queries are read a page at a time around what the table
 *   shows (the same scheme as the live views), one query at a time in full.
 */
import { computed, ref, shallowRef, watch } from 'vue'
import { defineStore } from 'pinia'
import type { QueryRecord, QueryRow } from '@shared/domain'
import type {
  LibraryStorage,
  RetentionSettings,
  StoredSessionDetail,
  StoredSessionSummary,
} from '@shared/library'
import { useProfilerClient } from '@renderer/api/client'
import { usePagedList } from '@renderer/lib/paged-list'
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

  /** The session open in the viewer, if any. */
  const openId = ref<string | null>(null)
  const openDetail = shallowRef<StoredSessionDetail | null>(null)
  const openError = ref<string | null>(null)
  /** The open session's queries, a page at a time. */
  const queries = usePagedList<QueryRow>({
    pageSize: 200,
    paddingRows: 200,
    fetch: async (offset, limit) => {
      const id = openId.value
      const page = id === null ? null : await client.request('library.queries', id, offset, limit)
      if (!page) throw new Error('this session is no longer in the library')
      return page
    },
  })
  /** The open session's query shown in full, if any. */
  const queryId = ref<number | null>(null)
  const query = shallowRef<QueryRecord | null>(null)
  const queryLoading = ref(false)
  const queryError = ref<string | null>(null)

  let listRequest = 0
  let queryRequest = 0
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
    if (openId.value !== null && !sessions.value.some((s) => s.id === openId.value)) {
      // Deleted (or aged out) while open: the viewer says so on its next page.
      if (!search.value) openError.value = 'This session is no longer in the library.'
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

  async function rename(id: string, name: string): Promise<boolean> {
    const done = await change(
      () => client.request('library.rename', id, name),
      'That session is no longer in the library.',
    )
    if (done && openDetail.value?.id === id) void loadDetail(id)
    return done
  }

  async function setNote(id: string, note: string): Promise<boolean> {
    const done = await change(
      () => client.request('library.note', id, note),
      'That session is no longer in the library.',
    )
    if (done && openDetail.value?.id === id) void loadDetail(id)
    return done
  }

  async function remove(id: string): Promise<boolean> {
    const done = await change(
      () => client.request('library.delete', id),
      'That session was already deleted.',
    )
    if (done && openId.value === id) closeSession()
    return done
  }

  async function setRetention(changes: Partial<RetentionSettings>): Promise<boolean> {
    return change(async () => {
      await client.request('library.retention.set', changes)
      return true
    }, '')
  }

  /** Opens a stored session in the viewer. */
  function openSession(id: string): void {
    if (openId.value === id) return
    openId.value = id
    openDetail.value = null
    openError.value = null
    closeQuery()
    queries.reset()
    void loadDetail(id)
  }

  async function loadDetail(id: string): Promise<void> {
    try {
      const detail = await client.request('library.get', id)
      if (openId.value !== id) return
      openDetail.value = detail
      if (!detail) openError.value = 'This session is no longer in the library.'
    } catch (cause) {
      if (openId.value === id) openError.value = message(cause)
    }
  }

  function closeSession(): void {
    openId.value = null
    openDetail.value = null
    openError.value = null
    closeQuery()
  }

  /** Shows one of the open session's queries in full. */
  async function inspectQuery(id: number): Promise<void> {
    const session = openId.value
    if (session === null) return
    queryId.value = id
    if (query.value?.id === id) return
    const current = ++queryRequest
    query.value = null
    queryLoading.value = true
    queryError.value = null
    try {
      const record = await client.request('library.query', session, id)
      if (current !== queryRequest) return
      query.value = record
      if (!record) queryError.value = `Query #${id} is not in this session any more.`
    } catch (cause) {
      if (current === queryRequest) queryError.value = message(cause)
    } finally {
      if (current === queryRequest) queryLoading.value = false
    }
  }

  function closeQuery(): void {
    queryRequest += 1
    queryId.value = null
    query.value = null
    queryLoading.value = false
    queryError.value = null
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
    openId,
    openDetail,
    openError,
    /** Queries in the open session. */
    queryTotal: queries.total,
    queriesLoaded: queries.loaded,
    queriesError: queries.error,
    /** The open session's row at `index`, or undefined while its page loads. */
    queryRowAt: queries.rowAt,
    /** The rows the viewer's table shows (`end` exclusive). */
    setQueryRange: queries.setVisibleRange,
    queryId,
    query,
    queryLoading,
    queryError,
    refresh,
    setSearchText,
    applySearchNow,
    rename,
    setNote,
    remove,
    setRetention,
    openSession,
    closeSession,
    inspectQuery,
    closeQuery,
    activate,
    deactivate,
  }
})
