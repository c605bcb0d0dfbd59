// @vitest-environment happy-dom
/**
 * Comparing two sessions from the Sessions view: ticking them, the older as "before", the
 * live one by its row, the diff's totals, findings and shapes (sorted and filtered here),
 * progress, errors, swap and back. The diff itself (`compareSessions`) is tested in
 * test/report/diff.test.ts and, through `sessions.compare`, in test/core.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import type { Delta, FingerprintChange, SessionDiff, ShapeFigures } from '@shared/session-diff'
import SessionsView from '@renderer/sessions/SessionsView.vue'
import { FakeProfilerClient, mountOptions, profilerStatus } from './fake-client'
import { finding } from './fake-analysis'
import { fakeLibrary, storedSession, T0 } from './fake-library'

const mounted: VueWrapper[] = []
afterEach(() => {
  for (const wrapper of mounted.splice(0)) wrapper.unmount()
  document.body.innerHTML = ''
})

const delta = (before: number, after: number): Delta => ({ before, after, delta: after - before })

function figures(count: number, totalMs: number): ShapeFigures {
  return { count, totalMs, p50Ms: 1, p95Ms: totalMs / count, maxMs: 2, errors: 0, slow: 0 }
}

function shape(
  id: string,
  sql: string,
  before: ShapeFigures | null,
  after: ShapeFigures | null,
): FingerprintChange {
  return {
    id,
    fingerprint: sql,
    statement: 'select',
    change: !before ? 'new' : !after ? 'gone' : 'changed',
    before,
    after,
    countDelta: (after?.count ?? 0) - (before?.count ?? 0),
    totalMsDelta: (after?.totalMs ?? 0) - (before?.totalMs ?? 0),
  }
}

/** Before: an N+1 over products. After: one IN query instead, and a new audit query. */
function shopDiff(before: string, after: string): SessionDiff {
  const loop = finding({ fingerprint: 'SELECT * FROM products WHERE id = ?' })
  return {
    format: 'fastorm-profiler-diff',
    version: 1,
    before: { id: before, startedAt: T0, endedAt: T0 + 1000 },
    after: { id: after, startedAt: T0 + 5000, endedAt: T0 + 6000 },
    settingsDiffer: false,
    summary: {
      queries: delta(16, 6),
      failed: delta(1, 1),
      slow: delta(1, 2),
      totalQueryMs: delta(257.2, 553.8),
      maxQueryMs: delta(250, 300),
      contexts: delta(2, 2),
      fingerprints: delta(4, 5),
      nPlusOne: delta(2, 0),
      duplicates: delta(0, 0),
      writeLoops: delta(0, 0),
      insights: delta(0, 0),
    },
    fingerprints: [
      shape('f-audit', 'SELECT * FROM audit_log WHERE user_id = ?', null, figures(1, 300)),
      shape('f-loop', 'SELECT * FROM products WHERE id = ?', figures(12, 6), null),
      shape('f-in', 'SELECT * FROM products WHERE id IN (?)', null, figures(2, 1.6)),
      shape('f-orders', 'SELECT * FROM orders WHERE user_id = ?', figures(2, 2), figures(3, 3)),
    ],
    findings: [
      {
        kind: 'n-plus-one',
        fingerprintId: 'f-loop',
        fingerprint: loop.fingerprint,
        change: 'disappeared',
        before: { findings: 2, count: 12, totalMs: 6, severity: 'warning' },
        after: null,
        totalMsDelta: -6,
        callSites: loop.callSites,
        suggestion: loop.suggestion,
      },
    ],
    slow: { ...delta(1, 2), newShapes: ['f-audit'], goneShapes: [] },
    failed: { ...delta(1, 1), newShapes: [], goneShapes: [] },
    health: null,
  }
}

async function mountCompare(compare?: (before: string, after: string) => Promise<SessionDiff>) {
  const library = fakeLibrary([
    storedSession({ id: 'live-1', name: 'Now', status: 'recording', startedAt: T0 + 9000 }),
    storedSession({ id: 'session-a', name: 'After the fix', startedAt: T0 + 5000 }),
    storedSession({ id: 'session-b', name: 'Before the fix', startedAt: T0 }),
  ])
  const client = new FakeProfilerClient({
    'status.get': () => profilerStatus({ sessionId: 'live-1' }),
    ...library.handlers,
    'sessions.compare': compare ?? ((before, after) => shopDiff(before, after)),
  })
  const wrapper = mount(SessionsView, { ...mountOptions(client), attachTo: document.body })
  mounted.push(wrapper)
  for (let i = 0; i < 3; i++) await flushPromises()
  return { wrapper, client }
}

async function tick(wrapper: VueWrapper, id: string): Promise<void> {
  await wrapper.get(`tr[data-session="${id}"] [data-test="compare-pick"]`).setValue(true)
}

const compared = (client: FakeProfilerClient) =>
  client.requests.filter((r) => r.channel === 'sessions.compare').map((r) => r.args)

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await flushPromises()
}

describe('comparing sessions', () => {
  it('compares two ticked sessions, the older as before', async () => {
    const { wrapper, client } = await mountCompare()
    const button = wrapper.get('[data-test="compare-picked"]')
    expect(button.attributes('disabled')).toBeDefined()
    await tick(wrapper, 'session-a')
    expect(button.text()).toBe('Compare (1 of 2)')
    await tick(wrapper, 'session-b')
    expect(button.attributes('disabled')).toBeUndefined()
    await button.trigger('click')
    await settle()

    expect(compared(client)).toEqual([['session-b', 'session-a']])
    const panel = wrapper.get('[data-test="compare-panel"]')
    expect(panel.get('[data-test="compare-before"]').text()).toContain('Before the fix')
    expect(panel.get('[data-test="compare-after"]').text()).toContain('After the fix')
    const queries = panel.get('[data-summary="Queries"]')
    expect(queries.text()).toContain('16')
    expect(queries.text()).toContain('−10')
    expect(queries.findAll('td')[2]!.classes()).toContain('better')
    expect(panel.get('[data-summary="Time in queries"]').text()).toContain('+297 ms')
    expect(panel.get('[data-summary="N+1 findings"]').text()).toContain('−2')

    const gone = panel.get('[data-findings="disappeared"]')
    expect(gone.text()).toContain('Disappeared (1)')
    expect(gone.text()).toContain('SELECT * FROM products WHERE id = ?')
    expect(gone.text()).toContain('2 findings, 12 queries')
    expect(panel.find('[data-findings="appeared"]').exists()).toBe(false)
    expect(panel.text()).toContain('Newly slow')
    expect(panel.get('[data-test="compare-health"]').text()).toContain('Neither session')
  })

  it('lists the shapes by the size of their time change, sortable and filtered', async () => {
    const { wrapper } = await mountCompare()
    await tick(wrapper, 'session-a')
    await tick(wrapper, 'session-b')
    await wrapper.get('[data-test="compare-picked"]').trigger('click')
    await settle()
    const shapes = () =>
      wrapper.findAll('[data-test="compare-shape"]').map((row) => row.get('code').text())
    expect(shapes()[0]).toContain('audit_log')
    expect(shapes()[1]).toContain('products WHERE id = ?')

    await wrapper.get('[data-sort="countDelta"]').trigger('click')
    expect(shapes()[0]).toContain('products WHERE id = ?')
    expect(
      wrapper.get('[data-sort="countDelta"]').element.closest('th')!.getAttribute('aria-sort'),
    ).toBe('descending')
    await wrapper.get('[data-sort="countDelta"]').trigger('click')
    expect(shapes().at(-1)).toContain('products WHERE id = ?')

    await wrapper.get('input[name="shape-filter"][value="new"]').setValue(true)
    expect(shapes()).toHaveLength(2)
    expect(shapes().every((sql) => /audit_log|IN \(/.test(sql))).toBe(true)
    await wrapper.get('input[name="shape-filter"][value="gone"]').setValue(true)
    expect(shapes()).toEqual(['SELECT * FROM products WHERE id = ?'])
  })

  it('compares the live session by its row, swaps, and goes back to the list', async () => {
    const { wrapper, client } = await mountCompare()
    await tick(wrapper, 'live-1')
    await tick(wrapper, 'session-b')
    await wrapper.get('[data-test="compare-picked"]').trigger('click')
    await settle()
    expect(compared(client)).toEqual([['session-b', 'live']])
    expect(wrapper.get('[data-test="compare-after"]').text()).toContain('Live session')

    await wrapper.get('[data-test="compare-swap"]').trigger('click')
    await settle()
    expect(compared(client)[1]).toEqual(['live', 'session-b'])

    await wrapper.get('[data-test="compare-close"]').trigger('click')
    expect(wrapper.find('[data-test="compare-panel"]').exists()).toBe(false)
    expect(wrapper.findAll('[data-test="session-row"]')).toHaveLength(3)
    // The ticks stay for another go.
    const ticked = wrapper.findAll<HTMLInputElement>('[data-test="compare-pick"]')
    expect(ticked.map((box) => box.element.checked)).toEqual([true, false, true])
  })

  it('a third tick replaces the first', async () => {
    const { wrapper, client } = await mountCompare()
    await tick(wrapper, 'live-1')
    await tick(wrapper, 'session-a')
    await tick(wrapper, 'session-b')
    await wrapper.get('[data-test="compare-picked"]').trigger('click')
    await settle()
    expect(compared(client)).toEqual([['session-b', 'session-a']])
  })

  it('shows the progress while the core compares, and why it could not', async () => {
    let fail: (error: Error) => void = () => {}
    const { wrapper, client } = await mountCompare(
      () => new Promise<SessionDiff>((_resolve, reject) => (fail = reject)),
    )
    await tick(wrapper, 'session-a')
    await tick(wrapper, 'session-b')
    await wrapper.get('[data-test="compare-picked"]').trigger('click')
    client.emit('load.progress', {
      task: 'compare',
      phase: 'analyzing',
      done: 2000,
      total: 8000,
      unit: 'queries',
    })
    await flushPromises()
    expect(wrapper.get('[data-test="compare-progress"]').text()).toContain(
      'analyzing 2,000 of 8,000 queries (25%)',
    )
    fail(new Error('no session session-a in the library'))
    await settle()
    expect(wrapper.find('[data-test="compare-progress"]').exists()).toBe(false)
    expect(wrapper.get('[data-test="compare-error"]').text()).toContain(
      'no session session-a in the library',
    )
  })
})
