import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compareSessions, formatDiffText } from '../../src/main/report/diff'
import { analyzeSessionFile } from '../../src/main/report/report'
import type { AnalyzedSession, SessionDiff } from '../../src/shared/session-diff'
import { AUDIT, AUDIT_SITE, LOOP_SITE, shopSession, tempDir } from './sessions'

const { dir, cleanup } = tempDir('fop-diff-')
afterAll(cleanup)

/** Before: two N+1 loops over products. After: fixed with one IN query, and a new 300 ms audit query. */
let before: AnalyzedSession
let after: AnalyzedSession
let diff: SessionDiff
beforeAll(async () => {
  before = analyzeSessionFile(await shopSession(dir, 'before'))
  after = analyzeSessionFile(await shopSession(dir, 'after', { fixed: true, audit: true }))
  diff = compareSessions(before, after)
})

const shape = (d: SessionDiff, fingerprint: string) =>
  d.fingerprints.find((change) => change.fingerprint.startsWith(fingerprint))!

describe('compareSessions', () => {
  it('shows the fixed N+1 as a finding that disappeared, matched by kind and shape across requests', () => {
    expect(diff.findings).toHaveLength(1)
    expect(diff.findings[0]).toMatchObject({
      kind: 'n-plus-one',
      change: 'disappeared',
      before: { findings: 2, count: 12, totalMs: 6, severity: 'warning' },
      after: null,
      totalMsDelta: -6,
      callSites: [LOOP_SITE],
    })
    expect(diff.summary.nPlusOne).toEqual({ before: 2, after: 0, delta: -2 })
  })

  it("drops the loop's shape (gone) and counts the query that replaced it (new)", () => {
    const loop = shape(
      diff,
      'SELECT "Product"."id" AS "Product_id", "Product"."name" AS "Product_name" FROM "products" "Product" WHERE (("Product"."id" = ?))',
    )
    expect(loop).toMatchObject({ change: 'gone', countDelta: -12, totalMsDelta: -6, after: null })
    expect(loop.before).toMatchObject({ count: 12, totalMs: 6 })
    const batch = diff.fingerprints.find((change) => change.fingerprint.includes('IN ('))!
    expect(batch).toMatchObject({ change: 'new', countDelta: 2, totalMsDelta: 1.6, before: null })
  })

  it('shows the new slow query: its shape is new and newly slow, and the slow count rises', () => {
    const audit = shape(diff, AUDIT.slice(0, 30))
    expect(audit).toMatchObject({
      change: 'new',
      countDelta: 1,
      totalMsDelta: 300,
      after: { count: 1, slow: 1 },
      callSite: AUDIT_SITE,
    })
    expect(diff.slow).toEqual({
      before: 1,
      after: 2,
      delta: 1,
      newShapes: [audit.id],
      goneShapes: [],
    })
    expect(diff.failed).toMatchObject({
      before: 1,
      after: 1,
      delta: 0,
      newShapes: [],
      goneShapes: [],
    })
  })

  it('sorts shapes by the largest change in time, either way', () => {
    const deltas = diff.fingerprints.map((change) => Math.abs(change.totalMsDelta))
    expect(deltas).toEqual([...deltas].sort((a, b) => b - a))
    expect(diff.fingerprints[0]!.fingerprint).toContain('audit_log')
    expect(diff.fingerprints.at(-1)).toMatchObject({
      change: 'unchanged',
      countDelta: 0,
      totalMsDelta: 0,
    })
  })

  it('gives the summary deltas and leaves health null while sessions carry none', () => {
    expect(diff.summary.queries).toEqual({ before: 16, after: 7, delta: -9 })
    expect(diff.summary.totalQueryMs).toEqual({ before: 258.2, after: 553.8, delta: 295.6 })
    expect(diff.summary.fingerprints).toEqual({ before: 4, after: 5, delta: 1 })
    expect(diff.health).toBeNull()
    expect(diff.settingsDiffer).toBe(false)
  })

  it('finds nothing changed between a session and itself', () => {
    const same = compareSessions(before, before)
    expect(same.fingerprints.every((change) => change.change === 'unchanged')).toBe(true)
    expect(same.findings.map((finding) => finding.change)).toEqual(['persisting'])
    expect(same.findings[0]).toMatchObject({ totalMsDelta: 0, before: same.findings[0]!.after })
  })

  it('shows a finding that appeared when the sessions are given the other way round', () => {
    const reverse = compareSessions(after, before)
    expect(reverse.findings[0]).toMatchObject({
      change: 'appeared',
      before: null,
      after: { findings: 2 },
    })
    expect(reverse.slow.goneShapes).toEqual(diff.slow.newShapes)
  })

  it('carries health through when a session has some', () => {
    const withHealth = compareSessions(before, { ...after, health: { pool: 'ok' } })
    expect(withHealth.health).toEqual({ before: null, after: { pool: 'ok' } })
  })
})

describe('formatDiffText', () => {
  it('prints the totals, the findings that disappeared, the newly slow shape and the shapes that moved', () => {
    const text = formatDiffText(diff).join('\n')
    expect(text).toContain('Before: before (2025-11-26T09:00:00.000Z)')
    expect(text).toContain('Queries 16 → 7 (-9)   Time in queries 258.2 ms → 553.8 ms (+295.6 ms)')
    expect(text).toContain('Failed 1 → 1   Slow 1 → 2 (+1)')
    expect(text).toContain('N+1 2 → 0 (-2)')
    expect(text).toMatch(
      /Findings that disappeared:\n {2}N\+1 read \[\w{12}\]: 2 finding\(s\), 12 queries, 6 ms\n/,
    )
    expect(text).toContain('    at /app/src/orders.ts:31:9 (totals)')
    expect(text).not.toContain('Findings that appeared')
    expect(text).toContain('Slow queries: 1 → 2')
    expect(text).toMatch(/newly slow \[\w{12}\]: SELECT \* FROM audit_log/)
    expect(text).toContain('    at /app/src/audit.ts:12:5 (history)')
    expect(text).toMatch(/ +\+300 +\+1 +new +- → 300 +SELECT \* FROM audit_log/)
    expect(text).toMatch(/ +-6 +-12 +gone +0\.50 → - +SELECT "Product"/)
  })

  it('says when nothing changed', () => {
    const text = formatDiffText(compareSessions(after, after)).join('\n')
    expect(text).toContain('No query shape changed.')
    expect(text).not.toContain('→ 0 (')
  })
})
