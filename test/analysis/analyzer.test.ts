import { describe, expect, it } from 'vitest'
import type { TimelineWindow } from '../../src/shared/analysis'
import type { QueryRecord } from '../../src/shared/domain'
import { Analyzer, analyzeSession, lookupOver } from '../../src/main/analysis/analyzer'
import { clearFingerprintCache } from '../../src/main/analysis/fingerprint'
import { app, frame } from './fixtures'

/** SQL as TypeORM 1.1 sends it on SQLite (copied from the integration test's agent traffic). */
const FIND_USER =
  'SELECT "User"."id" AS "User_id", "User"."name" AS "User_name", "User"."email" AS "User_email" FROM "users" "User" WHERE (("User"."id" = ?)) LIMIT 1'
const FIND_ORDERS =
  'SELECT "Order"."id" AS "Order_id", "Order"."user_id" AS "Order_user_id", "Order"."product_id" AS "Order_product_id" FROM "orders" "Order" WHERE (("Order"."user_id" = ?)) ORDER BY "Order"."created_at" DESC'
const FIND_PRODUCT =
  'SELECT "Product"."id" AS "Product_id", "Product"."name" AS "Product_name", "Product"."price_cents" AS "Product_price_cents" FROM "products" "Product" WHERE (("Product"."id" = ?)) LIMIT 1'
const COUPONS = 'SELECT discount_cents FROM coupons WHERE user_id = ?'

const typeorm = app('app-1', 'typeorm', 'sqlite')

/** The demo's request, as the agent would report it. */
function demoRequest(queries: QueryRecord[], request: number, start: number): void {
  const context = { id: `ctx-${request}`, name: 'GET /users/:id/orders' }
  let t = start
  const add = (sql: string, params: unknown[], extra: Partial<QueryRecord> = {}) => {
    queries.push({
      id: queries.length + 1,
      appId: 'app-1',
      sql,
      params,
      startTime: t,
      durationMs: 0.4,
      rows: 1,
      context,
      ...extra,
    })
    t += 1
  }
  add(FIND_USER, [request], { stack: [frame(150, '/app/demo.ts')] })
  add(FIND_USER, [request], { stack: [frame(151, '/app/demo.ts')] })
  add(FIND_ORDERS, [request], { rows: 8 })
  for (let i = 0; i < 8; i++)
    add(FIND_PRODUCT, [1 + ((request * 7 + i * 3) % 25)], { stack: [frame(157, '/app/demo.ts')] })
  if (request % 2 === 0)
    add('WITH RECURSIVE ticks(n) AS (SELECT 1) SELECT count(*) FROM ticks', [], { durationMs: 450 })
  add(COUPONS, [request], { error: { type: 'SQLITE_ERROR', message: 'no such table: coupons' } })
}

function demoSession(requests = 4): QueryRecord[] {
  const queries: QueryRecord[] = []
  for (let r = 1; r <= requests; r++) demoRequest(queries, r, 1_800_000_000_000 + r * 1000)
  return queries
}

/** The timeline over the whole demo session: its first 10 lanes. */
function demoWindow(analyzer: Analyzer): TimelineWindow {
  return analyzer.timelineWindow({
    from: 1_800_000_000_000,
    to: 1_800_000_010_000,
    laneOffset: 0,
    laneLimit: 10,
    maxBars: 1000,
  })
}

/** What each bar of a window's first lane shows: its finding, else its status. */
function firstLane(window: TimelineWindow): string[] {
  return window.bars.filter((b) => b.lane === 0).map((b) => b.finding ?? b.status)
}

/** An odd demo request on the timeline: the user twice, the orders, 8 products, the coupons. */
const DEMO_REQUEST_MARKS = ['duplicate', 'duplicate', 'ok', ...Array(8).fill('n-plus-one'), 'error']

describe('Analyzer', () => {
  it('finds the demo request problems: one N+1 and one duplicate per request, a slow and a failing query', () => {
    const queries = demoSession(4)
    const analyzer = analyzeSession(queries, [typeorm])
    expect(analyzer.summary()).toEqual({
      queries: queries.length,
      failed: 4,
      slow: 2,
      fingerprints: 5,
      findings: { 'n-plus-one': 4, duplicate: 4, 'write-loop': 0 },
      insights: 0,
    })
    const { findings } = analyzer.findingsResult()
    const nPlusOne = findings.find((f) => f.kind === 'n-plus-one' && f.scope.id === 'ctx-1')!
    expect(nPlusOne).toMatchObject({
      count: 8,
      sourceSql: FIND_ORDERS,
      sourceQueryId: 3,
      callSites: [frame(157, '/app/demo.ts')],
      scope: { kind: 'context', name: 'GET /users/:id/orders', appId: 'app-1' },
    })
    expect(nPlusOne.suggestion).toContain('`products`')
    expect(nPlusOne.suggestion).toContain('leftJoinAndSelect')
    const duplicate = findings.find((f) => f.kind === 'duplicate' && f.scope.id === 'ctx-1')!
    expect(duplicate).toMatchObject({ count: 2, queryIds: [1, 2] })
    expect(duplicate.callSites).toEqual([frame(150, '/app/demo.ts'), frame(151, '/app/demo.ts')])

    const top = analyzer.fingerprintPage({ offset: 0, limit: 1 }).rows[0]!
    expect(top).toMatchObject({ statement: 'select', count: 2, totalMs: 900, maxMs: 450 })
    expect(analyzer.slowPage({ offset: 0, limit: 10 }).rows.map((s) => s.reason)).toEqual([
      'threshold',
      'threshold',
    ])
    expect(analyzer.failedPage({ offset: 0, limit: 10 }).rows[0]!.error.message).toBe(
      'no such table: coupons',
    )
    const window = demoWindow(analyzer)
    expect(window.lanes.map((l) => [l.id, l.worstFinding])).toEqual(
      [1, 2, 3, 4].map((r) => [`ctx-${r}`, 'n-plus-one']),
    )
    expect(firstLane(window)).toEqual(DEMO_REQUEST_MARKS)
  })

  it('finds the same problems when the app inlines its values (shape templates at work)', () => {
    const bound = demoSession(6)
    // TypeORM on SQLite inlines ids (`WHERE "id" = 7`); past a shape's second text, new texts
    // are matched by a shape template and their values read from the text when compared.
    const inlined = bound.map((query) => ({
      ...query,
      sql: query.sql.replace('?', String((query.params as unknown[])[0])),
      params: [],
    }))
    clearFingerprintCache()
    const fromInlined = analyzeSession(inlined, [typeorm])
    const fromBound = analyzeSession(bound, [typeorm])
    expect(fromInlined.summary()).toEqual(fromBound.summary())
    const outline = (analyzer: Analyzer) =>
      analyzer
        .findingsResult()
        .findings.map((f) => [f.kind, f.scope.id, f.fingerprintId, f.count, f.queryIds])
    expect(outline(fromInlined)).toEqual(outline(fromBound))
    expect(outline(fromInlined)).toHaveLength(12)
  })

  it('draws the timeline of a loaded session whose ids have gaps', () => {
    // Ids n, 2n, 3n, ... for n queries: the timeline's ring is sized to the count, so every
    // id falls on the same slot of it.
    const demo = demoSession(3)
    const queries = demo.map((query, i) => ({ ...query, id: (i + 1) * demo.length }))
    const analyzer = analyzeSession(queries, [typeorm])
    const window = demoWindow(analyzer)
    expect(window.lanes.map((l) => [l.id, l.queryCount, l.worstFinding])).toEqual(
      // Even requests have one more query (a slow one).
      [1, 2, 3].map((r) => [`ctx-${r}`, r === 2 ? 13 : 12, 'n-plus-one']),
    )
    expect(window.bars.map((b) => b.queryId).sort((a, b) => a - b)).toEqual(
      queries.map((q) => q.id),
    )
    expect(firstLane(window)).toEqual(DEMO_REQUEST_MARKS)
  })

  it('gives a live run (no finalize) the same findings as a loaded session', () => {
    const queries = demoSession(6)
    const live = new Analyzer({ capacity: 1000, lookup: lookupOver(queries) })
    for (const query of queries) live.handleQuery(query, typeorm)
    const loaded = analyzeSession(queries, [typeorm])
    expect(live.findingsResult()).toEqual(loaded.findingsResult())
  })

  it('judges again with new settings after a reset and a re-run', () => {
    const queries = demoSession(2)
    const analyzer = new Analyzer({ capacity: 1000, lookup: lookupOver(queries) })
    const runAll = () => queries.forEach((query) => analyzer.handleQuery(query, typeorm))
    runAll()
    expect(analyzer.updateSettings({ nPlusOneThreshold: 9, slowQueryMs: 1000 })).toBe(true)
    expect(analyzer.updateSettings({ nPlusOneThreshold: 9 })).toBe(false)
    analyzer.reset()
    runAll()
    expect(analyzer.summary()).toMatchObject({ slow: 0, findings: { 'n-plus-one': 0 } })
  })

  it("reads SQL in the app's dialect: MySQL's double-quoted strings are values, not names", () => {
    const names = ['ann', 'bob', 'cy', 'dee', 'eve']
    const queries: QueryRecord[] = names.map((name, i) => ({
      id: i + 1,
      appId: 'app-1',
      sql: `SELECT * FROM users WHERE name = "${name}"`,
      startTime: 1_800_000_000_000 + i,
      durationMs: 1,
      context: { id: 'r1' },
    }))
    const mysql = analyzeSession(queries, [app('app-1', undefined, 'mysql')])
    expect(mysql.summary()).toMatchObject({ fingerprints: 1, findings: { 'n-plus-one': 1 } })
    const postgres = analyzeSession(queries, [app('app-1', undefined, 'postgresql')])
    expect(postgres.summary()).toMatchObject({ fingerprints: 5, findings: { 'n-plus-one': 0 } })
  })

  it('analyzes queries of an app the session does not list, phrased generically', () => {
    const queries = demoSession(1)
    const analyzer = analyzeSession(queries, [])
    const nPlusOne = analyzer.findingsResult().findings.find((f) => f.kind === 'n-plus-one')!
    expect(nPlusOne.suggestion).toContain('WHERE id IN (...)')
  })
})
