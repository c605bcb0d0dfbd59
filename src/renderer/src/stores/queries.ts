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
 *
 * The session is a bounded ring: once full, each new query evicts the oldest, so `total`
 * stays put while `lastId` grows and every offset moves down by the number evicted. Without
 * a filter the store tracks `firstId` (the id at offset 0, `lastId - total + 1`) and, when
 * it moves, shifts the cached rows, the selected index and (through `firstId`, watched by
 * the table) the scroll position by the same amount, so the same queries stay on screen.
 * With a filter, `total` is the filtered count and the core does not say how many matching
 * queries were evicted: offsets may drift, and only the selection (by id) is kept.
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
  /** Holes (`undefined`) where a shifted page has no row yet. */
  rows: (QueryRow | undefined)[]
  /** The data generation the page was fetched in; older than the current one = stale. */
  generation: number
}

const message = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

export const useQueriesStore = defineStore('queries', () => {
  const client = useProfilerClient()

  /** Queries matching the filter in the live session. */
  const total = ref(0)
  /** Newest query id in the live session (unfiltered; 0 when empty or not known yet). */
  const lastId = ref(0)
  /**
   * Id of the query at offset 0 without a filter (`lastId - total + 1`), or null until
   * known. Moves up as the full session evicts its oldest queries.
   */
  const firstId = ref<number | null>(null)
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
  /** Pages being fetched, each with its request's number (a newer request replaces it). */
  const inFlight = new Map<number, number>()
  let pageRequest = 0
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
    const requestNumber = ++pageRequest
    inFlight.set(pageIndex, requestNumber)
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
      if (!request.filter && page.rows.length > 0) {
        // Which id sat at offset 0 when the core answered: evictions since the last event
        // show up here first. An older frame than ours means the reply is stale: drop it
        // (the `finally` refetches it).
        const replyFirstId = page.rows[0].id - page.offset
        if (firstId.value !== null && replyFirstId < firstId.value) return
        rebase(replyFirstId)
        lastId.value = Math.max(lastId.value, replyFirstId + page.total - 1)
      }
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
        if (inFlight.get(pageIndex) === requestNumber) inFlight.delete(pageIndex)
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

  /**
   * Moves everything indexed by offset to a new `firstId` (unfiltered only): cached rows
   * and the selected index move down by the number of queries evicted. The shifted pages
   * are stale (their edges are holes), so they show while the fresh ones are fetched.
   */
  function rebase(nextFirstId: number): void {
    const previous = firstId.value
    firstId.value = nextFirstId
    if (filter.value || previous === null || nextFirstId <= previous) return
    const delta = nextFirstId - previous
    const shifted = new Map<number, CachedPage>()
    for (const [pageIndex, page] of pages.value) {
      page.rows.forEach((row, at) => {
        const index = pageIndex * QUERY_PAGE_SIZE + at - delta
        if (!row || index < 0) return
        const key = Math.floor(index / QUERY_PAGE_SIZE)
        let target = shifted.get(key)
        if (!target) shifted.set(key, (target = { rows: [], generation: -1 }))
        target.rows[index - key * QUERY_PAGE_SIZE] = row
      })
    }
    pages.value = shifted
    // Requests in flight were for the old offsets: their replies are checked on arrival.
    inFlight.clear()
    if (selectedIndex.value !== null) {
      const index = selectedIndex.value - delta
      selectedIndex.value = index >= 0 ? index : null
    }
  }

  function onSessionChanged(change: { total: number; lastId: number }): void {
    generation += 1
    if (change.total === 0) {
      // Cleared: nothing cached or selected exists any more.
      pages.value = new Map()
      clearSelection()
      firstId.value = null
    }
    if (change.total === 0 || change.lastId >= lastId.value) lastId.value = change.lastId
    if (!filter.value && change.total > 0) rebase(change.lastId - change.total + 1)
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
    // Offsets in the new list are another frame: the first unfiltered reply sets it again.
    firstId.value = null
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
    onSessionChanged({ total: 0, lastId: 0 })
  }

  /**
   * Another session is viewed (see stores/view.ts): a different list. Everything cached or
   * selected goes, replies to requests made for the old one are dropped, and the filter
   * stays (it applies to the new list).
   */
  function reload(): void {
    filterEpoch += 1
    generation += 1
    inFlight.clear()
    pages.value = new Map()
    clearSelection()
    firstId.value = null
    lastId.value = 0
    total.value = 0
    totalGeneration = generation
    loaded.value = false
    fetchWindow()
  }

  client.on('queries.changed', onSessionChanged)
  client.on('view.changed', reload)
  client.onStateChange((state) => {
    // Whatever happened while the line was down is unknown: everything cached is stale.
    if (state !== 'open') return
    generation += 1
    fetchWindow()
  })
  fetchWindow()

  return {
    total,
    lastId,
    firstId,
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
