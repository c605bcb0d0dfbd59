import { beforeEach, describe, expect, it } from 'vitest'
import type { AnalysisSettings, FindingKind } from '../../src/shared/analysis'
import { FindingsDetector, MAX_FINDINGS, MAX_GROUP_QUERIES } from '../../src/main/analysis/findings'
import { SCOPE_IDLE_MS, type Scope } from '../../src/main/analysis/scopes'
import { Harness, app, frame, settings, shape } from './fixtures'

const orders = shape({ id: 'orders', text: 'SELECT * FROM "orders" WHERE "user_id" = ?' })
const product = shape({ id: 'product', text: 'SELECT * FROM "products" WHERE "id" = ?' })
const user = shape({ id: 'user', text: 'SELECT * FROM "users" WHERE "id" = ?' })
const insert = shape({
  id: 'insert',
  text: 'INSERT INTO "audit" ("action") VALUES (?)',
  statement: 'insert',
  collapsedRows: 1,
})
const begin = shape({ id: 'begin', text: 'BEGIN', statement: 'other' })

let marks: Map<number, FindingKind>
let closed: Scope[]
let detector: FindingsDetector
let harness: Harness

function setUp(changes: Partial<AnalysisSettings> = {}): void {
  const config = settings(changes)
  marks = new Map()
  closed = []
  const timeline = {
    markFinding: (id: number, kind: FindingKind) => void marks.set(id, kind),
  }
  let lookup = (_id: number) => undefined as ReturnType<Harness['lookup']>
  detector = new FindingsDetector(config, (id) => lookup(id), timeline)
  harness = new Harness(
    config,
    (query, from, fp, scope) => detector.handleQuery(query, from, fp, scope),
    (scope: Scope) => {
      closed.push(scope)
      detector.scopeClosed(scope)
    },
  )
  lookup = harness.lookup
}

const context = (id: string, name = 'GET /users/:id/orders') => ({ id, name })

beforeEach(() => setUp())

describe('N+1 reads', () => {
  it('reports a SELECT run with 5 different values in one context, sourced from the query before the loop', () => {
    const ctx = context('r1')
    harness.run(user, { params: [1], context: ctx })
    const list = harness.run(orders, { params: [1], context: ctx })
    const loop = [11, 12, 13, 14, 15].map((id) =>
      harness.run(product, { params: [id], context: ctx, stack: [frame(42)] }),
    )

    const { findings } = detector.data()
    expect(findings).toHaveLength(1)
    const finding = findings[0]!
    expect(finding).toMatchObject({
      kind: 'n-plus-one',
      fingerprintId: 'product',
      count: 5,
      scope: { kind: 'context', id: 'r1', name: 'GET /users/:id/orders', appId: 'app-1' },
      sourceQueryId: list.id,
      sourceSql: list.sql,
      queryIds: loop.map((q) => q.id),
      callSites: [frame(42)],
    })
    expect(finding.id).toBe('n-plus-one:product:r1')
    expect(finding.suggestion).toContain('WHERE id IN (...)')
  })

  it('does not report 4 different values under a threshold of 5', () => {
    const ctx = context('r1')
    for (const id of [1, 2, 3, 4]) harness.run(product, { params: [id], context: ctx })
    expect(detector.data().findings).toEqual([])
  })

  it('keeps the same finding id while the context grows, its count rising', () => {
    const ctx = context('r1')
    for (const id of [1, 2, 3, 4, 5]) harness.run(product, { params: [id], context: ctx })
    const first = detector.data().findings[0]!
    for (const id of [6, 7, 8]) harness.run(product, { params: [id], context: ctx })
    const later = detector.data().findings
    expect(later).toHaveLength(1)
    expect(later[0]!.id).toBe(first.id)
    expect([first.count, later[0]!.count]).toEqual([5, 8])
  })

  it('finds a loop interleaved with other queries, and names each loop its own source', () => {
    const ctx = context('r1')
    const list = harness.run(orders, { params: [7], context: ctx })
    for (let i = 1; i <= 6; i++) {
      harness.run(product, { params: [100 + i], context: ctx })
      harness.run(user, { params: [200 + i], context: ctx })
    }
    const findings = detector.data().findings
    expect(findings.map((f) => [f.fingerprintId, f.count, f.sourceQueryId]).sort()).toEqual([
      ['product', 6, list.id],
      ['user', 6, list.id],
    ])
  })

  it('sources a nested loop from its own parent query, not from the outer one', () => {
    const ctx = context('r1')
    harness.run(user, { params: [1], context: ctx })
    const firstList = harness.run(orders, { params: [1], context: ctx })
    for (const id of [1, 2, 3, 4, 5]) harness.run(product, { params: [id], context: ctx })
    harness.run(orders, { params: [2], context: ctx })
    for (const id of [6, 7, 8]) harness.run(product, { params: [id], context: ctx })
    const finding = detector.data().findings.find((f) => f.fingerprintId === 'product')!
    expect(finding.sourceQueryId).toBe(firstList.id)
  })

  it('never sums across contexts: the same lookup once per request in many requests is no finding', () => {
    for (let request = 1; request <= 50; request++) {
      harness.run(product, { params: [request], context: context(`r${request}`) })
    }
    expect(detector.data()).toEqual({ findings: [], insights: [] })
  })

  it('does not take paginated queries or IN lists for an N+1', () => {
    const page = shape({
      id: 'page',
      text: 'SELECT * FROM "products" LIMIT ? OFFSET ?',
      paginated: true,
    })
    const chunk = shape({
      id: 'chunk',
      text: 'SELECT * FROM "products" WHERE "id" IN (?)',
      inListItems: 50,
    })
    const ctx = context('r1')
    for (let offset = 0; offset < 200; offset += 20) {
      harness.run(page, { params: [20, offset], context: ctx })
      harness.run(chunk, { params: [offset], context: ctx })
    }
    expect(detector.data().findings).toEqual([])
  })

  it('takes inlined literals for the values when a query has no bound params', () => {
    const inlined = shape({ id: 'inlined', text: 'SELECT * FROM "products" WHERE "id" = ?' })
    const ctx = context('r1')
    for (const id of ['1', '2', '3', '4', '5']) {
      harness.run(
        { ...inlined, literals: [id] },
        { sql: `SELECT * FROM "products" WHERE "id" = ${id}`, context: ctx },
      )
    }
    harness.run(
      { ...inlined, literals: ['3'] },
      { sql: 'SELECT * FROM "products" WHERE "id" = 3', context: ctx },
    )
    const kinds = detector.data().findings.map((f) => [f.kind, f.count])
    expect(kinds.sort()).toEqual([
      ['duplicate', 2],
      ['n-plus-one', 6],
    ])
  })

  it('ignores transaction statements when looking for the source query', () => {
    const ctx = context('r1')
    const list = harness.run(orders, { params: [1], context: ctx })
    harness.run(begin, { context: ctx })
    for (const id of [1, 2, 3, 4, 5]) harness.run(product, { params: [id], context: ctx })
    expect(detector.data().findings[0]!.sourceQueryId).toBe(list.id)
  })

  it('marks every query of the loop on the timeline, including those before the threshold', () => {
    const ctx = context('r1')
    const loop = [1, 2, 3, 4, 5, 6].map((id) =>
      harness.run(product, { params: [id], context: ctx }),
    )
    expect(loop.map((q) => marks.get(q.id))).toEqual(Array(6).fill('n-plus-one'))
  })

  it('measures the time as the union of the intervals: overlapping queries count once', () => {
    const ctx = context('r1')
    const t = 1_800_000_000_000
    // Five lookups of 10 ms, all started within 2 ms (Promise.all): 18 ms of wall time.
    for (let i = 0; i < 5; i++)
      harness.run(product, { params: [i], context: ctx, startTime: t + 2 * i, durationMs: 10 })
    // Then one more, alone, 100 ms later.
    harness.run(product, { params: [9], context: ctx, startTime: t + 100, durationMs: 4 })
    expect(detector.data().findings[0]!.totalMs).toBe(22)
  })

  it('lists the call sites of the queries that had a stack, most frequent first', () => {
    const ctx = context('r1')
    const sites = [frame(10), frame(20), frame(20), undefined, frame(20), undefined]
    sites.forEach((site, i) =>
      harness.run(product, {
        params: [i],
        context: ctx,
        stack: site && [site, frame(99, '/app/src/caller.ts')],
      }),
    )
    expect(detector.data().findings[0]!.callSites).toEqual([frame(20), frame(10)])
  })
})

describe('duplicates', () => {
  it('reports the same shape with the same values twice in one context, listing only the repeated queries', () => {
    const ctx = context('r1')
    const first = harness.run(user, { params: [7], context: ctx })
    harness.run(user, { params: [8], context: ctx })
    const second = harness.run(user, { params: [7], context: ctx })
    const { findings } = detector.data()
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({
      kind: 'duplicate',
      count: 2,
      queryIds: [first.id, second.id],
    })
    expect(findings[0]!.suggestion).toMatch(/memoise/)
  })

  it('counts repeated values the same in a long group as in a short one', () => {
    const ctx = context('r1')
    const early = harness.run(user, { params: [7], context: ctx })
    for (let i = 0; i < 30; i++) harness.run(user, { params: [100 + i], context: ctx })
    const late = harness.run(user, { params: [7], context: ctx })
    const latest = harness.run(user, { params: [7], context: ctx })
    const duplicate = detector.data().findings.find((f) => f.kind === 'duplicate')!
    expect(duplicate).toMatchObject({ count: 3, queryIds: [early.id, late.id, latest.id] })
    expect(detector.data().findings.find((f) => f.kind === 'n-plus-one')!.count).toBe(33)
  })

  it('does not take the same values in two different contexts for a duplicate', () => {
    harness.run(user, { params: [7], context: context('r1') })
    harness.run(user, { params: [7], context: context('r2') })
    expect(detector.data().findings).toEqual([])
  })

  it('tells values apart by type: 7 and "7" are different', () => {
    const ctx = context('r1')
    harness.run(user, { params: [7], context: ctx })
    harness.run(user, { params: ['7'], context: ctx })
    expect(detector.data().findings).toEqual([])
  })

  it('does not take repeated identical writes for duplicates', () => {
    const ctx = context('r1')
    harness.run(insert, { params: ['login'], context: ctx })
    harness.run(insert, { params: ['login'], context: ctx })
    expect(detector.data().findings).toEqual([])
  })
})

describe('write loops', () => {
  it('reports 5 single-row inserts of one shape in one context, phrased for TypeORM', () => {
    const ctx = context('job-1', 'import users')
    const typeorm = app('app-1', 'typeorm')
    for (let i = 0; i < 5; i++) harness.run(insert, { params: [`a${i}`], context: ctx }, typeorm)
    const { findings } = detector.data()
    expect(findings.map((f) => [f.kind, f.count])).toEqual([['write-loop', 5]])
    expect(findings[0]!.suggestion).toContain('repository.insert([...])')
  })

  it('does not take multi-row inserts for a loop', () => {
    const batch = { ...insert, collapsedRows: 50 }
    const ctx = context('job-1')
    for (let i = 0; i < 10; i++) harness.run(batch, { context: ctx })
    expect(detector.data().findings).toEqual([])
  })
})

describe('recurring small N+1s', () => {
  it('reports a 3-row loop seen in 3 contexts as an insight, not a finding', () => {
    for (const request of ['r1', 'r2', 'r3']) {
      for (const id of [1, 2, 3]) harness.run(product, { params: [id], context: context(request) })
    }
    const { findings, insights } = detector.data()
    expect(findings).toEqual([])
    expect(insights).toHaveLength(1)
    expect(insights[0]).toMatchObject({
      kind: 'recurring-n-plus-one',
      fingerprintId: 'product',
      contexts: 3,
      medianRepeats: 3,
    })
    expect(insights[0]!.totalMs).toBeCloseTo(4.5, 6)
  })

  it('needs 3 contexts by default: a small loop in two is not an insight', () => {
    for (const request of ['r1', 'r2']) {
      for (const id of [1, 2, 3]) harness.run(product, { params: [id], context: context(request) })
    }
    expect(detector.data().insights).toEqual([])
    expect(detector.summary().insights).toBe(0)
  })

  it('takes the number of contexts from recurringMinContexts', () => {
    setUp({ recurringMinContexts: 2 })
    for (const request of ['r1', 'r2']) {
      for (const id of [1, 2]) harness.run(product, { params: [id], context: context(request) })
    }
    expect(detector.data().insights).toMatchObject([{ contexts: 2, medianRepeats: 2 }])
    expect(detector.summary().insights).toBe(1)
  })

  it('stops counting a context for the insight once its loop reaches the threshold', () => {
    for (const request of ['r1', 'r2', 'r3']) {
      for (const id of [1, 2]) harness.run(product, { params: [id], context: context(request) })
    }
    expect(detector.summary().insights).toBe(1)
    for (const id of [3, 4, 5]) harness.run(product, { params: [id], context: context('r3') })
    const { findings, insights } = detector.data()
    expect(findings.map((f) => f.kind)).toEqual(['n-plus-one'])
    expect(insights).toEqual([])
  })
})

describe('scopes and memory', () => {
  it('keeps findings after their context closes, and drops the context state', () => {
    const ctx = context('r1')
    for (const id of [1, 2, 3, 4, 5]) harness.run(product, { params: [id], context: ctx })
    // A long pause, then enough queries elsewhere for the idle sweep to run.
    harness.maker.wait(SCOPE_IDLE_MS * 2)
    for (let i = 0; i < 5000; i++)
      harness.run(user, { params: [i], context: context(`later-${i}`) })
    expect(closed.map((scope) => scope.id)).toEqual(['r1'])
    expect(closed[0]!.entries).toBeUndefined()
    expect(detector.data().findings.map((f) => f.id)).toEqual(['n-plus-one:product:r1'])
  })

  it('reuses the state of closed contexts for later ones without carrying their queries over', () => {
    // Contexts of two lookups each: every one leaves a group (no finding) to reuse.
    const lookups = (prefix: string, count: number, value: (i: number) => number) => {
      for (let i = 0; i < count; i++) {
        const ctx = context(`${prefix}-${i}`)
        harness.run(user, { params: [value(i)], context: ctx })
        harness.run(user, { params: [value(i) + 1], context: ctx })
        harness.run(orders, { params: [value(i)], context: ctx })
      }
    }
    lookups('early', 3000, (i) => i)
    harness.maker.wait(SCOPE_IDLE_MS * 2)
    // Enough queries for the sweep to close the early contexts, then contexts that repeat
    // their values: state reused from an early context must start empty.
    lookups('late', 3000, (i) => i + 1)
    expect(closed.length).toBeGreaterThanOrEqual(3000)
    expect(detector.data().findings).toEqual([])
    const ctx = context('last')
    harness.run(user, { params: [1], context: ctx })
    const again = harness.run(user, { params: [1], context: ctx })
    expect(detector.data().findings).toMatchObject([{ kind: 'duplicate', count: 2 }])
    expect(detector.data().findings[0]!.queryIds).toContain(again.id)
  })

  it(`keeps the newest ${MAX_FINDINGS} findings, counting the dropped ones, and finds new ones right`, () => {
    const loop = (request: string, first: number, line = 1) => {
      const ctx = context(request)
      const ids: number[] = []
      for (let i = 0; i < 5; i++) {
        const stack = [frame(line)]
        ids.push(harness.run(product, { params: [first + i], context: ctx, stack }).id)
      }
      return ids
    }
    for (let i = 0; i < MAX_FINDINGS + 200; i++) loop(`r${i}`, i)
    // Their contexts close, so the dropped findings' groups can be reused...
    harness.maker.wait(SCOPE_IDLE_MS * 2)
    let lastIds: number[] = []
    for (let i = 0; i < 1000; i++) lastIds = loop(`late${i}`, 1000 + i, 2)
    expect(detector.summary()).toMatchObject({
      counts: { 'n-plus-one': MAX_FINDINGS },
      dropped: 1200,
    })
    // ...and a group made from a reused one starts empty.
    const last = detector.finding('n-plus-one:product:late999')!
    expect(last).toMatchObject({ count: 5, scope: { id: 'late999' } })
    expect(last.queryIds).toEqual(lastIds)
    expect(last.callSites).toEqual([frame(2)])
    expect(detector.finding('n-plus-one:product:r0')).toBeUndefined()
  })

  it('groups queries without a context by connection: a pause over burstGapMs splits them', () => {
    setUp({ burstGapMs: 50 })
    for (const id of [1, 2, 3, 4, 5]) harness.run(product, { params: [id], connectionId: 'c1' })
    harness.maker.wait(1000)
    for (const id of [1, 2, 3]) harness.run(product, { params: [id], connectionId: 'c1' })
    const { findings } = detector.data()
    expect(findings.map((f) => [f.scope.kind, f.scope.id, f.count])).toEqual([
      ['connection-burst', 'app-1:c1:1', 5],
    ])
  })

  it('lists at most the first 1,000 queries of a long loop while counting them all', () => {
    const ctx = context('job')
    const total = MAX_GROUP_QUERIES + 500
    for (let i = 0; i < total; i++) harness.run(product, { params: [i], context: ctx })
    const finding = detector.data().findings[0]!
    expect(finding.count).toBe(total)
    expect(finding.queryIds).toHaveLength(MAX_GROUP_QUERIES)
    expect(finding.totalMs).toBeCloseTo(total * 0.5, 6)
    expect(finding.severity).toBe('critical')
  })
})
