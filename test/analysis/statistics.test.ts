import { describe, expect, it } from 'vitest'
import { MAX_FINGERPRINTS, Statistics } from '../../src/main/analysis/statistics'
import { Harness, app, frame, settings, shape } from './fixtures'

const byId = shape({ id: 'by-id', text: 'SELECT * FROM users WHERE id = ?' })
const list = shape({ id: 'list', text: 'SELECT * FROM orders' })

function run() {
  const statistics = new Statistics()
  const harness = new Harness(settings(), (query, from, fp) =>
    statistics.handleQuery(query, from, fp),
  )
  return { statistics, harness }
}

describe('Statistics', () => {
  it('sums count, time, rows and errors per shape, with min, max and mean', () => {
    const { statistics, harness } = run()
    const first = harness.run(byId, { durationMs: 2, rows: 1 })
    harness.run(byId, { durationMs: 6, rows: 1 })
    harness.run(byId, { durationMs: 1, error: { message: 'locked' } })
    harness.run(list, { durationMs: 30, rows: 120 })
    const stats = statistics.data().find((s) => s.id === 'by-id')!
    expect(stats).toMatchObject({
      fingerprint: 'SELECT * FROM users WHERE id = ?',
      statement: 'select',
      count: 3,
      totalMs: 9,
      meanMs: 3,
      minMs: 1,
      maxMs: 6,
      rows: 2,
      errors: 1,
      firstSeen: first.startTime,
      apps: ['app-1'],
      sampleQueryId: first.id,
    })
    expect(statistics.size).toBe(2)
  })

  it('gives p50, p95 and p99 within 1% of the exact values', () => {
    const { statistics, harness } = run()
    const durations = Array.from({ length: 1000 }, (_, i) => 0.1 + ((i * 7919) % 1000) / 10)
    for (const durationMs of durations) harness.run(byId, { durationMs })
    const sorted = [...durations].sort((a, b) => a - b)
    const stats = statistics.data()[0]!
    for (const [q, value] of [
      [0.5, stats.p50Ms],
      [0.95, stats.p95Ms],
      [0.99, stats.p99Ms],
    ] as const) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1]!
      expect(Math.abs(value - exact) / exact).toBeLessThanOrEqual(0.01)
    }
  })

  it('lists every app that issued a shape once, and the most frequent call site', () => {
    const { statistics, harness } = run()
    harness.run(byId, { stack: [frame(1)] }, app('app-1'))
    harness.run(byId, { stack: [frame(2)] }, app('app-2'))
    harness.run(byId, { stack: [frame(2)] }, app('app-1'))
    harness.run(byId, {}, app('app-2'))
    const stats = statistics.data()[0]!
    expect(stats.apps).toEqual(['app-1', 'app-2'])
    expect(stats.callSite).toEqual(frame(2))
  })

  it('sorts pages by the requested key and direction, and filters on the SQL', () => {
    const { statistics, harness } = run()
    for (let i = 0; i < 5; i++) harness.run(byId, { durationMs: 1 })
    harness.run(list, { durationMs: 40 })
    const other = shape({ id: 'other', text: 'UPDATE users SET name = ?', statement: 'update' })
    harness.run(other, { durationMs: 3 })
    harness.run(other, { durationMs: 3 })

    const ids = (page: { rows: { id: string }[] }) => page.rows.map((row) => row.id)
    expect(ids(statistics.page({ offset: 0, limit: 10 }))).toEqual(['list', 'other', 'by-id'])
    expect(ids(statistics.page({ offset: 0, limit: 10, sortBy: 'count' }))).toEqual([
      'by-id',
      'other',
      'list',
    ])
    expect(
      ids(statistics.page({ offset: 0, limit: 10, sortBy: 'meanMs', descending: false })),
    ).toEqual(['by-id', 'other', 'list'])
    expect(ids(statistics.page({ offset: 1, limit: 1, sortBy: 'p95Ms' }))).toEqual(['other'])
    const filtered = statistics.page({ offset: 0, limit: 10, filter: ' from USERS ' })
    expect([filtered.total, ids(filtered)]).toEqual([1, ['by-id']])
  })

  it(`counts shapes past ${MAX_FINGERPRINTS} together instead of growing without bound`, () => {
    const { statistics, harness } = run()
    for (let i = 0; i < MAX_FINGERPRINTS + 10; i++) {
      harness.run(shape({ id: `s${i}`, text: `SELECT ${i}` }))
    }
    expect(statistics.size).toBe(MAX_FINGERPRINTS + 1)
    const other = statistics.page({ offset: 0, limit: 1, sortBy: 'count' }).rows[0]!
    expect(other).toMatchObject({ id: 'other-shapes', count: 10 })
  })
})
