// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { getInstanceByDom, use, type ECElementEvent, type ECharts } from 'echarts/core'
import { SVGRenderer } from 'echarts/renderers'
import { INIT_OPTIONS_KEY } from 'vue-echarts'
import TimelineView from '@renderer/timeline/TimelineView.vue'
import { useTimelineStore } from '@renderer/stores/timeline'
import { useInspectorStore } from '@renderer/stores/inspector'
import { FakeProfilerClient, mountOptions, profilerStatus, queryRecord } from './fake-client'
import { T0, syntheticTimeline } from './fake-analysis'

// happy-dom has no canvas: the chart draws with ECharts' SVG renderer, at a fixed size.
use([SVGRenderer])

const mounted: VueWrapper[] = []
let restore: (() => void) | null = null

/** The plot is 560 px tall: 24 for the axis, 38 for the slider, 22 lanes of 22 px. */
function stubPlotHeight(height = 560): () => void {
  const original = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'clientHeight')!
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
    configurable: true,
    get(this: HTMLElement) {
      return this.matches('[data-test="timeline-plot"]') ? height : original.get!.call(this)
    },
  })
  return () => Object.defineProperty(HTMLElement.prototype, 'clientHeight', original)
}

beforeEach(() => {
  restore = stubPlotHeight()
})
afterEach(() => {
  for (const wrapper of mounted.splice(0)) wrapper.unmount()
  restore?.()
})

/** 60 requests 100 ms apart, 10 queries each (or more): 6 s, more lanes than fit. */
async function mountTimeline(queriesPerLane = 10, queryGapMs = 8) {
  const timeline = syntheticTimeline({
    lanes: 60,
    queriesPerLane,
    laneGapMs: 100,
    queryGapMs,
    durationMs: 3,
  })
  const client = new FakeProfilerClient({
    'status.get': () => profilerStatus({ sessionStartedAt: T0 }),
    'timeline.window': timeline.handler,
    'queries.get': (id) => queryRecord({ id }),
  })
  const options = mountOptions(client)
  const wrapper = mount(TimelineView, {
    ...options,
    global: {
      ...options.global,
      provide: {
        ...options.global.provide,
        [INIT_OPTIONS_KEY as symbol]: { renderer: 'svg', width: 900, height: 560 },
      },
    },
    attachTo: document.body,
  })
  mounted.push(wrapper)
  for (let i = 0; i < 4; i++) await flushPromises()
  const element = wrapper.get('[_echarts_instance_]').element as HTMLElement
  const chart = getInstanceByDom(element)!
  return { wrapper, client, timeline, chart }
}

async function settle(ms = 250): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
  await flushPromises()
}

/** Relative x range of the chart's zoom, as ECharts holds it. */
function zoomRange(chart: ECharts): [number, number] {
  const zoom = (chart.getOption() as { dataZoom: { startValue: number; endValue: number }[] })
    .dataZoom[0]
  return [zoom.startValue, zoom.endValue]
}

describe('the timeline view', () => {
  it('draws the window it fetched with the timeline option', async () => {
    const { wrapper, chart, timeline } = await mountTimeline()
    // The plot was measured before the first window was asked for: 22.6 lanes fit. Then,
    // live, the newest lanes at the bottom: 37.4 to 60.
    const fit = (560 - 24 - 38) / 22
    expect(timeline.requests[1]).toMatchObject({ laneOffset: 0, laneLimit: 32 })
    expect(timeline.requests[2]).toMatchObject({ laneOffset: 29, laneLimit: 40 })
    expect(timeline.requests).toHaveLength(3)
    const option = chart.getOption() as Record<string, unknown[]>
    const yAxis = option.yAxis[0] as { show: boolean; inverse: boolean; min: number; max: number }
    expect(yAxis.show).toBe(false)
    expect(yAxis.min).toBeCloseTo(60 - fit)
    expect(yAxis.max).toBeCloseTo(60)
    expect(wrapper.findAll('[data-lane]').at(-1)!.text()).toContain('GET /orders/59')
    const series = option.series as { id: string; data: unknown[] }[]
    expect(series.map((s) => s.id)).toEqual(['lanes', 'buckets', 'bars'])
    expect(series[2].data.length).toBe(
      Number(wrapper.get('[data-test="timeline-chart"]').attributes('data-bars')),
    )
    expect(series[2].data.length).toBeGreaterThan(0)
  })

  it('follows the zoom in the range it holds, bringing the lanes of the zoomed time on screen', async () => {
    const { wrapper, chart, timeline } = await mountTimeline()
    const range = { from: timeline.requests[2].from, to: timeline.requests[2].to }
    // Zoom in on 1.0 s to 1.5 s after the start, as the wheel or the slider would.
    chart.dispatchAction({ type: 'dataZoom', startValue: 1000, endValue: 1500 })
    await settle()
    const store = useTimelineStore()
    expect(store.view).toEqual({ start: T0 + 1000, end: T0 + 1500 })
    expect(store.following).toBe(false)
    // The newest lanes on screen have nothing then: the lanes scroll to those requests (the
    // one started just before, then the first one in the view), within the range it holds.
    expect(store.laneAt(Math.floor(store.firstLane))?.id).toBe('ctx-9')
    expect(wrapper.findAll('[data-lane]')[1].text()).toContain('GET /orders/10')
    expect(
      timeline.requests.slice(3).every((r) => r.from === range.from && r.to === range.to),
    ).toBe(true)
    expect(wrapper.get('[data-test="timeline-range"]').text()).toBe(
      '+1 s → +1.5 s · 500 ms of 5.975 s',
    )
  })

  it('draws buckets where the window is too dense, and asks for single queries when zoomed in', async () => {
    // 150 queries a lane, 5 ms apart: more bars in the lanes on screen than the core sends.
    const { wrapper, chart, timeline } = await mountTimeline(150, 5)
    const element = wrapper.get('[data-test="timeline-chart"]')
    expect(Number(element.attributes('data-buckets'))).toBeGreaterThan(0)
    expect(element.attributes('data-bars')).toBe('0')
    chart.dispatchAction({ type: 'dataZoom', startValue: 1000, endValue: 1500 })
    await settle()
    expect(timeline.requests.at(-1)).toMatchObject({ from: T0 + 875, to: T0 + 1625 })
    expect(element.attributes('data-buckets')).toBe('0')
    expect(Number(element.attributes('data-bars'))).toBeGreaterThan(0)
  })

  it('scrolls the lanes with the scrollbar and the wheel over their names, fetching new ones', async () => {
    const { wrapper, timeline } = await mountTimeline()
    const store = useTimelineStore()
    expect(store.totalLanes).toBe(60)
    expect(wrapper.findAll('[data-lane]').length).toBe(23)
    const before = timeline.requests.length
    const scroller = wrapper.get('[data-test="timeline-scroller"]').element as HTMLElement
    scroller.scrollTop = 5 * 22
    scroller.dispatchEvent(new Event('scroll'))
    await settle()
    expect(store.firstLane).toBe(5)
    expect(timeline.requests.length).toBe(before + 1)
    expect(timeline.requests.at(-1)).toMatchObject({ laneOffset: 0 })
    expect(wrapper.get('[data-lane="5"]').text()).toContain('GET /orders/5')
    const yAxis = (chart(wrapper).getOption() as { yAxis: { min: number }[] }).yAxis[0]
    expect(yAxis.min).toBe(5)

    await wrapper.get('.lanes').trigger('wheel', { deltaY: 220 })
    expect(store.firstLane).toBe(15)
  })

  it('opens a clicked query in the inspector and zooms into a clicked lane', async () => {
    const { wrapper, client, chart } = await mountTimeline()
    const store = useTimelineStore()
    const bar = store.window!.bars[3]
    // What ECharts emits for a click on a bar (the handler reads the series and index).
    chart.trigger('click', {
      componentType: 'series',
      seriesId: 'bars',
      dataIndex: 3,
    } as unknown as ECElementEvent)
    await flushPromises()
    expect(client.requests.filter((r) => r.channel === 'queries.get')).toEqual([
      { channel: 'queries.get', args: [bar.queryId] },
    ])
    expect(useInspectorStore().open).toBe(true)
    expect(wrapper.find('[data-test="query-detail"]').exists()).toBe(true)

    const label = wrapper.findAll('[data-lane]')[2]
    const lane = store.laneAt(Number(label.attributes('data-lane')))!
    await label.trigger('click')
    await settle()
    expect(store.view!.start).toBeLessThan(lane.start)
    expect(store.view!.end).toBeGreaterThan(lane.end)
    expect(store.view!.end - store.view!.start).toBeLessThan(100)
    // The chart's zoom follows the store.
    expect(zoomRange(chart)[0]).toBeCloseTo(store.view!.start - T0)
  })

  it('offers to follow live again once the view leaves the newest queries', async () => {
    const { wrapper, chart } = await mountTimeline()
    expect(wrapper.find('[data-test="timeline-follow"]').exists()).toBe(false)
    chart.dispatchAction({ type: 'dataZoom', startValue: 0, endValue: 2000 })
    await settle()
    await wrapper.get('[data-test="timeline-follow"]').trigger('click')
    await settle()
    const store = useTimelineStore()
    expect(store.following).toBe(true)
    expect(store.view!.end).toBe(store.extent!.end)
    expect(zoomRange(chart)[1]).toBeCloseTo(store.extent!.end - T0)
  })
})

function chart(wrapper: VueWrapper): ECharts {
  return getInstanceByDom(wrapper.get('[_echarts_instance_]').element as HTMLElement)!
}
