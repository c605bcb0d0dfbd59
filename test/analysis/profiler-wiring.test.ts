import { afterEach, describe, expect, it } from 'vitest'
import { Profiler } from '../../src/main/core/profiler'
import type { NewQuery } from '../../src/main/session/live-session'
import type { AnalysisSummary } from '../../src/shared/analysis'

const LOOKUP = 'SELECT * FROM "products" WHERE "id" = ?'

let profiler: Profiler
afterEach(() => profiler?.dispose())

function connect(orm = 'typeorm') {
  return profiler.registerApp({
    type: 'hello',
    protocol: 1,
    app: { name: 'shop' },
    orm: { name: orm },
    'db.system.name': 'sqlite',
  })
}

/** `count` lookups with different ids in one request context. */
function loop(count: number, context = 'r1', start = 1_800_000_000_000): NewQuery[] {
  return Array.from({ length: count }, (_, i) => ({
    appId: '',
    sql: LOOKUP,
    params: [i + 1],
    startTime: start + i,
    durationMs: 0.5,
    context: { id: context, name: 'GET /cart' },
  }))
}

describe('the Profiler runs the analysis as queries arrive', () => {
  it('answers the analysis channels from the live queries', async () => {
    profiler = new Profiler()
    const app = connect()
    profiler.addQueries(app, loop(6))
    const h = profiler.handlers
    expect(await h['analysis.summary']()).toMatchObject({
      queries: 6,
      fingerprints: 1,
      findings: { 'n-plus-one': 1, duplicate: 0, 'write-loop': 0 },
    })
    const [finding] = (await h['analysis.findings']()).findings
    expect(finding!.suggestion).toContain('leftJoinAndSelect')
    const detail = await h['analysis.finding'](finding!.id)
    expect(detail!.queries.map((row) => row.id)).toEqual([1, 2, 3, 4, 5, 6])
    expect(await h['analysis.finding']('no-such-finding')).toBeNull()
    expect((await h['analysis.fingerprints']({ offset: 0, limit: 5 })).rows[0]!.count).toBe(6)
    const window = await h['timeline.window']({
      from: 1_800_000_000_000,
      to: 1_800_000_000_010,
      laneOffset: 0,
      laneLimit: 5,
      maxBars: 100,
    })
    expect(window.bars.map((bar) => bar.finding)).toEqual(Array(6).fill('n-plus-one'))
  })

  it('pushes analysis.changed at most once per throttle interval, with the summary', async () => {
    profiler = new Profiler()
    const app = connect()
    const events: AnalysisSummary[] = []
    profiler.onEvent('analysis.changed', ({ summary }) => events.push(summary))
    for (let batch = 0; batch < 20; batch++) profiler.addQueries(app, loop(3, `r${batch}`))
    expect(events).toEqual([])
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(events).toHaveLength(1)
    expect(events[0]!.queries).toBe(60)
  })

  it('re-runs the analysis over the held queries when a threshold changes', async () => {
    profiler = new Profiler()
    const app = connect()
    profiler.addQueries(app, loop(3))
    const events: AnalysisSummary[] = []
    profiler.onEvent('analysis.changed', ({ summary }) => events.push(summary))
    const h = profiler.handlers
    expect((await h['analysis.summary']()).findings['n-plus-one']).toBe(0)

    const settings = await h['analysis.settings.set']({ nPlusOneThreshold: 3 })
    expect(settings.nPlusOneThreshold).toBe(3)
    expect(settings.slowQueryMs).toBe(100)
    expect(await h['analysis.settings.get']()).toEqual(settings)
    expect((await h['analysis.summary']()).findings['n-plus-one']).toBe(1)
    expect(events.map((summary) => summary.findings['n-plus-one'])).toEqual([1])

    // Setting the same value again changes nothing and pushes nothing.
    await h['analysis.settings.set']({ nPlusOneThreshold: 3 })
    expect(events).toHaveLength(1)
  })

  it('takes thresholds from its options, and forgets the analysis with the session', async () => {
    profiler = new Profiler({ analysis: { slowQueryMs: 0.25 } })
    const app = connect()
    profiler.addQueries(app, loop(2))
    expect((await profiler.handlers['analysis.summary']()).slow).toBe(2)
    await profiler.handlers['session.clear']()
    expect(await profiler.handlers['analysis.summary']()).toMatchObject({
      queries: 0,
      slow: 0,
      fingerprints: 0,
    })
  })
})
