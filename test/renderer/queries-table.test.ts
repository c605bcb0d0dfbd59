// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import QueriesTable from '@renderer/queries/QueriesTable.vue'
import { useQueriesStore } from '@renderer/stores/queries'
import { formatClock } from '@renderer/lib/format'
import {
  FakeProfilerClient,
  mountOptions,
  profilerStatus,
  queryRecord,
  ringPages,
  syntheticPages,
  syntheticRow,
} from './fake-client'
import { scrollTo, stubTableLayout } from './layout'

const ROW_HEIGHT = 22
const VIEWPORT = 440

let restoreLayout: () => void
const mounted: VueWrapper[] = []

beforeEach(() => {
  restoreLayout = stubTableLayout(VIEWPORT)
})
afterEach(() => {
  for (const wrapper of mounted.splice(0)) wrapper.unmount()
  restoreLayout()
})

async function mountTable(total: number) {
  let rows = total
  const client = new FakeProfilerClient({
    'status.get': () => profilerStatus(),
    'queries.page': syntheticPages(() => rows),
    'queries.get': (id) => queryRecord({ id }),
  })
  const wrapper = mount(QueriesTable, { ...mountOptions(client), attachTo: document.body })
  mounted.push(wrapper)
  await settle()
  const scroller = wrapper.get('[data-test="queries-scroller"]').element as HTMLElement
  return {
    client,
    wrapper,
    scroller,
    store: useQueriesStore(),
    grow: async (next: number) => {
      rows = next
      client.emit('queries.changed', { total: next, lastId: next })
      await settle()
    },
  }
}

/** Lets replies, renders and the virtualiser's follow-up renders all land. */
async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) await flushPromises()
}

const renderedIndexes = (wrapper: VueWrapper): number[] =>
  wrapper.findAll('[role="row"]').map((row) => Number(row.attributes('data-index')))

describe('the queries table', () => {
  it('renders a screenful of rows and fetches only the pages it shows, at 100,000 queries', async () => {
    const { client, wrapper, scroller } = await mountTable(100_000)
    // Following the tail: the newest rows are on screen.
    scrollTo(scroller, scroller.scrollHeight - VIEWPORT)
    await settle()

    const indexes = renderedIndexes(wrapper)
    expect(indexes.length).toBeGreaterThan(VIEWPORT / ROW_HEIGHT - 1)
    expect(indexes.length).toBeLessThan(60)
    expect(Math.max(...indexes)).toBe(99_999)
    const fetched = client.pageRequests().reduce((sum, r) => sum + r.limit, 0)
    expect(fetched).toBeLessThanOrEqual(1_000)
    expect(wrapper.get('[data-test="queries-total"]').text()).toBe('100,000 queries')
  })

  it('fetches the pages around a new scroll position, and nothing in between', async () => {
    const { client, wrapper, scroller } = await mountTable(100_000)
    client.requests.length = 0
    scrollTo(scroller, 40_000 * ROW_HEIGHT)
    await settle()

    const offsets = client.pageRequests().map((r) => r.offset)
    expect(offsets.length).toBeGreaterThan(0)
    for (const offset of offsets) expect(Math.abs(offset - 40_000)).toBeLessThan(600)
    const first = wrapper.get('[data-index="40000"]')
    expect(first.text()).toContain('WHERE id = 40000')
  })

  it('shows time, duration (slow ones marked), SQL on one line, rows, status, app and context', async () => {
    const { wrapper, scroller } = await mountTable(60)
    scrollTo(scroller, 0)
    await settle()
    const slow = wrapper.get('[data-index="7"]')
    const cells = slow.findAll('[role="gridcell"]').map((c) => c.text())
    expect(cells[0]).toBe(formatClock(syntheticRow(7).startTime))
    expect(cells[1]).toBe('150ms')
    expect(slow.get('.duration').classes()).toContain('slow')
    expect(cells[2]).toBe('SELECT id, email FROM users WHERE id = 7')
    expect(cells.slice(3)).toEqual(['1', 'ok', 'shop-api', 'GET /users/:id'])

    const failed = wrapper.get('[data-index="5"]')
    expect(failed.get('.badge').text()).toBe('error')
    expect(wrapper.get('[data-index="6"]').get('.duration').classes()).not.toContain('slow')
  })

  it('moves the selection with the arrow keys and opens the detail with Enter', async () => {
    const { wrapper, scroller, store } = await mountTable(60)
    scrollTo(scroller, 0)
    await settle()
    await wrapper.get('[data-index="3"]').trigger('click')
    expect(store.selectedId).toBe(4)
    store.closeDetail()

    const grid = wrapper.get('[role="grid"]')
    await grid.trigger('keydown', { key: 'ArrowDown' })
    await grid.trigger('keydown', { key: 'ArrowDown' })
    await grid.trigger('keydown', { key: 'ArrowUp' })
    expect(store.selectedIndex).toBe(4)
    expect(wrapper.get('[data-index="4"]').attributes('aria-selected')).toBe('true')
    expect(store.detailOpen).toBe(false)

    await grid.trigger('keydown', { key: 'Enter' })
    await settle()
    expect(store.detailOpen).toBe(true)
    expect(store.detail?.id).toBe(5)

    await grid.trigger('keydown', { key: 'End' })
    expect(store.selectedIndex).toBe(59)
    await grid.trigger('keydown', { key: 'Home' })
    expect(store.selectedIndex).toBe(0)
  })

  it('follows new queries at the bottom, pauses when scrolled up, and offers to jump to the new ones', async () => {
    const { wrapper, scroller, grow } = await mountTable(1_000)
    await grow(1_010)
    expect(scroller.scrollTop).toBe(1_010 * ROW_HEIGHT)
    expect(wrapper.find('[data-test="jump-to-latest"]').exists()).toBe(false)

    scrollTo(scroller, 200 * ROW_HEIGHT)
    await settle()
    await grow(1_025)
    expect(scroller.scrollTop).toBe(200 * ROW_HEIGHT)
    const pill = wrapper.get('[data-test="jump-to-latest"]')
    expect(pill.text()).toContain('15 new')

    await pill.trigger('click')
    await settle()
    expect(scroller.scrollTop).toBe(1_025 * ROW_HEIGHT)
    scrollTo(scroller, scroller.scrollTop)
    await grow(1_030)
    expect(scroller.scrollTop).toBe(1_030 * ROW_HEIGHT)
    expect(wrapper.find('[data-test="jump-to-latest"]').exists()).toBe(false)
  })

  it('stops following when the user selects an older row, so it stays on screen', async () => {
    const { wrapper, scroller, grow } = await mountTable(1_000)
    await grow(1_005)
    const bottom = scroller.scrollTop
    await wrapper.get('[data-index="990"]').trigger('click')
    await grow(1_020)
    expect(scroller.scrollTop).toBe(bottom)
    expect(wrapper.get('[data-test="jump-to-latest"]').text()).toContain('15 new')
    expect(wrapper.get('[data-index="990"]').attributes('aria-selected')).toBe('true')
  })

  describe('once the session is full (total fixed, lastId growing)', () => {
    async function mountFull(capacity: number) {
      const ring = { total: capacity, lastId: capacity }
      const client = new FakeProfilerClient({
        'status.get': () => profilerStatus(),
        'queries.page': ringPages(() => ring),
        'queries.get': (id) => queryRecord({ id }),
      })
      const wrapper = mount(QueriesTable, { ...mountOptions(client), attachTo: document.body })
      mounted.push(wrapper)
      await settle()
      const scroller = wrapper.get('[data-test="queries-scroller"]').element as HTMLElement
      return {
        wrapper,
        scroller,
        store: useQueriesStore(),
        evict: async (count: number) => {
          ring.lastId += count
          client.emit('queries.changed', { ...ring })
          await settle()
        },
      }
    }

    /** The ids of the rows in the viewport, top to bottom. */
    function idsOnScreen(wrapper: VueWrapper, scroller: HTMLElement): number[] {
      // happy-dom does not clamp scrollTop to the content, as a browser would.
      const rows = Number(scroller.getAttribute('aria-rowcount'))
      const first = Math.min(
        Math.floor(scroller.scrollTop / ROW_HEIGHT),
        rows - VIEWPORT / ROW_HEIGHT,
      )
      const ids: number[] = []
      for (let index = first; index < first + VIEWPORT / ROW_HEIGHT; index++) {
        const sql = wrapper.get(`[data-index="${index}"]`).get('.sql').text()
        ids.push(Number(/id = (\d+)/.exec(sql)![1]) + 1)
      }
      return ids
    }

    it('still counts the new queries while paused', async () => {
      const { wrapper, scroller, evict } = await mountFull(1_000)
      scrollTo(scroller, 200 * ROW_HEIGHT)
      await settle()
      await evict(15)
      expect(wrapper.get('[data-test="queries-total"]').text()).toBe('1,000 queries')
      expect(wrapper.get('[data-test="jump-to-latest"]').text()).toContain('15 new')
      await evict(10)
      expect(wrapper.get('[data-test="jump-to-latest"]').text()).toContain('25 new')

      // Back to the newest: it follows them as the oldest keep going.
      await wrapper.get('[data-test="jump-to-latest"]').trigger('click')
      await settle()
      await evict(5)
      expect(idsOnScreen(wrapper, scroller).at(-1)).toBe(1_030)
      expect(wrapper.find('[data-test="jump-to-latest"]').exists()).toBe(false)
    })

    it('keeps the same queries on screen while paused as the oldest are evicted', async () => {
      const { wrapper, scroller, store, evict } = await mountFull(1_000)
      scrollTo(scroller, 200 * ROW_HEIGHT)
      await settle()
      await wrapper.get('[data-index="205"]').trigger('click')
      const before = idsOnScreen(wrapper, scroller)
      expect(before[0]).toBe(201)

      await evict(15)
      expect(scroller.scrollTop).toBe(185 * ROW_HEIGHT)
      expect(idsOnScreen(wrapper, scroller)).toEqual(before)
      await evict(40)
      expect(idsOnScreen(wrapper, scroller)).toEqual(before)
      expect(store.selectedId).toBe(206)
      expect(wrapper.get('[data-index="150"]').attributes('aria-selected')).toBe('true')
    })
  })
})
