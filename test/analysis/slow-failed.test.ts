import { describe, expect, it } from 'vitest'
import type { BarStatus } from '../../src/shared/analysis'
import {
  MAX_LISTED,
  NewestList,
  OUTLIER_MIN_SAMPLES,
  SlowAndFailed,
} from '../../src/main/analysis/slow-failed'
import { Statistics } from '../../src/main/analysis/statistics'
import { Harness, frame, settings, shape } from './fixtures'

const lookup = shape({ id: 'lookup', text: 'SELECT * FROM users WHERE id = ?' })

function run(changes = {}) {
  const statistics = new Statistics()
  const statuses = new Map<number, BarStatus>()
  const handler = new SlowAndFailed(settings(changes), statistics, {
    markStatus: (id, status) => void statuses.set(id, status),
  })
  const harness = new Harness(settings(changes), (query, from, fp) => {
    statistics.handleQuery(query, from, fp)
    handler.handleQuery(query, from, fp)
  })
  return { handler, harness, statuses }
}

describe('slow and failed queries', () => {
  it('lists a query over slowQueryMs as slow, with its context and call site', () => {
    const { handler, harness, statuses } = run()
    harness.run(lookup, { durationMs: 99 })
    const slow = harness.run(lookup, {
      durationMs: 250,
      context: { id: 'r1', name: 'GET /report' },
      stack: [frame(12)],
    })
    const page = handler.slowPage({ offset: 0, limit: 10 })
    expect(page.total).toBe(1)
    expect(page.rows[0]).toEqual({
      queryId: slow.id,
      appId: 'app-1',
      sql: slow.sql,
      fingerprintId: 'lookup',
      startTime: slow.startTime,
      durationMs: 250,
      reason: 'threshold',
      contextName: 'GET /report',
      callSite: frame(12),
    })
    expect(statuses.get(slow.id)).toBe('slow')
    expect(handler.data()).toEqual({ slow: 1, failed: 0 })
  })

  it('uses the configured threshold', () => {
    const { handler, harness } = run({ slowQueryMs: 10 })
    harness.run(lookup, { durationMs: 11 })
    expect(handler.data().slow).toBe(1)
  })

  it('lists a failed query with its error, and marks it as an error on the timeline', () => {
    const { handler, harness, statuses } = run()
    const failed = harness.run(lookup, {
      error: { type: 'SQLITE_ERROR', message: 'no such table: coupons' },
    })
    expect(handler.failedPage({ offset: 0, limit: 5 }).rows[0]).toMatchObject({
      queryId: failed.id,
      error: { type: 'SQLITE_ERROR', message: 'no such table: coupons' },
    })
    expect(statuses.get(failed.id)).toBe('error')
  })

  it(`flags an outlier far above its shape's p95 once the shape has ${OUTLIER_MIN_SAMPLES} samples`, () => {
    const { handler, harness } = run()
    // Early on, a 9 ms query among 0.5 ms ones is not judged: too few samples.
    for (let i = 0; i < 10; i++) harness.run(lookup, { durationMs: 0.5 })
    harness.run(lookup, { durationMs: 9 })
    expect(handler.data().slow).toBe(0)
    for (let i = 0; i < OUTLIER_MIN_SAMPLES; i++) harness.run(lookup, { durationMs: 0.5 })
    const outlier = harness.run(lookup, { durationMs: 9 })
    // Above 10 × p95 but under outlierMinMs (5 ms): not an outlier.
    harness.run(lookup, { durationMs: 4.9 })
    const page = handler.slowPage({ offset: 0, limit: 10 })
    expect(page.rows.map((row) => [row.queryId, row.reason])).toEqual([[outlier.id, 'outlier']])
    expect(page.rows[0]!.p95Ms).toBeCloseTo(0.5, 2)
  })

  it(`keeps only the newest ${MAX_LISTED}, newest first, and counts them all`, () => {
    const { handler, harness } = run()
    let last = 0
    for (let i = 0; i < MAX_LISTED + 25; i++) last = harness.run(lookup, { durationMs: 500 }).id
    const page = handler.slowPage({ offset: 0, limit: 3 })
    expect(page.total).toBe(MAX_LISTED)
    expect(page.rows.map((row) => row.queryId)).toEqual([last, last - 1, last - 2])
    expect(handler.slowPage({ offset: MAX_LISTED - 1, limit: 5 }).rows[0]!.queryId).toBe(
      last - MAX_LISTED + 1,
    )
    expect(handler.data().slow).toBe(MAX_LISTED + 25)
  })
})

describe('NewestList', () => {
  it('pages newest first before and after it wraps', () => {
    const list = new NewestList<number>(3)
    list.push(1)
    list.push(2)
    expect(list.page(0, 10)).toEqual([2, 1])
    for (const n of [3, 4, 5]) list.push(n)
    expect(list.page(0, 10)).toEqual([5, 4, 3])
    expect(list.page(1, 1)).toEqual([4])
    expect(list.total).toBe(5)
  })
})
