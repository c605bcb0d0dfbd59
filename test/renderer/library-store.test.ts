import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { RECORDING_REFRESH_MS, useLibraryStore } from '@renderer/stores/library'
import { useConnectionStore } from '@renderer/stores/connection'
import { FakeProfilerClient, piniaWith, profilerStatus } from './fake-client'
import { fakeLibrary, storedSession } from './fake-library'

beforeEach(() => vi.useFakeTimers())
afterEach(() => vi.useRealTimers())

function setUp(sessions = [storedSession()]) {
  const library = fakeLibrary(sessions)
  const client = new FakeProfilerClient({
    'status.get': () => profilerStatus({ sessionId: 'live-1' }),
    ...library.handlers,
  })
  piniaWith(client)
  const store = useLibraryStore()
  const lists = () => client.requests.filter((request) => request.channel === 'library.list')
  return { client, store, library, lists }
}

describe('useLibraryStore', () => {
  it('loads nothing until the view is shown', async () => {
    const { store, lists } = setUp()
    await flushPromises()
    expect(lists()).toHaveLength(0)
    store.activate()
    await flushPromises()
    expect(lists()).toHaveLength(1)
    expect(store.sessions.map((session) => session.id)).toEqual(['session-a'])
    expect(store.loaded).toBe(true)
  })

  it('refetches every few seconds while shown and a session is being recorded, so its counts move', async () => {
    const { store, library, lists } = setUp([storedSession({ status: 'recording', endedAt: null })])
    store.activate()
    await flushPromises()
    library.sessions[0]!.queryCount = 5000
    await vi.advanceTimersByTimeAsync(RECORDING_REFRESH_MS)
    expect(store.sessions[0]!.queryCount).toBe(5000)
    const before = lists().length
    store.deactivate()
    await vi.advanceTimersByTimeAsync(RECORDING_REFRESH_MS * 3)
    expect(lists()).toHaveLength(before)
  })

  it('does not poll a library where nothing is being recorded', async () => {
    const { store, lists } = setUp()
    store.activate()
    await flushPromises()
    await vi.advanceTimersByTimeAsync(RECORDING_REFRESH_MS * 3)
    expect(lists()).toHaveLength(1)
  })

  it('refetches when the live session is cleared (its stored session ended)', async () => {
    const { client, store, lists } = setUp()
    store.activate()
    await flushPromises()
    const connection = useConnectionStore()
    await flushPromises()
    expect(connection.status?.sessionId).toBe('live-1')
    client.emit('status', profilerStatus({ sessionId: 'live-2' }))
    await flushPromises()
    expect(lists().length).toBeGreaterThanOrEqual(2)
  })

  it('debounces the search, and sends it at once on Enter', async () => {
    const { store, lists } = setUp()
    store.activate()
    await flushPromises()
    store.setSearchText('ch')
    store.setSearchText('checkout')
    await vi.advanceTimersByTimeAsync(100)
    expect(lists()).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(300)
    expect(lists().at(-1)?.args).toEqual([{ search: 'checkout' }])
    store.setSearchText('nightly')
    store.applySearchNow()
    await flushPromises()
    expect(lists().at(-1)?.args).toEqual([{ search: 'nightly' }])
    expect(store.sessions).toEqual([])
  })

  it('keeps the last list when a reply to an older request comes late', async () => {
    const { client, store, library } = setUp()
    let releaseFirst: () => void = () => {}
    const original = library.handlers['library.list']!
    let first = true
    client.handlers['library.list'] = (options) => {
      if (!first) return original(options)
      first = false
      return new Promise((resolve) => (releaseFirst = () => resolve([])))
    }
    store.activate()
    await flushPromises()
    await store.refresh()
    expect(store.sessions).toHaveLength(1)
    releaseFirst()
    await flushPromises()
    expect(store.sessions).toHaveLength(1)
  })
})
