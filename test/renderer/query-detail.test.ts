// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import type { QueryRecord } from '@shared/domain'
import QueryDetail from '@renderer/queries/QueryDetail.vue'
import { useQueriesStore } from '@renderer/stores/queries'
import {
  FakeProfilerClient,
  appInfo,
  mountOptions,
  profilerStatus,
  queryRecord,
  syntheticPages,
} from './fake-client'

const mounted: VueWrapper[] = []
afterEach(() => {
  for (const wrapper of mounted.splice(0)) wrapper.unmount()
  vi.restoreAllMocks()
})

async function showDetail(record: QueryRecord | null, dbSystem = 'postgresql') {
  const client = new FakeProfilerClient({
    'status.get': () => profilerStatus({ apps: [appInfo({ dbSystem })] }),
    'queries.page': syntheticPages(() => 10),
    'queries.get': () => record,
  })
  const wrapper = mount(QueryDetail, { ...mountOptions(client), attachTo: document.body })
  mounted.push(wrapper)
  const store = useQueriesStore()
  await flushPromises()
  store.select(0)
  store.openDetail()
  await flushPromises()
  return { wrapper, store, client }
}

describe('the query detail panel', () => {
  it('shows the SQL formatted one clause per line and highlighted', async () => {
    const { wrapper } = await showDetail(queryRecord())
    const sql = wrapper.get('[data-test="query-sql"]')
    const text = sql.text()
    expect(text).toContain(
      'select\n  id,\n  email\nfrom\n  users\nwhere\n  id = $1\n  and status = $2',
    )
    expect(sql.findAll('.hljs-keyword').map((k) => k.text())).toEqual(
      expect.arrayContaining(['select', 'from', 'where', 'and']),
    )
  })

  it('keeps text from the query as text, never as markup', async () => {
    const hostile = 'select \'<img src=x onerror=alert(1)>\' as "<b>x</b>" from t'
    const { wrapper } = await showDetail(queryRecord({ sql: hostile, params: undefined }))
    const sql = wrapper.get('[data-test="query-sql"]')
    expect(sql.find('img').exists()).toBe(false)
    expect(sql.find('b').exists()).toBe(false)
    expect(sql.text()).toContain('<img src=x onerror=alert(1)>')
  })

  it('lists the parameters with their types, and as JSON on request', async () => {
    const { wrapper } = await showDetail(queryRecord({ params: [42, 'active', null, { a: 1 }] }))
    const rows = wrapper
      .get('[data-test="query-params"]')
      .findAll('tr')
      .map((row) => row.findAll('th, td').map((cell) => cell.text()))
    expect(rows).toEqual([
      ['$1', '42', 'number'],
      ['$2', '"active"', 'string'],
      ['$3', 'null', 'null'],
      ['$4', '{"a":1}', 'object'],
    ])

    const jsonButton = wrapper
      .findAll('[data-test="query-params"] button')
      .find((b) => b.text() === 'JSON')
    await jsonButton!.trigger('click')
    const json = wrapper.get('[data-test="query-params"] pre').text()
    expect(JSON.parse(json)).toEqual([42, 'active', null, { a: 1 }])
  })

  it('names parameters by name when the agent sent named ones', async () => {
    const { wrapper } = await showDetail(
      queryRecord({ sql: 'select * from users where id = :id', params: { id: 7 } }),
      'sqlite',
    )
    const cells = wrapper.get('[data-test="query-params"] tr').findAll('th, td')
    expect(cells.map((c) => c.text())).toEqual(['id', '7', 'number'])
  })

  it('shows the duration, rows, start time, connection, context and app', async () => {
    const { wrapper } = await showDetail(queryRecord({ durationMs: 250.4, rows: 12_345 }))
    const facts = Object.fromEntries(
      wrapper.findAll('.facts > div').map((fact) => [fact.get('dt').text(), fact.get('dd').text()]),
    )
    expect(facts.Duration).toBe('250 ms')
    expect(wrapper.get('.facts dd.slow').text()).toBe('250 ms')
    expect(facts.Rows).toBe('12,345')
    expect(facts.Started).toMatch(/^2025-01-01 \d\d:00:00\.000$/)
    expect(facts.Connection).toBe('conn-7')
    expect(facts.Context).toContain('GET /users/:id')
    expect(facts.Context).toContain('req-19')
    expect(facts.App).toBe('shop-api (typeorm, postgresql)')
  })

  it('shows the error type and message, and the stack with the call site first', async () => {
    const { wrapper } = await showDetail(
      queryRecord({
        error: { type: '23505', message: 'duplicate key value violates unique constraint' },
      }),
    )
    const error = wrapper.get('[data-test="query-error"]')
    expect(error.text()).toContain('23505')
    expect(error.text()).toContain('duplicate key value violates unique constraint')
    expect(wrapper.get('.badge').text()).toBe('error')

    const frames = wrapper.get('[data-test="query-stack"]').findAll('li')
    expect(frames).toHaveLength(2)
    expect(frames[0].text()).toContain('UserService.findOne')
    expect(frames[0].text()).toContain('/srv/shop/src/users/user.service.ts:42:13')
    expect(frames[0].text()).toContain('call site')
    expect(frames[1].text()).toContain('/srv/shop/src/users/users.controller.ts:18:5')
    expect(frames[1].text()).not.toContain('call site')
  })

  it('copies the SQL as it was run', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined)
    vi.spyOn(navigator, 'clipboard', 'get').mockReturnValue({ writeText } as unknown as Clipboard)
    const { wrapper } = await showDetail(queryRecord())
    const copy = wrapper.findAll('button').find((b) => b.text() === 'Copy SQL')
    await copy!.trigger('click')
    await flushPromises()
    expect(writeText).toHaveBeenCalledWith(
      'select id, email from users where id = $1 and status = $2',
    )
    expect(copy!.text()).toBe('Copied')
  })

  it('says so when the query has left the live session', async () => {
    const { wrapper } = await showDetail(null)
    expect(wrapper.get('[role="alert"]').text()).toMatch(/no longer in the live session/)
  })

  it('closes from its close button', async () => {
    const { wrapper, store } = await showDetail(queryRecord())
    await wrapper.get('[aria-label="Close detail"]').trigger('click')
    expect(store.detailOpen).toBe(false)
  })
})
