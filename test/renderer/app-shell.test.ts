// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { use } from 'echarts/core'
import { SVGRenderer } from 'echarts/renderers'
import { INIT_OPTIONS_KEY } from 'vue-echarts'
import App from '@renderer/App.vue'
import { useInspectorStore } from '@renderer/stores/inspector'
import {
  FakeProfilerClient,
  mountOptions,
  profilerStatus,
  queryRecord,
  syntheticPages,
} from './fake-client'
import { analysisSummary, syntheticTimeline } from './fake-analysis'
import { stubTableLayout } from './layout'

// happy-dom has no canvas: the timeline draws with ECharts' SVG renderer, at a fixed size.
use([SVGRenderer])

const mounted: VueWrapper[] = []
let restoreLayout: () => void
beforeEach(() => {
  restoreLayout = stubTableLayout()
})
afterEach(() => {
  for (const wrapper of mounted.splice(0)) wrapper.unmount()
  restoreLayout()
})

async function mountApp(options: { total: number; apps?: boolean }) {
  const client = new FakeProfilerClient({
    'status.get': () =>
      profilerStatus(options.apps === false ? { apps: [], connectedApps: 0 } : {}),
    'queries.page': syntheticPages(() => options.total),
    'queries.get': (id) => queryRecord({ id }),
    'connect.info': () => ({ agentUrl: 'ws://127.0.0.1:7420/agent', token: 't', snippets: [] }),
    'demo.start': () => ({ running: true, pid: 1 }),
    'analysis.summary': () => analysisSummary(),
    'analysis.findings': () => ({ findings: [], insights: [] }),
    'analysis.settings.get': () => ({
      nPlusOneThreshold: 5,
      duplicateThreshold: 2,
      writeLoopThreshold: 5,
      slowQueryMs: 100,
      outlierFactor: 10,
      outlierMinMs: 5,
      burstGapMs: 100,
      recurringMinContexts: 3,
    }),
    'analysis.fingerprints': ({ offset }) => ({ total: 0, offset, rows: [] }),
    'analysis.slow': ({ offset }) => ({ total: 0, offset, rows: [] }),
    'analysis.failed': ({ offset }) => ({ total: 0, offset, rows: [] }),
    'library.list': () => {
      throw new Error('library unavailable: the session library is off')
    },
    'library.storage': () => ({ available: false, error: 'the session library is off' }),
    'timeline.window': syntheticTimeline({
      lanes: 3,
      queriesPerLane: 4,
      laneGapMs: 100,
      queryGapMs: 10,
      durationMs: 2,
    }).handler,
  })
  const mounting = mountOptions(client)
  const wrapper = mount(App, {
    ...mounting,
    global: {
      ...mounting.global,
      provide: {
        ...mounting.global.provide,
        [INIT_OPTIONS_KEY as symbol]: { renderer: 'svg', width: 900, height: 560 },
      },
    },
    attachTo: document.body,
  })
  mounted.push(wrapper)
  for (let i = 0; i < 3; i++) await flushPromises()
  return { wrapper, client }
}

describe('the app shell', () => {
  it('points the empty Queries view to Connect and the demo when no app has connected', async () => {
    const { wrapper, client } = await mountApp({ total: 0, apps: false })
    const empty = wrapper.get('[data-test="queries-empty"]')
    expect(empty.text()).toContain('No app connected yet')

    await empty.get('[data-test="empty-demo"]').trigger('click')
    await flushPromises()
    expect(client.requests.some((r) => r.channel === 'demo.start')).toBe(true)

    await empty.get('[data-test="empty-connect"]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[role="dialog"][aria-modal="true"]').exists()).toBe(true)
  })

  it('says it waits for queries once an app is connected', async () => {
    const { wrapper } = await mountApp({ total: 0 })
    expect(wrapper.get('[data-test="queries-empty"]').text()).toContain('Connected: shop-api')
  })

  it('opens the Connect dialog from the header', async () => {
    const { wrapper } = await mountApp({ total: 10 })
    expect(wrapper.find('[role="dialog"][aria-modal="true"]').exists()).toBe(false)
    await wrapper.get('[data-test="open-connect"]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[role="dialog"][aria-modal="true"]').text()).toContain(
      'ws://127.0.0.1:7420/agent',
    )
  })

  it('shows each view from the nav, and an honest placeholder for the views not built yet', async () => {
    const { wrapper } = await mountApp({ total: 10 })
    await wrapper.get('[data-view="findings"]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-test="queries-scroller"]').exists()).toBe(false)
    expect(wrapper.find('[data-test="findings-empty"]').exists()).toBe(true)
    await wrapper.get('[data-view="statistics"]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-test="statistics-empty"]').exists()).toBe(true)
    await wrapper.get('[data-view="problems"]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-test="slow-empty"]').exists()).toBe(true)
    await wrapper.get('[data-view="health"]').trigger('click')
    expect(wrapper.text()).toContain('arrives with the health work')
    await wrapper.get('[data-view="sessions"]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-test="library-unavailable"]').exists()).toBe(true)
    await wrapper.get('[data-view="queries"]').trigger('click')
    expect(wrapper.find('[data-test="queries-scroller"]').exists()).toBe(true)
  })

  it('closes the query inspector when another view is shown', async () => {
    const { wrapper } = await mountApp({ total: 10 })
    await wrapper.get('[data-view="timeline"]').trigger('click')
    const inspector = useInspectorStore()
    await inspector.inspect(3)
    expect(inspector.open).toBe(true)
    await wrapper.get('[data-view="problems"]').trigger('click')
    await flushPromises()
    expect(inspector.open).toBe(false)
    expect(wrapper.find('[data-test="query-detail"]').exists()).toBe(false)
  })

  it('shows the findings, slow and failed counts as badges, updated as the analysis changes', async () => {
    const { wrapper, client } = await mountApp({ total: 10 })
    const findings = wrapper.get('[data-view="findings"]')
    const problems = wrapper.get('[data-view="problems"]')
    expect(findings.get('[data-badge="warn"]').text()).toBe('4')
    expect(problems.get('[data-badge="warn"]').text()).toBe('7')
    expect(problems.get('[data-badge="error"]').text()).toBe('3')
    expect(wrapper.get('[data-view="statistics"]').find('[data-badge]').exists()).toBe(false)

    client.emit('analysis.changed', {
      summary: analysisSummary({
        slow: 0,
        failed: 12,
        findings: { 'n-plus-one': 10, duplicate: 0, 'write-loop': 1 },
      }),
    })
    await flushPromises()
    expect(findings.get('[data-badge="warn"]').text()).toBe('11')
    expect(findings.get('[data-badge="warn"]').attributes('title')).toContain('10 N+1 reads')
    expect(problems.find('[data-badge="warn"]').exists()).toBe(false)
    expect(problems.get('[data-badge="error"]').text()).toBe('12')
  })

  it('focuses the filter on "/" and closes the detail on Escape', async () => {
    const { wrapper } = await mountApp({ total: 10 })
    document.body.dispatchEvent(new KeyboardEvent('keydown', { key: '/', bubbles: true }))
    expect(document.activeElement).toBe(wrapper.get('[data-test="queries-filter"]').element)

    await wrapper.get('[data-index="2"]').trigger('click')
    await flushPromises()
    expect(wrapper.find('[data-test="query-detail"]').exists()).toBe(true)
    document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))
    await flushPromises()
    expect(wrapper.find('[data-test="query-detail"]').exists()).toBe(false)
  })

  it('filters from the filter box, showing what matched', async () => {
    const { wrapper, client } = await mountApp({ total: 200 })
    const input = wrapper.get('[data-test="queries-filter"]')
    await input.setValue('id = 17')
    await input.trigger('keydown', { key: 'Enter' })
    for (let i = 0; i < 3; i++) await flushPromises()
    expect(client.pageRequests().some((r) => r.filter === 'id = 17')).toBe(true)
    // Rows 17 and 170..179.
    expect(wrapper.get('[data-test="queries-total"]').text()).toBe('11 matching')

    await input.setValue('no such text')
    await input.trigger('keydown', { key: 'Enter' })
    for (let i = 0; i < 3; i++) await flushPromises()
    expect(wrapper.get('[data-test="queries-empty"]').text()).toContain(
      'No queries match “no such text”',
    )
  })
})
