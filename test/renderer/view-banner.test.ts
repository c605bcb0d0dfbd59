// @vitest-environment happy-dom
/**
 * The viewed session in the renderer: the banner (and its store, stores/view.ts) says what is
 * viewed and goes back to live; on `view.changed` every view's store drops what it held and
 * fetches again from the core, which answers from the viewed session.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { use } from 'echarts/core'
import { SVGRenderer } from 'echarts/renderers'
import { INIT_OPTIONS_KEY } from 'vue-echarts'
import type { ViewedSession } from '@shared/library'
import App from '@renderer/App.vue'
import { useConnectionStore } from '@renderer/stores/connection'
import { useViewStore } from '@renderer/stores/view'
import {
  appInfo,
  FakeProfilerClient,
  mountOptions,
  profilerStatus,
  queryRecord,
  syntheticPages,
} from './fake-client'
import { analysisSettings, analysisSummary, syntheticTimeline } from './fake-analysis'
import { stubTableLayout } from './layout'

use([SVGRenderer])

const STORED: ViewedSession = {
  kind: 'stored',
  id: 'session-a',
  name: 'Checkout flow',
  startedAt: Date.UTC(2025, 10, 26, 9, 41, 5),
  endedAt: Date.UTC(2025, 10, 26, 9, 42, 40),
  queries: 30,
  apps: [appInfo({ id: 'app-1', name: 'stored-shop' })],
}

const mounted: VueWrapper[] = []
let restoreLayout: () => void
beforeEach(() => {
  restoreLayout = stubTableLayout()
})
afterEach(() => {
  for (const wrapper of mounted.splice(0)) wrapper.unmount()
  restoreLayout()
})

async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) await flushPromises()
}

/** The App over a fake core with a live session of 10 queries and a stored one of 30. */
async function mountApp() {
  let viewed: ViewedSession = { kind: 'live' }
  const timeline = syntheticTimeline({
    lanes: 3,
    queriesPerLane: 4,
    laneGapMs: 100,
    queryGapMs: 10,
    durationMs: 2,
  })
  const client = new FakeProfilerClient({
    'status.get': () => profilerStatus(),
    'queries.page': syntheticPages(() => (viewed.kind === 'live' ? 10 : 30)),
    'queries.get': (id) => queryRecord({ id }),
    'analysis.summary': () =>
      analysisSummary(viewed.kind === 'live' ? {} : { queries: 30, slow: 1, failed: 0 }),
    'analysis.findings': () => ({ findings: [], insights: [] }),
    'analysis.settings.get': () => analysisSettings(),
    'analysis.fingerprints': ({ offset }) => ({ total: 0, offset, rows: [] }),
    'analysis.slow': ({ offset }) => ({ total: 0, offset, rows: [] }),
    'analysis.failed': ({ offset }) => ({ total: 0, offset, rows: [] }),
    'timeline.window': timeline.handler,
    'view.get': () => viewed,
    'view.live': () => {
      viewed = { kind: 'live' }
      client.emit('view.changed', viewed)
      return viewed
    },
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
  await settle()
  const view = (next: ViewedSession) => {
    viewed = next
    client.emit('view.changed', next)
  }
  return { wrapper, client, view }
}

const count = (client: FakeProfilerClient, channel: string) =>
  client.requests.filter((request) => request.channel === channel).length

describe('the viewed session', () => {
  it('shows no banner while the live session is viewed', async () => {
    const { wrapper } = await mountApp()
    expect(wrapper.find('[data-test="view-banner"]').exists()).toBe(false)
    expect(wrapper.get('[data-test="queries-total"]').text()).toContain('10')
    expect(wrapper.find('.follow.live').exists()).toBe(true)
  })

  it('says which session is viewed, and every view fetches it again', async () => {
    const { wrapper, client, view } = await mountApp()
    const summaries = count(client, 'analysis.summary')
    view(STORED)
    await settle()
    const banner = wrapper.get('[data-test="view-banner"]')
    expect(banner.text()).toContain('Viewing Checkout flow (stored, read-only)')
    expect(banner.text()).toContain('30 queries')
    expect(banner.text()).toContain('stored-shop')
    expect(wrapper.get('[data-test="queries-total"]').text()).toContain('30')
    expect(count(client, 'analysis.summary')).toBeGreaterThan(summaries)
    // Read-only: the live session's Clear is not offered over another session's queries.
    expect(wrapper.find('[data-test="clear-session"]').exists()).toBe(false)
    // A stored session does not grow: the table does not claim to follow it live.
    expect(wrapper.find('.follow.live').exists()).toBe(false)
    // Its apps name its queries, not the live session's.
    expect(useConnectionStore().appsById.get('app-1')?.name).toBe('stored-shop')

    await wrapper.get('[data-view="timeline"]').trigger('click')
    await settle()
    const windows = count(client, 'timeline.window')
    expect(windows).toBeGreaterThan(0)
    view({ ...STORED, id: 'session-b', name: 'Nightly import', kind: 'file' })
    await settle()
    expect(count(client, 'timeline.window')).toBeGreaterThan(windows)
    expect(wrapper.get('[data-test="view-banner"]').text()).toContain(
      'Viewing Nightly import (file, read-only)',
    )
  })

  it('goes back to live from the banner', async () => {
    const { wrapper, client, view } = await mountApp()
    view(STORED)
    await settle()
    await wrapper.get('[data-test="back-to-live"]').trigger('click')
    await settle()
    expect(count(client, 'view.live')).toBe(1)
    expect(wrapper.find('[data-test="view-banner"]').exists()).toBe(false)
    expect(wrapper.get('[data-test="queries-total"]').text()).toContain('10')
    expect(wrapper.find('[data-test="clear-session"]').exists()).toBe(true)
    expect(useConnectionStore().appsById.get('app-1')?.name).toBe('shop-api')
  })

  it('shows the progress of a session being opened, and why it could not be', async () => {
    const { wrapper, client } = await mountApp()
    let fail: (error: Error) => void = () => {}
    client.handlers['view.open'] = () =>
      new Promise<ViewedSession>((_resolve, reject) => (fail = reject))
    const opened = useViewStore().open('session-a', 'Checkout flow')
    await settle()
    client.emit('load.progress', {
      task: 'open',
      phase: 'analyzing',
      done: 500,
      total: 2000,
      unit: 'queries',
    })
    await settle()
    const opening = wrapper.get('[data-test="view-opening"]')
    expect(opening.text()).toContain('Opening Checkout flow…')
    expect(opening.text()).toContain('analyzing 500 of 2,000 queries (25%)')

    fail(new Error('no session session-a in the library'))
    expect(await opened).toBe(false)
    await settle()
    expect(wrapper.find('[data-test="view-opening"]').exists()).toBe(false)
    expect(wrapper.get('[data-test="view-error"]').text()).toContain(
      'no session session-a in the library',
    )
    expect(wrapper.find('[data-test="view-banner"]').exists()).toBe(false)
  })

  it('says nothing when an open is replaced by a newer one', async () => {
    const { wrapper, client } = await mountApp()
    client.handlers['view.open'] = (id) => {
      if (id === 'old') throw new Error('replaced by a newer request')
      return STORED
    }
    const viewing = useViewStore()
    const first = viewing.open('old', 'Old one')
    const second = viewing.open('session-a', 'Checkout flow')
    expect(await first).toBe(false)
    expect(await second).toBe(true)
    await settle()
    expect(viewing.error).toBeNull()
    expect(wrapper.get('[data-test="view-banner"]').text()).toContain('Checkout flow')
  })
})
