/**
 * The Queries view's data: a window onto the live session, never the session itself.
 *
 * The store knows `total` and holds a small cache of fixed-size pages. The table reports
 * which rows are on screen (`setVisibleRange`); the store fetches the pages covering them
 * plus padding, and drops pages far from the view once the cache is full. When the core
 * says the session changed (`queries.changed`, throttled on its side), cached pages become
 * stale: they stay on screen, so nothing flickers, while the visible ones are refetched.
 * A new filter starts an epoch: replies to requests made under the old filter are dropped.
 *
 * Selection is by query id, because indexes shift when the session evicts its oldest
 * queries; the index is kept alongside for keyboard movement and re-found on every page.
 */
import { ref, shallowRef, triggerRef } from 'vue'
import { defineStore } from 'pinia'
import type { QueryRecord, QueryRow } from '@shared/domain'
import type { QueryPageRequest } from '@shared/api'
import { useProfilerClient } from '@renderer/api/client'

/** Rows per `queries.page` request (the core allows up to `MAX_PAGE_SIZE`). */
export const QUERY_PAGE_SIZE = 200
/** Rows fetched beyond each side of the visible window, so scrolling rarely shows blanks. */
export const QUERY_PADDING_ROWS = 200
/** Pages kept in memory; the farthest from the view go first. */
export const MAX_CACHED_PAGES = 30
/** Quiet time after the last keystroke before a filter is applied. */
export const FILTER_DEBOUNCE_MS = 200

interface CachedPage {
  rows: QueryRow[]
  /** The data generation the page was fetched in; older than the current one = stale. */
  generation: number
}

const message = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

export const useQueriesStore = defineStore('queries', () => {
  const client = useProfilerClient()

  /** Queries matching the filter in the live session. */
  const total = ref(0)
  /** Whether a page has arrived for the current filter (until then `total` is stale). */
  const loaded = ref(false)
  /** Why the last page request failed, if it did. */
  const loadError = ref<string | null>(null)
  /** The filter box's text, as typed. */
  const filterText = ref('')
  /** The filter the rows were fetched with (the debounced, trimmed `filterText`). */
  const filter = ref('')
  /** Id of the selected query. */
  const selectedId = ref<number | null>(null)
  /** Row index of the selected query in the (filtered) list. */
  const selectedIndex = ref<number | null>(null)
  /** Whether the detail panel is open. */
  const detailOpen = ref(false)
  /** The full record of the selected query, once fetched. */
  const detail = shallowRef<QueryRecord | null>(null)
  const detailLoading = ref(false)
  const detailError = ref<string | null>(null)

  const pages = shallowRef(new Map<number, CachedPage>())
  const inFlight = new Set<number>()
  let generation = 0
  let totalGeneration = 0
  let filterEpoch = 0
  let visibleStart = 0
  let visibleEnd = 0
  let filterTimer: ReturnType<typeof setTimeout> | null = null
  let detailRequest = 0

  /** The row at `index`, or `undefined` while its page is loading. */
  function rowAt(index: number): QueryRow | undefined {
    const pageIndex = Math.floor(index / QUERY_PAGE_SIZE)
    return pages.value.get(pageIndex)?.rows[index - pageIndex * QUERY_PAGE_SIZE]
  }

  /** Tells the store which rows are on screen (`end` exclusive); fetches what is missing. */
  function setVisibleRange(start: number, end: number): void {
    visibleStart = Math.max(0, start)
    visibleEnd = Math.max(visibleStart, end)
    fetchWindow()
  }

  function wantedPages(): [first: number, last: number] {
    const lastRow = Math.max(0, total.value - 1)
    const from = Math.min(Math.max(0, visibleStart - QUERY_PADDING_ROWS), lastRow)
    const to = Math.min(lastRow, visibleEnd - 1 + QUERY_PADDING_ROWS)
    const first = Math.floor(from / QUERY_PAGE_SIZE)
    return [first, Math.max(first, Math.floor(to / QUERY_PAGE_SIZE))]
  }

  function fetchWindow(): void {
    const [first, last] = wantedPages()
    for (let page = first; page <= last; page++) {
      const cached = pages.value.get(page)
      if (inFlight.has(page) || (cached && cached.generation === generation)) continue
      void fetchPage(page)
    }
  }

  async function fetchPage(pageIndex: number): Promise<void> {
    const epoch = filterEpoch
    const fetchedIn = generation
    inFlight.add(pageIndex)
    const request: QueryPageRequest = {
      offset: pageIndex * QUERY_PAGE_SIZE,
      limit: QUERY_PAGE_SIZE,
    }
    if (filter.value) request.filter = filter.value
    let succeeded = false
    try {
      const page = await client.request('queries.page', request)
      if (epoch !== filterEpoch) return
      succeeded = true
      pages.value.set(pageIndex, { rows: page.rows, generation: fetchedIn })
      if (fetchedIn >= totalGeneration) {
        total.value = page.total
        totalGeneration = fetchedIn
      }
      loaded.value = true
      loadError.value = null
      reconcileSelection(pageIndex, page.rows)
      evictFarPages()
      triggerRef(pages)
    } catch (cause) {
      if (epoch === filterEpoch) loadError.value = message(cause)
    } finally {
      if (epoch === filterEpoch) {
        inFlight.delete(pageIndex)
        // Data changed while this page was in flight: fetch it (and its neighbours) again.
        // Not after a failure, which would retry in a tight loop.
        if (succeeded) fetchWindow()
      }
    }
  }

  function reconcileSelection(pageIndex: number, rows: QueryRow[]): void {
    const base = pageIndex * QUERY_PAGE_SIZE
    if (selectedId.value === null) {
      // Selected by keyboard before its page had arrived: the row is known now.
      const index = selectedIndex.value
      if (index !== null && index >= base && index < base + rows.length) {
        selectedId.value = rows[index - base].id
        if (detailOpen.value) void loadDetail()
      }
      return
    }
    const at = rows.findIndex((row) => row.id === selectedId.value)
    if (at >= 0) selectedIndex.value = base + at
  }

  function evictFarPages(): void {
    const cache = pages.value
    if (cache.size <= MAX_CACHED_PAGES) return
    const center = Math.floor((visibleStart + visibleEnd) / 2 / QUERY_PAGE_SIZE)
    const byDistance = [...cache.keys()].sort((a, b) => Math.abs(b - center) - Math.abs(a - center))
    for (const page of byDistance.slice(0, cache.size - MAX_CACHED_PAGES)) cache.delete(page)
  }

  function onSessionChanged(change: { total: number }): void {
    generation += 1
    if (change.total === 0) {
      // Cleared: nothing cached or selected exists any more.
      pages.value = new Map()
      clearSelection()
    }
    // Without a filter the core's count is ours, so the table can grow before the pages come.
    if (!filter.value) {
      total.value = change.total
      totalGeneration = generation
    }
    fetchWindow()
  }

  /** Sets the filter box's text; the filter applies after `FILTER_DEBOUNCE_MS` of quiet. */
  function setFilterText(text: string): void {
    filterText.value = text
    if (filterTimer) clearTimeout(filterTimer)
    filterTimer = setTimeout(applyFilterNow, FILTER_DEBOUNCE_MS)
  }

  /** Applies the filter box's text now (Enter in the box). */
  function applyFilterNow(): void {
    if (filterTimer) clearTimeout(filterTimer)
    filterTimer = null
    const next = filterText.value.trim()
    if (next === filter.value) return
    filter.value = next
    filterEpoch += 1
    generation += 1
    inFlight.clear()
    pages.value = new Map()
    loaded.value = false
    fetchWindow()
  }

  /** Selects the row at `index` (clamped); the detail panel, when open, follows. */
  function select(index: number): void {
    if (total.value === 0) return
    const clamped = Math.min(Math.max(0, index), total.value - 1)
    selectedIndex.value = clamped
    selectedId.value = rowAt(clamped)?.id ?? null
    if (detailOpen.value) void loadDetail()
  }

  /** Opens the detail panel for the selection (the first row if nothing is selected). */
  function openDetail(): void {
    if (selectedIndex.value === null) select(0)
    if (selectedIndex.value === null) return
    detailOpen.value = true
    void loadDetail()
  }

  function closeDetail(): void {
    detailOpen.value = false
  }

  function clearSelection(): void {
    selectedId.value = null
    selectedIndex.value = null
    detail.value = null
    detailOpen.value = false
  }

  async function loadDetail(): Promise<void> {
    const id = selectedId.value
    if (id === null || detail.value?.id === id) return
    const request = ++detailRequest
    detailLoading.value = true
    detailError.value = null
    try {
      const record = await client.request('queries.get', id)
      if (request !== detailRequest) return
      detail.value = record
      if (!record) detailError.value = `Query #${id} is no longer in the live session.`
    } catch (cause) {
      if (request === detailRequest) detailError.value = message(cause)
    } finally {
      if (request === detailRequest) detailLoading.value = false
    }
  }

  /** Empties the live session in the core (every view clears when its event arrives). */
  async function clearSession(): Promise<void> {
    await client.request('session.clear')
    onSessionChanged({ total: 0 })
  }

  client.on('queries.changed', onSessionChanged)
  client.onStateChange((state) => {
    // Whatever happened while the line was down is unknown: everything cached is stale.
    if (state !== 'open') return
    generation += 1
    fetchWindow()
  })
  fetchWindow()

  return {
    total,
    loaded,
    loadError,
    filterText,
    filter,
    selectedId,
    selectedIndex,
    detailOpen,
    detail,
    detailLoading,
    detailError,
    rowAt,
    setVisibleRange,
    setFilterText,
    applyFilterNow,
    select,
    openDetail,
    closeDetail,
    clearSession,
  }
})
