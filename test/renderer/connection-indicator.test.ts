// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import ConnectionIndicator from '@renderer/shell/ConnectionIndicator.vue'
import { FakeProfilerClient, appInfo, mountOptions, profilerStatus } from './fake-client'

const mounted: VueWrapper[] = []
afterEach(() => {
  for (const wrapper of mounted.splice(0)) wrapper.unmount()
})

async function mountIndicator(client: FakeProfilerClient) {
  const wrapper = mount(ConnectionIndicator, { ...mountOptions(client), attachTo: document.body })
  mounted.push(wrapper)
  await flushPromises()
  return wrapper
}

describe('the connection indicator', () => {
  it('leaves losses that did not happen out of the header, and keeps them in the popover', async () => {
    const client = new FakeProfilerClient({
      'status.get': () =>
        profilerStatus({
          counters: { received: 10, stored: 10, evicted: 0, rejected: 0, droppedByAgents: 3 },
        }),
    })
    const wrapper = await mountIndicator(client)
    expect(wrapper.find('[data-counter="received"]').exists()).toBe(true)
    expect(wrapper.find('[data-counter="stored"]').exists()).toBe(true)
    expect(wrapper.find('[data-counter="evicted"]').exists()).toBe(false)
    expect(wrapper.find('[data-counter="rejected"]').exists()).toBe(false)
    expect(wrapper.get('[data-counter="dropped"]').text()).toBe('3 dropped by agents')
    await wrapper.get('[data-test="connection-summary"]').trigger('click')
    expect(wrapper.get('[role="dialog"]').text()).toContain('evicted')
  })

  it('shows the apps connected, the event rate and the five session counters', async () => {
    const client = new FakeProfilerClient({ 'status.get': () => profilerStatus() })
    const wrapper = await mountIndicator(client)
    const summary = wrapper.get('[data-test="connection-summary"]')
    expect(summary.text()).toContain('1 app')
    expect(summary.text()).toContain('321 ev/s')
    const counter = (id: string) => wrapper.get(`[data-counter="${id}"]`)
    expect(counter('received').text()).toBe('1,234 received')
    expect(counter('stored').text()).toBe('1,200 stored')
    expect(counter('evicted').text()).toBe('34 evicted')
    expect(counter('rejected').text()).toBe('2 rejected')
    expect(counter('dropped').text()).toBe('7 dropped by agents')
    expect(counter('evicted').classes()).toContain('warn')
  })

  it('follows the status the core pushes', async () => {
    const client = new FakeProfilerClient({ 'status.get': () => profilerStatus() })
    const wrapper = await mountIndicator(client)
    client.emit(
      'status',
      profilerStatus({
        apps: [appInfo(), appInfo({ id: 'app-2', name: 'worker' })],
        connectedApps: 2,
        eventsPerSecond: 45_000,
        counters: {
          received: 2_000_000,
          stored: 1_000_000,
          evicted: 1_000_000,
          rejected: 0,
          droppedByAgents: 0,
        },
      }),
    )
    await flushPromises()
    const summary = wrapper.get('[data-test="connection-summary"]').text()
    expect(summary).toContain('2 apps')
    expect(summary).toContain('45K ev/s')
    expect(wrapper.get('[data-counter="received"]').text()).toBe('2M received')
    expect(wrapper.get('[data-counter="evicted"]').classes()).toContain('warn')
    // Nothing rejected: not in the header.
    expect(wrapper.find('[data-counter="rejected"]').exists()).toBe(false)
  })

  it('lists every app seen with runtime, ORM, database and pid in its popover', async () => {
    const client = new FakeProfilerClient({
      'status.get': () =>
        profilerStatus({
          apps: [
            appInfo(),
            appInfo({
              id: 'app-2',
              name: 'reports',
              runtime: { name: 'cpython', version: '3.11.2' },
              orm: { name: 'sqlalchemy', version: '2.0.30' },
              dbSystem: 'mysql',
              pid: 99,
              disconnectedAt: Date.UTC(2025, 0, 1, 13),
            }),
          ],
        }),
    })
    const wrapper = await mountIndicator(client)
    expect(wrapper.find('[role="dialog"]').exists()).toBe(false)
    await wrapper.get('[data-test="connection-summary"]').trigger('click')
    const apps = wrapper.get('[role="dialog"]').findAll('li')
    expect(apps).toHaveLength(2)
    expect(apps[0].text()).toContain('shop-api')
    expect(apps[0].text()).toContain('node 20.20.0 · typeorm 1.1.1 · postgresql · pid 4242')
    expect(apps[0].text()).toContain('connected')
    expect(apps[1].text()).toContain('cpython 3.11.2 · sqlalchemy 2.0.30 · mysql · pid 99')
    expect(apps[1].text()).toContain('disconnected')
    // The connected count excludes the app that left.
    expect(wrapper.get('[data-test="connection-summary"]').text()).toContain('1 app')

    await wrapper.trigger('keydown', { key: 'Escape' })
    expect(wrapper.find('[role="dialog"]').exists()).toBe(false)
  })

  it('says disconnected while the line is down and refreshes the status when it is back', async () => {
    let sessionId = 'before'
    const client = new FakeProfilerClient({ 'status.get': () => profilerStatus({ sessionId }) })
    const wrapper = await mountIndicator(client)
    client.setState('disconnected')
    await flushPromises()
    const summary = wrapper.get('[data-test="connection-summary"]')
    expect(summary.text()).toContain('Disconnected')
    expect(summary.classes()).toContain('down')
    expect(wrapper.find('[data-counter="received"]').exists()).toBe(false)

    sessionId = 'after'
    const before = client.requests.filter((r) => r.channel === 'status.get').length
    client.setState('open')
    await flushPromises()
    expect(client.requests.filter((r) => r.channel === 'status.get')).toHaveLength(before + 1)
    expect(summary.text()).not.toContain('Disconnected')
  })
})
