// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import type { QueryPage } from '@shared/api'
import { MAX_PAGE_SIZE } from '@shared/api'
import {
  FILTER_DEBOUNCE_MS,
  MAX_CACHED_PAGES,
  QUERY_PADDING_ROWS,
  QUERY_PAGE_SIZE,
  useQueriesStore,
} from '@renderer/stores/queries'
import {
  FakeProfilerClient,
  piniaWith,
  queryRecord,
  ringPages,
  syntheticPages,
  syntheticRow,
} from './fake-client'

function storeOver(total: number) {
  let rows = total
  const client = new FakeProfilerClient({
    'queries.page': syntheticPages(() => rows),
    'queries.get': (id) => queryRecord({ id }),
    'session.clear': () => {
      rows = 0
    },
  })
  piniaWith(client)
  const store = useQueriesStore()
  return {
    client,
    store,
    setRows: (next: number) => {
      rows = next
    },
  }
}

/** A promise the test resolves by hand, to hold a reply in flight. */
function deferred<T>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('the queries store', () => {
  it('fetches only the pages around the visible window of a 100,000-query session', async () => {
    const { client, store } = storeOver(100_000)
    await flushPromises()
    expect(store.total).toBe(100_000)
    client.requests.length = 0

    store.setVisibleRange(50_000, 50_040)
    await flushPromises()

    const requested = client.pageRequests()
    const from = 50_000 - QUERY_PADDING_ROWS
    const to = 50_040 + QUERY_PADDING_ROWS
    expect(requested.length).toBeGreaterThan(0)
    expect(requested.length).toBeLessThanOrEqual(Math.ceil((to - from) / QUERY_PAGE_SIZE) + 1)
    for (const { offset, limit } of requested) {
      expect(limit).toBeLessThanOrEqual(MAX_PAGE_SIZE)
      expect(offset + limit).toBeGreaterThan(from)
      expect(offset).toBeLessThan(to)
    }
    expect(store.rowAt(50_000)).toEqual(syntheticRow(50_000))
    expect(store.rowAt(50_039)).toEqual(syntheticRow(50_039))
    expect(store.rowAt(10_000)).toBeUndefined()
  })

  it('does not ask again for pages it holds when the window moves within them', async () => {
    const { client, store } = storeOver(100_000)
    store.setVisibleRange(50_000, 50_040)
    await flushPromises()
    const before = client.pageRequests().length

    // Padded, both windows still fall within the pages fetched for the first one.
    store.setVisibleRange(50_100, 50_140)
    store.setVisibleRange(50_050, 50_090)
    await flushPromises()
    expect(client.pageRequests()).toHaveLength(before)
  })

  it('keeps the cache bounded while the view scrolls through the whole session', async () => {
    const { store } = storeOver(100_000)
    for (let start = 0; start < 100_000; start += 2_000) {
      store.setVisibleRange(start, start + 40)
      await flushPromises()
    }
    let cached = 0
    for (let page = 0; page * QUERY_PAGE_SIZE < 100_000; page++) {
      if (store.rowAt(page * QUERY_PAGE_SIZE)) cached += 1
    }
    expect(cached).toBeLessThanOrEqual(MAX_CACHED_PAGES)
    expect(store.rowAt(98_000)).toBeDefined()
    expect(store.rowAt(0)).toBeUndefined()
  })

  it('grows total from queries.changed at once and refetches the visible pages', async () => {
    const { client, store, setRows } = storeOver(1_000)
    store.setVisibleRange(960, 1_000)
    await flushPromises()
    client.requests.length = 0

    setRows(1_050)
    client.emit('queries.changed', { total: 1_050, lastId: 1_050 })
    expect(store.total).toBe(1_050)
    await flushPromises()
    const offsets = client.pageRequests().map((r) => r.offset)
    expect(offsets).toContain(800)
    expect(offsets.every((offset) => offset >= 600)).toBe(true)
    expect(store.rowAt(1_049)).toEqual(syntheticRow(1_049))
  })

  it('keeps showing the stale rows while their refetch is in flight', async () => {
    const { client, store } = storeOver(300)
    store.setVisibleRange(0, 40)
    await flushPromises()
    const held = deferred<QueryPage>()
    client.handlers['queries.page'] = () => held.promise

    // One query in, one evicted: the held rows move up by one and stay on screen.
    client.emit('queries.changed', { total: 300, lastId: 301 })
    await flushPromises()
    expect(store.rowAt(0)).toEqual(syntheticRow(1))

    const replacement = { ...syntheticRow(1), sql: 'SELECT 1' }
    held.resolve({ total: 300, offset: 0, rows: [replacement] })
    await flushPromises()
    expect(store.rowAt(0)?.sql).toBe('SELECT 1')
  })

  it('applies the filter once, after the typing stops, with the last text', async () => {
    const { client, store } = storeOver(1_000)
    await flushPromises()
    vi.useFakeTimers()
    client.requests.length = 0

    store.setFilterText('u')
    vi.advanceTimersByTime(FILTER_DEBOUNCE_MS / 2)
    store.setFilterText('us')
    vi.advanceTimersByTime(FILTER_DEBOUNCE_MS / 2)
    store.setFilterText('id = 12 ')
    vi.advanceTimersByTime(FILTER_DEBOUNCE_MS - 1)
    expect(client.pageRequests()).toEqual([])

    vi.advanceTimersByTime(1)
    expect(store.filter).toBe('id = 12')
    const filtered = client.pageRequests()
    expect(filtered.length).toBeGreaterThan(0)
    expect(filtered.every((r) => r.filter === 'id = 12')).toBe(true)
    vi.useRealTimers()
    await flushPromises()
    // Rows 12 and 120..129 contain "id = 12".
    expect(store.total).toBe(11)
    expect(store.rowAt(0)?.id).toBe(13)
  })

  it('drops replies requested under a filter that has since changed', async () => {
    const { client, store } = storeOver(1_000)
    await flushPromises()
    const stale = deferred<QueryPage>()
    client.handlers['queries.page'] = () => stale.promise
    store.setFilterText('first')
    store.applyFilterNow()

    client.handlers['queries.page'] = syntheticPages(() => 1_000)
    store.setFilterText('id = 7')
    store.applyFilterNow()
    await flushPromises()
    const fresh = store.total

    stale.resolve({ total: 999_999, offset: 0, rows: [{ ...syntheticRow(0), sql: 'STALE' }] })
    await flushPromises()
    expect(store.total).toBe(fresh)
    expect(store.rowAt(0)?.sql).not.toBe('STALE')
  })

  it('selects by id, loads the detail when opened, and the detail follows the selection', async () => {
    const { client, store } = storeOver(100)
    store.setVisibleRange(0, 40)
    await flushPromises()

    store.select(4)
    expect(store.selectedId).toBe(5)
    expect(client.requests.some((r) => r.channel === 'queries.get')).toBe(false)

    store.openDetail()
    await flushPromises()
    expect(store.detailOpen).toBe(true)
    expect(store.detail?.id).toBe(5)

    store.select(5)
    await flushPromises()
    expect(store.detail?.id).toBe(6)

    store.closeDetail()
    store.select(6)
    await flushPromises()
    expect(store.detail?.id).toBe(6)
    expect(client.requests.filter((r) => r.channel === 'queries.get')).toHaveLength(2)
  })

  it('re-finds the selected query by id when the rows under it shift', async () => {
    const { client, store } = storeOver(100)
    store.setVisibleRange(0, 40)
    await flushPromises()
    store.select(10)
    expect(store.selectedId).toBe(11)

    // The oldest 3 queries were evicted: every offset moved down by 3.
    client.handlers['queries.page'] = ({ offset, limit }) => ({
      total: 100,
      offset,
      rows: Array.from({ length: Math.min(limit, 100 - offset) }, (_, i) =>
        syntheticRow(offset + i + 3),
      ),
    })
    client.emit('queries.changed', { total: 100, lastId: 103 })
    await flushPromises()
    expect(store.selectedId).toBe(11)
    expect(store.selectedIndex).toBe(7)
  })

  describe('once the session is full (total fixed, lastId growing)', () => {
    function fullStore() {
      const ring = { total: 1_000, lastId: 1_000 }
      const client = new FakeProfilerClient({
        'queries.page': ringPages(() => ring),
        'queries.get': (id) => queryRecord({ id }),
      })
      piniaWith(client)
      const store = useQueriesStore()
      const evict = (count: number) => {
        ring.lastId += count
        client.emit('queries.changed', { ...ring })
      }
      return { client, store, ring, evict }
    }

    it('moves cached rows and the selection with the evictions, before the refetch lands', async () => {
      const { store, evict } = fullStore()
      store.setVisibleRange(500, 540)
      await flushPromises()
      store.select(510)
      expect(store.selectedId).toBe(511)
      expect(store.rowAt(500)?.id).toBe(501)

      evict(30)
      // Nothing refetched yet: the held rows are already at their new offsets.
      expect(store.total).toBe(1_000)
      expect(store.rowAt(470)?.id).toBe(501)
      expect(store.rowAt(509)?.id).toBe(540)
      expect(store.selectedIndex).toBe(480)
      expect(store.firstId).toBe(31)
      expect(store.lastId).toBe(1_030)

      await flushPromises()
      expect(store.rowAt(470)?.id).toBe(501)
      expect(store.rowAt(999)).toBeUndefined() // far from the view: not fetched
      expect(store.selectedId).toBe(511)
      expect(store.selectedIndex).toBe(480)
    })

    it('places a reply made before an eviction by id, never at its old offsets', async () => {
      const { client, store, ring, evict } = fullStore()
      store.setVisibleRange(0, 40)
      await flushPromises()
      const held = deferred<QueryPage>()
      client.handlers['queries.page'] = () => held.promise
      // A refetch goes out in the old frame (offset 0 = id 1)...
      client.emit('queries.changed', { ...ring })
      // ...then 5 are evicted before its reply comes (and the next refetch never answers).
      client.handlers['queries.page'] = () => new Promise<QueryPage>(() => {})
      evict(5)
      held.resolve({ total: 1_000, offset: 0, rows: [syntheticRow(0), syntheticRow(1)] })
      await flushPromises()
      expect(store.rowAt(0)?.id).toBe(6)
      expect(store.rowAt(1)?.id).toBe(7)
    })

    it('does not shift the filtered list, whose offsets the event does not describe', async () => {
      const { store, evict } = fullStore()
      store.setFilterText('id = 99')
      store.applyFilterNow()
      store.setVisibleRange(0, 40)
      await flushPromises()
      // Rows 99, 990..999 match (ids 100, 991..1000).
      expect(store.total).toBe(11)
      expect(store.rowAt(0)?.id).toBe(100)

      evict(100)
      expect(store.rowAt(0)?.id).toBe(100)
      expect(store.firstId).toBeNull()
      await flushPromises()
      // Id 100 is gone; the refetch shows what is held now.
      expect(store.total).toBe(10)
      expect(store.rowAt(0)?.id).toBe(991)
    })
  })

  it('says so when the selected query is no longer in the live session', async () => {
    const { client, store } = storeOver(10)
    await flushPromises()
    client.handlers['queries.get'] = () => null
    store.select(3)
    store.openDetail()
    await flushPromises()
    expect(store.detail).toBeNull()
    expect(store.detailError).toMatch(/no longer in the live session/)
  })

  it('empties rows and selection when the session is cleared', async () => {
    const { store } = storeOver(500)
    store.setVisibleRange(0, 40)
    await flushPromises()
    store.select(2)
    store.openDetail()
    await flushPromises()

    await store.clearSession()
    await flushPromises()
    expect(store.total).toBe(0)
    expect(store.rowAt(0)).toBeUndefined()
    expect(store.selectedId).toBeNull()
    expect(store.detailOpen).toBe(false)
  })

  it('starts over on the viewed session when another is viewed, dropping replies about the last', async () => {
    const { client, store, setRows } = storeOver(500)
    store.setVisibleRange(0, 40)
    await flushPromises()
    store.select(2)
    store.openDetail()
    await flushPromises()
    const stale = deferred<QueryPage>()
    client.handlers['queries.page'] = () => stale.promise
    client.emit('queries.changed', { total: 500, lastId: 500 })

    // Another session is viewed while that refetch is in flight.
    setRows(30)
    client.handlers['queries.page'] = syntheticPages(() => 30)
    client.emit('view.changed', {
      kind: 'stored',
      id: 'session-a',
      name: 'Checkout flow',
      startedAt: 0,
      endedAt: 1,
      queries: 30,
      apps: [],
    })
    await flushPromises()
    expect(store.total).toBe(30)
    expect(store.selectedId).toBeNull()
    expect(store.detailOpen).toBe(false)

    stale.resolve({ total: 500, offset: 0, rows: [{ ...syntheticRow(0), sql: 'STALE' }] })
    await flushPromises()
    expect(store.total).toBe(30)
    expect(store.rowAt(0)?.sql).not.toBe('STALE')
    expect(store.rowAt(29)).toBeDefined()
    expect(store.rowAt(30)).toBeUndefined()
  })

  it('refetches what it shows after the line to the core comes back', async () => {
    const { client, store } = storeOver(500)
    store.setVisibleRange(0, 40)
    await flushPromises()
    client.requests.length = 0

    client.setState('disconnected')
    client.setState('open')
    await flushPromises()
    expect(client.pageRequests().map((r) => r.offset)).toContain(0)
  })

  it('reports a failed page request instead of retrying it in a loop', async () => {
    const { client, store } = storeOver(500)
    await flushPromises()
    client.handlers['queries.page'] = () => {
      throw new Error('core busy')
    }
    client.requests.length = 0
    client.emit('queries.changed', { total: 500, lastId: 500 })
    await flushPromises()
    expect(store.loadError).toBe('core busy')
    expect(client.pageRequests().length).toBeLessThanOrEqual(2)
  })
})

beforeEach(() => {
  localStorage.clear()
})
