import { describe, expect, it } from 'vitest'
import {
  MAX_OPEN_SCOPES,
  SCOPE_IDLE_MS,
  ScopeTracker,
  type Scope,
} from '../../src/main/analysis/scopes'
import { seededRandom } from '../helpers/random'
import { QueryMaker, app } from './fixtures'

function tracker(burstGapMs = 100) {
  const opened: Scope[] = []
  const closed: Scope[] = []
  const scopes = new ScopeTracker(
    { burstGapMs },
    { scopeOpened: (s) => opened.push(s), scopeClosed: (s) => closed.push(s) },
  )
  return { scopes, opened, closed, maker: new QueryMaker() }
}

describe('ScopeTracker', () => {
  it('puts the queries of one context in one scope, named after it, whatever comes between', () => {
    const { scopes, maker } = tracker()
    const a = scopes.scopeOf(maker.make({ sql: 'x', context: { id: 'r1', name: 'GET /a' } }), app())
    scopes.scopeOf(maker.make({ sql: 'x', context: { id: 'r2' } }), app())
    const again = scopes.scopeOf(maker.make({ sql: 'x', context: { id: 'r1' } }), app())
    expect(again).toBe(a)
    expect([a.kind, a.id, a.name, a.queryCount]).toEqual(['context', 'r1', 'GET /a', 2])
  })

  it('keeps the same context id of two apps apart', () => {
    const { scopes, maker } = tracker()
    const one = scopes.scopeOf(maker.make({ sql: 'x', context: { id: 'r1' } }), app('app-1'))
    const two = scopes.scopeOf(maker.make({ sql: 'x', context: { id: 'r1' } }), app('app-2'))
    expect(one).not.toBe(two)
  })

  it('splits queries without a context into bursts per connection at pauses over burstGapMs', () => {
    const { scopes, closed } = tracker(100)
    const at = (startTime: number, connectionId?: string) =>
      scopes.scopeOf(
        { id: startTime, appId: 'app-1', sql: 'x', startTime, durationMs: 10, connectionId },
        app(),
      )
    const first = at(0, 'c1')
    expect(at(50, 'c1')).toBe(first) // 40 ms after the previous one ended
    expect(at(160, 'c1')).toBe(first) // exactly 100 ms: still the same burst
    const other = at(170, 'c2')
    const second = at(400, 'c1') // 230 ms of silence
    expect(second).not.toBe(first)
    expect([first.id, second.id, other.id]).toEqual(['app-1:c1:1', 'app-1:c1:2', 'app-1:c2:1'])
    expect(second.name).toBe('connection c1, burst 2')
    expect(closed).toEqual([first])
    const anonymous = at(500)
    expect([anonymous.id, anonymous.kind]).toEqual(['app-1:-:1', 'connection-burst'])
  })

  it(`closes a context after ${SCOPE_IDLE_MS / 1000} s of query time without a query`, () => {
    const { scopes, closed, maker } = tracker()
    const early = scopes.scopeOf(maker.make({ sql: 'x', context: { id: 'early' } }), app())
    maker.wait(SCOPE_IDLE_MS + 1)
    for (let i = 0; i < 5000; i++)
      scopes.scopeOf(maker.make({ sql: 'x', context: { id: 'busy' } }), app())
    expect(closed).toEqual([early])
    expect(early.open).toBe(false)
    // The same id later is a new scope.
    const reopened = scopes.scopeOf(maker.make({ sql: 'x', context: { id: 'early' } }), app())
    expect(reopened).not.toBe(early)
  })

  it('gives the same context object of a closed scope a new scope, and keeps apps apart', () => {
    const { scopes, maker } = tracker()
    const context = { id: 'r1', name: 'GET /a' }
    const first = scopes.scopeOf(maker.make({ sql: 'x', context }), app())
    expect(scopes.scopeOf(maker.make({ sql: 'x', context }), app())).toBe(first)
    expect(scopes.scopeOf(maker.make({ sql: 'x', context }), app('app-2'))).not.toBe(first)
    maker.wait(SCOPE_IDLE_MS * 2)
    for (let i = 0; i < 5000; i++)
      scopes.scopeOf(maker.make({ sql: 'x', context: { id: `busy-${i}` } }), app())
    expect(first.open).toBe(false)
    const next = scopes.scopeOf(maker.make({ sql: 'x', context }), app())
    expect(next).not.toBe(first)
    expect(next.open).toBe(true)
  })

  it('keeps a long context open while it is busy, and closes it once it falls idle', () => {
    const { scopes, closed, maker } = tracker()
    const job = scopes.scopeOf(maker.make({ sql: 'x', context: { id: 'job' } }), app())
    // The job runs a query every second for two minutes, among other requests.
    for (let second = 0; second < 120; second++) {
      for (let i = 0; i < 100; i++)
        scopes.scopeOf(maker.make({ sql: 'x', context: { id: `r${second}-${i}` } }), app())
      expect(scopes.scopeOf(maker.make({ sql: 'x', context: { id: 'job' } }), app())).toBe(job)
      maker.wait(1000)
    }
    expect(job.open).toBe(true)
    expect(closed.length).toBeGreaterThan(5000)
    maker.wait(SCOPE_IDLE_MS * 2)
    for (let i = 0; i < 5000; i++)
      scopes.scopeOf(maker.make({ sql: 'x', context: { id: `late-${i}` } }), app())
    expect(job.open).toBe(false)
  })

  it(`keeps at most ${MAX_OPEN_SCOPES} scopes open, closing the longest idle first`, () => {
    const { scopes, closed, maker } = tracker()
    const total = MAX_OPEN_SCOPES + 5000
    for (let i = 0; i < total; i++)
      scopes.scopeOf(maker.make({ sql: 'x', context: { id: `r${i}` } }), app())
    expect(scopes.open).toBeLessThanOrEqual(MAX_OPEN_SCOPES + 4096)
    expect(closed[0]!.id).toBe('r0')
  })

  it('closes a context its agent says has ended at once, and opens a new scope for a query after it', () => {
    const { scopes, closed, maker } = tracker()
    const context = { id: 'r1', name: 'GET /a' }
    const ended = scopes.scopeOf(maker.make({ sql: 'x', context }), app('app-1'))
    const otherApp = scopes.scopeOf(maker.make({ sql: 'x', context }), app('app-2'))
    scopes.endContext(app('app-1'), 'r1')
    expect(closed).toEqual([ended])
    expect([ended.open, otherApp.open, scopes.open]).toEqual([false, true, 1])
    // The same context object, seen by reference just before: still a new scope.
    const late = scopes.scopeOf(maker.make({ sql: 'x', context }), app('app-1'))
    expect(late).not.toBe(ended)
    expect(late.id).toBe('r1')
    // An id that is not open (never seen, or ended already) changes nothing.
    scopes.endContext(app('app-1'), 'never-seen')
    scopes.endContext(app('app-3'), 'r1')
    expect(closed).toEqual([ended])
  })

  it('finds each open context by id and closes the one named, however many are open at once', () => {
    // Few open contexts are searched one by one, many also through a map (from 65 on, until
    // they fall to 16): the same answers either way, through every switch between the two.
    const { scopes, closed, maker } = tracker()
    const random = seededRandom(7)
    const open = new Map<string, Scope>()
    let next = 0
    let reopened = 0
    for (const target of [5, 200, 10, 120, 0]) {
      while (open.size < target) {
        const id = `r${next++}`
        // A fresh object each time: the lookup goes by id, not by the context seen lately.
        const scope = scopes.scopeOf(maker.make({ sql: 'x', context: { id } }), app())
        expect(scope.id).toBe(id)
        open.set(id, scope)
      }
      while (open.size > target) {
        const ids = [...open.keys()]
        const id = ids[Math.floor(random() * ids.length)]!
        scopes.endContext(app(), id)
        expect(closed.at(-1)).toBe(open.get(id))
        // A query of that id now opens a new scope (the closed one is not found again).
        const again = scopes.scopeOf(maker.make({ sql: 'x', context: { id } }), app())
        expect(again).not.toBe(open.get(id))
        expect(again.open).toBe(true)
        scopes.endContext(app(), id)
        expect(closed.at(-1)).toBe(again)
        open.delete(id)
        reopened++
      }
      expect(scopes.open).toBe(open.size)
      for (const [id, scope] of open) {
        expect(scopes.scopeOf(maker.make({ sql: 'x', context: { id } }), app())).toBe(scope)
      }
    }
    expect(closed).toHaveLength(next + reopened)
  })

  it('closes everything on closeAll', () => {
    const { scopes, closed, maker } = tracker()
    scopes.scopeOf(maker.make({ sql: 'x', context: { id: 'r1' } }), app())
    scopes.scopeOf(maker.make({ sql: 'x', connectionId: 'c1' }), app())
    scopes.closeAll()
    expect(closed.map((s) => s.id)).toEqual(['r1', 'app-1:c1:1'])
    expect(scopes.open).toBe(0)
  })
})
