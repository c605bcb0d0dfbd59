// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import type { FailedQuery, SlowQuery } from '@shared/analysis'
import ProblemsView from '@renderer/problems/ProblemsView.vue'
import { FakeProfilerClient, mountOptions, profilerStatus, queryRecord } from './fake-client'
import { T0, analysisSettings, analysisSummary } from './fake-analysis'

const mounted: VueWrapper[] = []
let restore: () => void

beforeEach(() => {
  const original = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'clientHeight')!
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
    configurable: true,
    get(this: HTMLElement) {
      return this.matches('[data-test="table-scroller"]') ? 300 : original.get!.call(this)
    },
  })
  restore = () => Object.defineProperty(HTMLElement.prototype, 'clientHeight', original)
})
afterEach(() => {
  for (const wrapper of mounted.splice(0)) wrapper.unmount()
  restore()
})

const SLOW: SlowQuery[] = [
  {
    queryId: 11,
    appId: 'app-1',
    sql: 'SELECT * FROM "reports" WHERE "month" = ?',
    fingerprintId: 'fp-r',
    startTime: T0,
    durationMs: 840,
    reason: 'threshold',
    contextName: 'GET /reports',
  },
  {
    queryId: 12,
    appId: 'app-1',
    sql: 'SELECT * FROM "users" WHERE "id" = ?',
    fingerprintId: 'fp-u',
    startTime: T0 + 5,
    durationMs: 48,
    reason: 'outlier',
    p95Ms: 1.2,
    callSite: { file: '/srv/app/users.ts', line: 9, column: 4, function: 'findUser' },
  },
]

const FAILED: FailedQuery[] = [
  {
    queryId: 21,
    appId: 'app-1',
    sql: 'SELECT * FROM "missing"',
    fingerprintId: 'fp-m',
    startTime: T0 + 9,
    durationMs: 0.4,
    error: { type: 'SQLITE_ERROR', message: 'no such table: missing' },
  },
]

async function mountProblems() {
  const client = new FakeProfilerClient({
    'status.get': () => profilerStatus(),
    'analysis.summary': () => analysisSummary({ slow: 2, failed: 1 }),
    'analysis.settings.get': () => analysisSettings(),
    'analysis.slow': ({ offset, limit }) => ({
      total: SLOW.length,
      offset,
      rows: SLOW.slice(offset, offset + limit),
    }),
    'analysis.failed': ({ offset, limit }) => ({
      total: FAILED.length,
      offset,
      rows: FAILED.slice(offset, offset + limit),
    }),
    'queries.get': (id) => queryRecord({ id }),
  })
  const wrapper = mount(ProblemsView, { ...mountOptions(client), attachTo: document.body })
  mounted.push(wrapper)
  for (let i = 0; i < 3; i++) await flushPromises()
  return { wrapper, client }
}

describe('the Slow & failed view', () => {
  it('lists slow queries with why they are slow and their shape’s p95', async () => {
    const { wrapper } = await mountProblems()
    const rows = wrapper.findAll('[data-test="slow-table"] [role="row"][data-index]')
    expect(rows).toHaveLength(2)
    expect(rows[0].text()).toContain('840')
    expect(rows[0].text()).toContain('threshold')
    expect(rows[1].text()).toContain('outlier 40×')
    expect(rows[1].text()).toContain('p95 1.20')
    expect(rows[1].text()).toContain('/srv/app/users.ts:9:4')
    expect(wrapper.text()).toContain('over 100 ms')
  })

  it('lists failed queries with their error, in the other tab', async () => {
    const { wrapper, client } = await mountProblems()
    await wrapper.get('[data-tab="failed"]').trigger('click')
    await flushPromises()
    const rows = wrapper.findAll('[data-test="failed-table"] [role="row"][data-index]')
    expect(rows).toHaveLength(1)
    expect(rows[0].text()).toContain('SQLITE_ERROR')
    expect(rows[0].text()).toContain('no such table: missing')
    expect(client.requests.some((r) => r.channel === 'analysis.failed')).toBe(true)
  })

  it('opens a query in the side panel', async () => {
    const { wrapper, client } = await mountProblems()
    await wrapper.get('[data-test="slow-table"] [data-index="1"]').trigger('click')
    await flushPromises()
    expect(client.requests.filter((r) => r.channel === 'queries.get')).toEqual([
      { channel: 'queries.get', args: [12] },
    ])
    expect(wrapper.get('[data-test="query-detail"]').text()).toContain('#12')
    expect(
      wrapper.get('[data-test="slow-table"] [data-index="1"]').attributes('aria-selected'),
    ).toBe('true')
  })
})
