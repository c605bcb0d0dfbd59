import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkSession, formatCheckResult } from '../../src/main/report/check'
import { analyzeSessionFile } from '../../src/main/report/report'
import type { AnalyzedSession } from '../../src/shared/session-diff'
import { AUDIT, LOOKUP, shopSession, tempDir } from './sessions'

const { dir, cleanup } = tempDir('fop-check-')
afterAll(cleanup)

/** Two N+1 findings (one shape), 1 slow query, 1 failed. */
let shop: AnalyzedSession
/** No N+1; 2 slow queries (the monthly total and the audit), 1 failed. */
let fixed: AnalyzedSession
beforeAll(async () => {
  shop = analyzeSessionFile(await shopSession(dir, 'shop'))
  fixed = analyzeSessionFile(await shopSession(dir, 'fixed', { fixed: true, audit: true }))
})

describe('checkSession', () => {
  it('passes when every given limit is kept, a count equal to its limit included', () => {
    const result = checkSession(shop, { 'n-plus-one': 2, slow: 1, failed: 1, duplicates: 0 })
    expect(result.passed).toBe(true)
    expect(
      result.outcomes.map((outcome) => [outcome.limit, outcome.measured, outcome.over]),
    ).toEqual([
      ['n-plus-one', 2, false],
      ['duplicates', 0, false],
      ['slow', 1, false],
      ['failed', 1, false],
    ])
    expect(result.outcomes.every((outcome) => outcome.offenders.length === 0)).toBe(true)
  })

  it('fails on a count over its limit and names the offending shape with its call site', () => {
    const result = checkSession(shop, { 'n-plus-one': 0, failed: 5 })
    expect(result.passed).toBe(false)
    const [nPlusOne, failed] = result.outcomes
    expect(nPlusOne).toMatchObject({
      limit: 'n-plus-one',
      flag: '--max-n-plus-one',
      max: 0,
      measured: 2,
      over: true,
    })
    // Both findings are one shape in two requests: one offender, counted twice.
    expect(nPlusOne!.offenders).toHaveLength(1)
    expect(nPlusOne!.offenders[0]).toMatchObject({
      count: 2,
      queries: 12,
      totalMs: 6,
      callSites: [{ file: '/app/src/orders.ts', line: 31, column: 9, function: 'totals' }],
    })
    expect(nPlusOne!.offenders[0]!.sql).toContain('FROM "products" "Product"')
    expect(failed).toMatchObject({ limit: 'failed', measured: 1, over: false, offenders: [] })
  })

  it('ranks offenders by their count of queries, then by their time', () => {
    const result = checkSession(fixed, { slow: 1 })
    expect(result.outcomes[0]).toMatchObject({ measured: 2, over: true })
    expect(result.outcomes[0]!.offenders.map((offender) => offender.sql)).toEqual([
      AUDIT,
      'SELECT sum(total) FROM orders',
    ])
  })

  it('checks nothing without limits, and still measures', () => {
    const result = checkSession(shop, {})
    expect(result).toEqual({
      passed: true,
      outcomes: [],
      measured: { 'n-plus-one': 2, duplicates: 0, slow: 1, failed: 1 },
    })
  })
})

describe('formatCheckResult', () => {
  it('prints each limit, the count, and for one exceeded its offenders with their call sites', () => {
    const lines = formatCheckResult(
      checkSession(shop, { 'n-plus-one': 1, failed: 0, slow: 3 }),
      'shop.json',
    )
    expect(lines.slice(0, 2)).toEqual([
      'shop.json: 2 of 3 limit(s) exceeded.',
      'OVER n-plus-one: 2 N+1 findings, limit 1 (--max-n-plus-one)',
    ])
    expect(lines[2]).toBe('  N+1 read: 2 findings, 12 queries, 6 ms')
    expect(lines[3]).toContain(LOOKUP.replace('LIMIT 1', 'LIMIT ?').slice(0, 60))
    expect(lines[4]).toBe('    at /app/src/orders.ts:31:9 (totals)')
    expect(lines).toContain('ok   slow: 1 slow query, limit 3')
    expect(lines).toContain('OVER failed: 1 failed query, limit 0 (--max-failed)')
    expect(lines).toContain('  1 failed: SQLITE_ERROR no such table: coupons')
    expect(lines).toContain('    at /app/src/coupons.ts:8:3')
    expect(lines.at(-1)).toBe('not checked: 0 duplicate-query findings')
  })

  it('says so when every limit is kept, or when none was given', () => {
    expect(formatCheckResult(checkSession(shop, { slow: 1 }), 'shop.json')[0]).toBe(
      'shop.json: within all 1 limit(s).',
    )
    expect(formatCheckResult(checkSession(shop, {}), 'shop.json')).toEqual([
      'shop.json: no limits given, nothing checked.',
      'not checked: 2 N+1 findings, 0 duplicate-query findings, 1 slow query, 1 failed query',
    ])
  })
})
