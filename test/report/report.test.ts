import { describe, expect, it } from 'vitest'
import { buildReport, formatTextReport } from '../../src/main/report/report'
import type { SessionFile } from '../../src/main/session/session-file'
import type { AppInfo, QueryRecord } from '../../src/shared/domain'

const T = Date.UTC(2025, 10, 26, 9, 0, 0)
const LOOKUP =
  'SELECT "Product"."id" AS "Product_id", "Product"."name" AS "Product_name" FROM "products" "Product" WHERE (("Product"."id" = ?)) LIMIT 1'
const ORDERS =
  'SELECT "Order"."id" AS "Order_id" FROM "orders" "Order" WHERE (("Order"."user_id" = ?))'

const shop: AppInfo = {
  id: 'app-1',
  name: 'shop',
  runtime: { name: 'node', version: '22.0.0' },
  orm: { name: 'typeorm', version: '1.1.1' },
  dbSystem: 'sqlite',
  pid: 4242,
  connectedAt: T,
  received: 0,
  droppedByAgent: 0,
}

/** Two requests: each lists orders, then looks up 6 products one by one; one slow, one failing query. */
function session(): SessionFile {
  const queries: QueryRecord[] = []
  const add = (query: Omit<QueryRecord, 'id' | 'appId'>) =>
    queries.push({ id: queries.length + 1, appId: 'app-1', ...query })
  for (const request of [1, 2]) {
    const context = { id: `ctx-${request}`, name: 'GET /orders' }
    let t = T + request * 1000
    add({ sql: ORDERS, params: [request], startTime: t++, durationMs: 1, rows: 6, context })
    for (let i = 1; i <= 6; i++) {
      add({
        sql: LOOKUP,
        params: [i * request],
        startTime: t++,
        durationMs: 0.5,
        rows: 1,
        context,
        stack: [{ file: '/app/src/orders.ts', line: 31, column: 9, function: 'totals' }],
      })
    }
  }
  add({ sql: 'SELECT sum(total) FROM orders', startTime: T + 5000, durationMs: 250, rows: 1 })
  add({
    sql: 'SELECT * FROM coupons WHERE user_id = ?',
    params: [1],
    startTime: T + 6000,
    durationMs: 0.2,
    error: { type: 'SQLITE_ERROR', message: 'no such table: coupons' },
    stack: [{ file: '/app/src/coupons.ts', line: 8, column: 3 }],
  })
  return {
    format: 'fastorm-profiler-session',
    version: 1,
    session: { id: 'session-1', startedAt: T, endedAt: T + 10_000 },
    apps: [shop],
    counters: {
      received: queries.length,
      stored: queries.length,
      evicted: 0,
      rejected: 0,
      droppedByAgents: 0,
    },
    queries,
  }
}

describe('the JSON report', () => {
  it('summarises queries, failures, slow queries and findings by kind', () => {
    const report = buildReport(session())
    expect(report.summary).toMatchObject({
      queries: 16,
      failed: 1,
      slow: 1,
      contexts: 2,
      fingerprints: 4,
      findings: { nPlusOne: 2, duplicates: 0, writeLoops: 0 },
      insights: 0,
    })
    expect(report.settings).toMatchObject({ nPlusOneThreshold: 5, slowQueryMs: 100 })
  })

  it('lists each query shape with its count, time and percentiles, most total time first', () => {
    const [first, second] = buildReport(session()).fingerprints
    expect(first).toMatchObject({
      fingerprint: 'SELECT SUM(total) FROM orders',
      count: 1,
      totalMs: 250,
    })
    expect(second).toMatchObject({
      count: 12,
      totalMs: 6,
      meanMs: 0.5,
      p50Ms: 0.5,
      p95Ms: 0.5,
      p99Ms: 0.5,
      maxMs: 0.5,
      rows: 12,
      errors: 0,
    })
    expect(second!.fingerprint).toContain('WHERE (("Product"."id" = ?)) LIMIT ?')
    expect(second!.id).toMatch(/^[0-9a-f]{12}$/)
  })

  it('lists the findings with source query, call site and a TypeORM suggestion', () => {
    const report = buildReport(session())
    expect(report.findings).toHaveLength(2)
    expect(report.findings[0]).toMatchObject({
      kind: 'n-plus-one',
      count: 6,
      totalMs: 3,
      severity: 'warning',
      scope: { kind: 'context', id: 'ctx-1', name: 'GET /orders', appId: 'app-1' },
      sourceQueryId: 1,
      sourceSql: ORDERS,
      queryIds: [2, 3, 4, 5, 6, 7],
      callSites: [{ file: '/app/src/orders.ts', line: 31, column: 9, function: 'totals' }],
    })
    expect(report.findings[0]!.suggestion).toContain('findBy({ id: In(ids) })')
  })

  it('lists slow and failed queries with their call sites', () => {
    const report = buildReport(session())
    expect(report.slowQueries).toEqual([
      expect.objectContaining({ queryId: 15, durationMs: 250, reason: 'threshold' }),
    ])
    expect(report.failedQueries).toEqual([
      expect.objectContaining({
        queryId: 16,
        error: { type: 'SQLITE_ERROR', message: 'no such table: coupons' },
        callSite: { file: '/app/src/coupons.ts', line: 8, column: 3 },
      }),
    ])
  })

  it('judges by the thresholds it is given', () => {
    const report = buildReport(session(), { nPlusOneThreshold: 7, slowQueryMs: 500 })
    expect(report.summary).toMatchObject({ slow: 0, findings: { nPlusOne: 0 } })
    expect(report.settings.nPlusOneThreshold).toBe(7)
  })
})

describe('the text report', () => {
  const text = formatTextReport(buildReport(session()))

  it('opens with the totals and the findings counts', () => {
    expect(text).toContain('Queries: 16   Failed: 1   Slow: 1   Apps: 1   Contexts: 2')
    expect(text).toContain('Findings: 2 N+1, 0 duplicate, 0 write loop; 0 recurring insight(s)')
  })

  it('shows each finding with its shape, source query, call site and fix', () => {
    const block = text.slice(text.indexOf('Findings (most severe first):'))
    expect(block).toContain('[WARNING] N+1 read ×6 in "GET /orders" (ctx-1), 3 ms  (shop)')
    expect(block).toContain('FROM "products" "Product" WHERE (("Product"."id" = ?)) LIMIT ?')
    expect(block).toContain(`after #1: ${ORDERS}`)
    expect(block).toContain('at /app/src/orders.ts:31:9 (totals)')
    expect(block).toMatch(/fix: One query per parent row loads the `products` rows by `id`/)
  })

  it('tabulates the shapes and lists slow and failed queries', () => {
    expect(text).toMatch(/total ms +count +p50 +p95 +p99 +max +shape/)
    expect(text).toMatch(/ +250 +1 +250 +250 +250 +250 +SELECT SUM\(total\) FROM orders/)
    expect(text).toContain('#15 250.00 ms')
    expect(text).toContain('#16 SQLITE_ERROR no such table: coupons')
    expect(text).toContain('at /app/src/coupons.ts:8:3')
  })
})
