// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import type { Finding, FindingsResult } from '@shared/analysis'
import type { RequestHandlers } from '@shared/api'
import FindingsView from '@renderer/findings/FindingsView.vue'
import { useNavigationStore } from '@renderer/stores/navigation'
import { useTimelineStore } from '@renderer/stores/timeline'
import { FakeProfilerClient, mountOptions, profilerStatus, queryRecord } from './fake-client'
import {
  analysisSettings,
  analysisSummary,
  finding,
  findingQueries,
  syntheticTimeline,
} from './fake-analysis'

const mounted: VueWrapper[] = []
afterEach(() => {
  for (const wrapper of mounted.splice(0)) wrapper.unmount()
})

const FINDINGS: Finding[] = [
  finding({ id: 'dup-1', kind: 'duplicate', severity: 'warning', count: 2, totalMs: 3 }),
  finding({ id: 'n1-warn', severity: 'warning', count: 6, totalMs: 4 }),
  finding({ id: 'n1-crit', severity: 'critical', count: 120, totalMs: 900 }),
  finding({ id: 'n1-err', severity: 'error', count: 30, totalMs: 80 }),
  finding({
    id: 'loop-1',
    kind: 'write-loop',
    severity: 'error',
    fingerprint: 'INSERT INTO "orders" ("user_id") VALUES (?)',
    sourceSql: undefined,
    sourceQueryId: undefined,
    suggestion: 'Insert the rows in one statement: `repository.insert([...])`.',
  }),
]

async function mountFindings(
  result: FindingsResult = { findings: FINDINGS, insights: [] },
  handlers: Partial<RequestHandlers> = {},
) {
  const client = new FakeProfilerClient({
    'status.get': () => profilerStatus(),
    'analysis.summary': () => analysisSummary(),
    'analysis.findings': () => result,
    'analysis.finding': (id) => {
      const found = result.findings.find((f) => f.id === id)
      return found ? { ...found, queries: findingQueries(found) } : null
    },
    'analysis.settings.get': () => analysisSettings(),
    'analysis.settings.set': (changes) => analysisSettings(changes),
    'queries.get': (id) => queryRecord({ id }),
    ...handlers,
  })
  const wrapper = mount(FindingsView, { ...mountOptions(client), attachTo: document.body })
  mounted.push(wrapper)
  for (let i = 0; i < 3; i++) await flushPromises()
  return { wrapper, client }
}

const ids = (wrapper: VueWrapper, kind: string) =>
  wrapper.findAll(`[data-kind="${kind}"] [data-finding]`).map((f) => f.attributes('data-finding'))

describe('the N+1 view', () => {
  it('groups findings by kind, most severe first, with their counts', async () => {
    const { wrapper } = await mountFindings()
    const kinds = wrapper.findAll('[data-kind]').map((g) => g.attributes('data-kind'))
    expect(kinds).toEqual(['n-plus-one', 'duplicate', 'write-loop'])
    expect(ids(wrapper, 'n-plus-one')).toEqual(['n1-crit', 'n1-err', 'n1-warn'])
    const header = wrapper.get('[data-kind="n-plus-one"] .group-header').text()
    expect(header).toContain('N+1 reads')
    expect(header).toContain('1 critical')
    expect(header).toContain('1 error')
    expect(header).toContain('1 warning')
    const row = wrapper.get('[data-finding="n1-crit"] [data-test="finding-row"]').text()
    expect(row).toContain('×120')
    expect(row).toContain('GET /users/7/orders')
    expect(row).toContain('order.service.ts:57:31')
  })

  it('expands a finding to its call site, suggestion, source query and queries', async () => {
    const { wrapper, client } = await mountFindings()
    expect(wrapper.find('[data-test="finding-body"]').exists()).toBe(false)
    await wrapper.get('[data-finding="n1-err"] [data-test="finding-row"]').trigger('click')
    await flushPromises()
    expect(client.requests.filter((r) => r.channel === 'analysis.finding')).toEqual([
      { channel: 'analysis.finding', args: ['n1-err'] },
    ])
    const body = wrapper.get('[data-finding="n1-err"] [data-test="finding-body"]')
    expect(body.get('[data-test="finding-call-sites"]').text()).toContain(
      '/srv/shop/src/orders/order.service.ts:57:31',
    )
    expect(body.get('[data-test="finding-call-sites"]').text()).toContain(
      'OrderService.listWithProducts',
    )
    expect(body.get('[data-test="finding-suggestion"]').text()).toContain('leftJoinAndSelect')
    expect(body.get('[data-test="finding-source"]').text()).toContain('"orders"')
    const rows = body.findAll('[data-test="finding-queries"] tbody tr')
    expect(rows).toHaveLength(8)
    expect(rows[1].text()).toContain('"id" = 2')

    await rows[1].trigger('click')
    await flushPromises()
    expect(client.requests.some((r) => r.channel === 'queries.get' && r.args[0] === 102)).toBe(true)
    expect(wrapper.find('[data-test="query-detail"]').exists()).toBe(true)

    await wrapper.get('[data-finding="n1-err"] [data-test="finding-row"]').trigger('click')
    expect(wrapper.find('[data-finding="n1-err"] [data-test="finding-body"]').exists()).toBe(false)
  })

  it('jumps to the timeline at the finding’s request', async () => {
    const timeline = syntheticTimeline({
      lanes: 10,
      queriesPerLane: 5,
      laneGapMs: 100,
      queryGapMs: 10,
      durationMs: 2,
    })
    const { wrapper } = await mountFindings(undefined, { 'timeline.window': timeline.handler })
    await wrapper.get('[data-finding="n1-err"] [data-test="finding-row"]').trigger('click')
    await flushPromises()
    await wrapper.get('[data-finding="n1-err"] [data-test="finding-timeline"]').trigger('click')
    await flushPromises()
    expect(useNavigationStore().view).toBe('timeline')
    const store = useTimelineStore()
    expect(store.highlightLaneId).toBe('ctx-7')
    const f = FINDINGS[3]
    expect(store.view!.start).toBeLessThanOrEqual(f.firstSeen)
    expect(store.view!.end).toBeGreaterThanOrEqual(f.lastSeen)
    // It looked for the lane in the range it is going to show.
    expect(timeline.requests[0].from).toBeLessThan(f.firstSeen)
    expect(timeline.requests[0].to).toBeGreaterThan(f.lastSeen)
  })

  it('filters by call site file, context or SQL', async () => {
    const { wrapper } = await mountFindings()
    await wrapper.get('input[type="search"]').setValue('orders" ("user_id')
    expect(wrapper.findAll('[data-finding]').map((f) => f.attributes('data-finding'))).toEqual([
      'loop-1',
    ])
    await wrapper.get('input[type="search"]').setValue('order.service')
    expect(wrapper.findAll('[data-finding]')).toHaveLength(5)
  })

  it('lists recurring small N+1s as insights', async () => {
    const { wrapper } = await mountFindings({
      findings: FINDINGS,
      insights: [
        {
          kind: 'recurring-n-plus-one',
          fingerprintId: 'fp-tags',
          fingerprint: 'SELECT * FROM "tags" WHERE "post_id" = ?',
          contexts: 48,
          medianRepeats: 3,
          totalMs: 210,
          callSites: [{ file: '/srv/blog/posts.ts', line: 12, column: 3, function: 'listPosts' }],
          suggestion: 'Load the tags with the posts.',
        },
      ],
    })
    const insights = wrapper.get('[data-test="insights"]').text()
    expect(insights).toContain('"tags"')
    expect(insights).toContain('48 requests')
    expect(insights).toContain('/srv/blog/posts.ts:12:3')
  })

  it('explains what is detected, with the thresholds, when nothing was found, and changes them', async () => {
    const { wrapper, client } = await mountFindings({ findings: [], insights: [] })
    const empty = wrapper.get('[data-test="findings-empty"]')
    expect(empty.text()).toContain('5 times or more')
    expect(empty.text()).toContain('2 times or more')
    const form = empty.get('[data-test="analysis-settings"]')
    await form.get('input[name="nPlusOneThreshold"]').setValue('3')
    await form.get('input[name="slowQueryMs"]').setValue('250')
    await form.get('input[name="recurringMinContexts"]').setValue('4')
    await form.trigger('submit')
    await flushPromises()
    const set = client.requests.filter((r) => r.channel === 'analysis.settings.set')
    expect(set).toEqual([
      {
        channel: 'analysis.settings.set',
        args: [{ nPlusOneThreshold: 3, recurringMinContexts: 4, slowQueryMs: 250 }],
      },
    ])
    expect(empty.text()).toContain('3 times or more')
  })

  it('refuses thresholds the core would refuse', async () => {
    const { wrapper, client } = await mountFindings({ findings: [], insights: [] })
    const form = wrapper.get('[data-test="analysis-settings"]')
    await form.get('input[name="duplicateThreshold"]').setValue('1')
    await form.trigger('submit')
    await flushPromises()
    expect(client.requests.some((r) => r.channel === 'analysis.settings.set')).toBe(false)
    expect(form.get('button[type="submit"]').attributes('disabled')).toBeDefined()
  })

  it('refreshes when the analysis changes, and keeps what was expanded open', async () => {
    let result: FindingsResult = { findings: FINDINGS.slice(0, 2), insights: [] }
    const { wrapper, client } = await mountFindings(undefined, {
      'analysis.findings': () => result,
      'analysis.finding': (id) => {
        const found = result.findings.find((f) => f.id === id)
        return found ? { ...found, queries: findingQueries(found) } : null
      },
    })
    await wrapper.get('[data-finding="n1-warn"] [data-test="finding-row"]').trigger('click')
    await flushPromises()
    result = { findings: [...FINDINGS.slice(0, 2), FINDINGS[2]], insights: [] }
    client.emit('analysis.changed', { summary: analysisSummary() })
    await flushPromises()
    await flushPromises()
    expect(ids(wrapper, 'n-plus-one')).toEqual(['n1-crit', 'n1-warn'])
    expect(wrapper.find('[data-finding="n1-warn"] [data-test="finding-body"]').exists()).toBe(true)
    const detailRequests = client.requests.filter((r) => r.channel === 'analysis.finding')
    expect(detailRequests).toHaveLength(2)
  })
})
