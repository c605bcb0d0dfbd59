// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import type { FingerprintPageRequest, FingerprintStats } from '@shared/analysis'
import StatisticsView from '@renderer/statistics/StatisticsView.vue'
import { FakeProfilerClient, mountOptions, profilerStatus, queryRecord } from './fake-client'
import { analysisSummary, fingerprintStats } from './fake-analysis'

const SCROLLER = '[data-test="table-scroller"]'
const mounted: VueWrapper[] = []
let restore: () => void

/** The table's scroller is 440 px tall (happy-dom does no layout). */
function stubScroller(): () => void {
  const original = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'clientHeight')!
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
    configurable: true,
    get(this: HTMLElement) {
      return this.matches(SCROLLER) ? 440 : original.get!.call(this)
    },
  })
  return () => Object.defineProperty(HTMLElement.prototype, 'clientHeight', original)
}

beforeEach(() => {
  restore = stubScroller()
})
afterEach(() => {
  for (const wrapper of mounted.splice(0)) wrapper.unmount()
  restore()
})

async function mountStatistics(total = 5000) {
  const all: FingerprintStats[] = Array.from({ length: total }, (_, i) => fingerprintStats(i))
  const client = new FakeProfilerClient({
    'status.get': () => profilerStatus(),
    'analysis.summary': () => analysisSummary(),
    'analysis.fingerprints': ({ offset, limit, filter }) => {
      const rows = filter ? all.filter((s) => s.fingerprint.includes(filter)) : all
      return { total: rows.length, offset, rows: rows.slice(offset, offset + limit) }
    },
    'queries.get': (id) => queryRecord({ id }),
  })
  const wrapper = mount(StatisticsView, { ...mountOptions(client), attachTo: document.body })
  mounted.push(wrapper)
  for (let i = 0; i < 3; i++) await flushPromises()
  const pages = () =>
    client.requests
      .filter((r) => r.channel === 'analysis.fingerprints')
      .map((r) => r.args[0] as FingerprintPageRequest)
  return { wrapper, client, pages }
}

describe('the Statistics view', () => {
  it('asks for the first page by total time, descending, and shows only the rows on screen', async () => {
    const { wrapper, pages } = await mountStatistics()
    // The first rows and the padding below them: two pages of 100, not 5,000 rows.
    expect(pages()).toEqual([
      { offset: 0, limit: 100, sortBy: 'totalMs', descending: true },
      { offset: 100, limit: 100, sortBy: 'totalMs', descending: true },
    ])
    expect(wrapper.get('[data-test="statistics-total"]').text()).toBe('5,000 query shapes')
    const rows = wrapper.findAll('[role="row"][data-index]')
    expect(rows.length).toBeGreaterThan(10)
    expect(rows.length).toBeLessThan(60)
    expect(rows[0].text()).toContain('"table_0"')
    expect(wrapper.get('[data-column="totalMs"]').attributes('aria-sort')).toBe('descending')
  })

  it('sorts by the column clicked, and flips on a second click', async () => {
    const { wrapper, pages } = await mountStatistics()
    let before = pages().length
    await wrapper.get('[data-column="p95Ms"] button').trigger('click')
    await flushPromises()
    expect(pages().slice(before)).toEqual([
      { offset: 0, limit: 100, sortBy: 'p95Ms', descending: true },
      { offset: 100, limit: 100, sortBy: 'p95Ms', descending: true },
    ])
    before = pages().length
    await wrapper.get('[data-column="p95Ms"] button').trigger('click')
    await flushPromises()
    expect(pages()[before]).toEqual({ offset: 0, limit: 100, sortBy: 'p95Ms', descending: false })
    expect(wrapper.get('[data-column="p95Ms"]').attributes('aria-sort')).toBe('ascending')
    // Percentiles the core cannot sort by have no sort button.
    expect(wrapper.find('[data-column="p50Ms"] button').exists()).toBe(false)
  })

  it('fetches further pages only when scrolled to them', async () => {
    const { wrapper, pages } = await mountStatistics()
    const scroller = wrapper.get(SCROLLER).element as HTMLElement
    scroller.scrollTop = 22 * 2000
    scroller.dispatchEvent(new Event('scroll'))
    await flushPromises()
    const offsets = pages().map((p) => p.offset)
    // Rows 1,890 to 2,130 (on screen, and padded): pages 1,800 to 2,100, nothing between.
    expect(offsets.slice(2)).toEqual([1800, 1900, 2000, 2100])
  })

  it('filters through the core', async () => {
    const { wrapper, pages } = await mountStatistics()
    const input = wrapper.get('input[type="search"]')
    await input.setValue('table_42"')
    await input.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    const filtered = pages().filter((p) => p.filter)
    expect(filtered[0]).toEqual({
      offset: 0,
      limit: 100,
      sortBy: 'totalMs',
      descending: true,
      filter: 'table_42"',
    })
    expect(filtered.every((p) => p.filter === 'table_42"')).toBe(true)
    expect(wrapper.get('[data-test="statistics-total"]').text()).toBe('1 matching')
  })

  it('opens a shape with its call site and a sample query', async () => {
    const { wrapper, client } = await mountStatistics()
    await wrapper.get('[role="row"][data-index="3"]').trigger('click')
    await flushPromises()
    const detail = wrapper.get('[data-test="fingerprint-detail"]')
    expect(detail.text()).toContain('"table_3"')
    expect(detail.get('[data-test="call-site"]').text()).toContain('/srv/app/src/repo.ts:4:9')
    expect(client.requests.some((r) => r.channel === 'queries.get' && r.args[0] === 10_003)).toBe(
      true,
    )
    expect(detail.find('[data-test="query-detail"]').exists()).toBe(true)
  })

  it('refetches the rows on screen when the analysis changes', async () => {
    const { client, pages } = await mountStatistics()
    const before = pages().length
    client.emit('analysis.changed', { summary: analysisSummary() })
    await flushPromises()
    expect(
      pages()
        .slice(before)
        .map((p) => p.offset),
    ).toEqual([0, 100])
  })
})
