/**
 * A window onto a long list the core serves in pages (fingerprints, slow and failed
 * queries), for use inside a setup store: it knows `total`, caches the pages around what is
 * on screen, and drops the far ones. The same scheme as the Queries store, without its
 * live-tail concerns:
 *   - `setVisibleRange` (from the table) fetches the pages covering the rows shown, padded;
 *   - `invalidate` (the data changed) keeps the rows on screen and refetches them, so
 *     nothing flickers;
 *   - `reset` (a new sort or filter: a different list) drops everything, and replies to
 *     requests made for the old list are ignored.
 */
import { ref, shallowRef, triggerRef } from 'vue'
import type { Page } from '@shared/analysis'

export interface PagedListOptions<T> {
  fetch: (offset: number, limit: number) => Promise<Page<T>>
  /** Rows per request. */
  pageSize?: number
  /** Rows fetched beyond each side of the visible ones. */
  paddingRows?: number
  /** Pages kept; the farthest from the view go first. */
  maxPages?: number
}

interface CachedPage<T> {
  rows: T[]
  generation: number
}

export function usePagedList<T>(options: PagedListOptions<T>) {
  const pageSize = options.pageSize ?? 100
  const paddingRows = options.paddingRows ?? 100
  const maxPages = options.maxPages ?? 20

  /** Rows in the whole list. */
  const total = ref(0)
  /** Whether a page has arrived for the current list. */
  const loaded = ref(false)
  /** Why the last request failed, if it did. */
  const error = ref<string | null>(null)
  const pages = shallowRef(new Map<number, CachedPage<T>>())
  const inFlight = new Set<number>()
  let generation = 0
  let epoch = 0
  let visibleStart = 0
  let visibleEnd = 0

  /** The row at `index`, or `undefined` while its page loads. */
  function rowAt(index: number): T | undefined {
    const page = Math.floor(index / pageSize)
    return pages.value.get(page)?.rows[index - page * pageSize]
  }

  /** The rows on screen (`end` exclusive); fetches what is missing. */
  function setVisibleRange(start: number, end: number): void {
    visibleStart = Math.max(0, start)
    visibleEnd = Math.max(visibleStart, end)
    fetchWindow()
  }

  function fetchWindow(): void {
    const lastRow = Math.max(0, total.value - 1)
    const from = Math.min(Math.max(0, visibleStart - paddingRows), lastRow)
    const to = Math.min(lastRow, visibleEnd - 1 + paddingRows)
    const first = Math.floor(from / pageSize)
    const last = Math.max(first, Math.floor(to / pageSize))
    for (let page = first; page <= last; page++) {
      const cached = pages.value.get(page)
      if (inFlight.has(page) || (cached && cached.generation === generation)) continue
      void fetchPage(page)
    }
  }

  async function fetchPage(page: number): Promise<void> {
    const requestEpoch = epoch
    const fetchedIn = generation
    inFlight.add(page)
    let succeeded = false
    try {
      const result = await options.fetch(page * pageSize, pageSize)
      if (requestEpoch !== epoch) return
      succeeded = true
      pages.value.set(page, { rows: result.rows, generation: fetchedIn })
      total.value = result.total
      loaded.value = true
      error.value = null
      evictFarPages()
      triggerRef(pages)
    } catch (cause) {
      if (requestEpoch === epoch)
        error.value = cause instanceof Error ? cause.message : String(cause)
    } finally {
      if (requestEpoch === epoch) {
        inFlight.delete(page)
        // Changed while in flight, or the total grew into view: fetch again (not after a
        // failure, which would retry in a tight loop).
        if (succeeded) fetchWindow()
      }
    }
  }

  function evictFarPages(): void {
    const cache = pages.value
    if (cache.size <= maxPages) return
    const center = Math.floor((visibleStart + visibleEnd) / 2 / pageSize)
    const byDistance = [...cache.keys()].sort((a, b) => Math.abs(b - center) - Math.abs(a - center))
    for (const page of byDistance.slice(0, cache.size - maxPages)) cache.delete(page)
  }

  /** The data changed: what is cached is stale; the rows on screen are fetched again. */
  function invalidate(): void {
    generation += 1
    fetchWindow()
  }

  /** A different list (new sort or filter): forget everything and start over. */
  function reset(): void {
    epoch += 1
    generation += 1
    inFlight.clear()
    pages.value = new Map()
    loaded.value = false
    fetchWindow()
  }

  return { total, loaded, error, rowAt, setVisibleRange, invalidate, reset }
}

export type PagedList<T> = ReturnType<typeof usePagedList<T>>
