/**
 * `fastorm-profiler check`: a session judged against limits, for a test suite to run after
 * recording. A limit left out is not checked. Each checked limit reports what it counted
 * and, when over, its top offenders grouped by query shape with their call sites — what a
 * developer needs to find the code from a CI log.
 */
import type { FindingKind } from '../../shared/analysis'
import type { StackFrame } from '../../shared/domain'
import type { AnalyzedSession } from '../../shared/session-diff'
import { callSiteWords, errorWords, formatNumber, KIND_TITLE, oneLine } from './wording'

export const CHECK_LIMITS = ['n-plus-one', 'duplicates', 'slow', 'failed'] as const
export type CheckLimit = (typeof CHECK_LIMITS)[number]

/** The most allowed of each; an absent limit is not checked. */
export type CheckLimits = Partial<Record<CheckLimit, number>>

/** One query shape among the offenders of a limit. */
export interface CheckOffender {
  fingerprintId: string
  sql: string
  /** Findings (for the findings limits) or queries (slow, failed) of this shape. */
  count: number
  /** Queries in those findings; the slow or failed queries themselves otherwise. */
  queries: number
  /** Time of those queries (for findings, the union of each finding's queries). */
  totalMs: number
  /** The first error message (failed queries). */
  error?: string
  callSites: StackFrame[]
}

export interface CheckOutcome {
  limit: CheckLimit
  /** The CLI flag that sets it. */
  flag: string
  max: number
  measured: number
  over: boolean
  /** The shapes that count most, worst first (at most OFFENDERS); empty when within. */
  offenders: CheckOffender[]
}

export interface CheckResult {
  /** True when every checked limit is kept. */
  passed: boolean
  /** The checked limits, in CHECK_LIMITS order. */
  outcomes: CheckOutcome[]
  /** Every count, checked or not, so a run without limits still says what it found. */
  measured: Record<CheckLimit, number>
}

const OFFENDERS = 5
const CALL_SITES = 3

export const CHECK_FLAGS = {
  'n-plus-one': 'max-n-plus-one',
  duplicates: 'max-duplicates',
  slow: 'max-slow',
  failed: 'max-failed',
} as const satisfies Record<CheckLimit, string>

const NOUNS: Record<CheckLimit, [string, string]> = {
  'n-plus-one': ['N+1 finding', 'N+1 findings'],
  duplicates: ['duplicate-query finding', 'duplicate-query findings'],
  slow: ['slow query', 'slow queries'],
  failed: ['failed query', 'failed queries'],
}

export function checkSession(session: AnalyzedSession, limits: CheckLimits): CheckResult {
  const { summary } = session
  const measured: Record<CheckLimit, number> = {
    'n-plus-one': summary.findings.nPlusOne,
    duplicates: summary.findings.duplicates,
    slow: summary.slow,
    failed: summary.failed,
  }
  const outcomes: CheckOutcome[] = []
  for (const limit of CHECK_LIMITS) {
    const max = limits[limit]
    if (max === undefined) continue
    const over = measured[limit] > max
    outcomes.push({
      limit,
      flag: `--${CHECK_FLAGS[limit]}`,
      max,
      measured: measured[limit],
      over,
      offenders: over ? offenders(session, limit) : [],
    })
  }
  return { passed: outcomes.every((outcome) => !outcome.over), outcomes, measured }
}

function offenders(session: AnalyzedSession, limit: CheckLimit): CheckOffender[] {
  const byShape = new Map<string, CheckOffender>()
  const shape = (fingerprintId: string, sql: string): CheckOffender => {
    let offender = byShape.get(fingerprintId)
    if (offender === undefined) {
      offender = { fingerprintId, sql, count: 0, queries: 0, totalMs: 0, callSites: [] }
      byShape.set(fingerprintId, offender)
    }
    return offender
  }
  const addSites = (offender: CheckOffender, frames: readonly StackFrame[]) => {
    for (const frame of frames) {
      if (offender.callSites.length >= CALL_SITES) return
      const place = callSiteWords(frame)
      if (!offender.callSites.some((known) => callSiteWords(known) === place)) {
        offender.callSites.push(frame)
      }
    }
  }

  if (limit === 'n-plus-one' || limit === 'duplicates') {
    const kind: FindingKind = limit === 'n-plus-one' ? 'n-plus-one' : 'duplicate'
    for (const finding of session.findings) {
      if (finding.kind !== kind) continue
      const offender = shape(finding.fingerprintId, finding.fingerprint)
      offender.count++
      offender.queries += finding.count
      offender.totalMs += finding.totalMs
      addSites(offender, finding.callSites)
    }
  } else if (limit === 'slow') {
    for (const query of session.slowQueries) {
      const offender = shape(query.fingerprintId, query.sql)
      offender.count++
      offender.queries++
      offender.totalMs += query.durationMs
      addSites(offender, query.callSite ? [query.callSite] : [])
    }
  } else {
    for (const query of session.failedQueries) {
      const offender = shape(query.fingerprintId, query.sql)
      offender.count++
      offender.queries++
      offender.totalMs += query.durationMs
      offender.error ??= errorWords(query.error)
      addSites(offender, query.callSite ? [query.callSite] : [])
    }
  }
  return [...byShape.values()]
    .map((offender) => ({ ...offender, totalMs: Math.round(offender.totalMs * 1000) / 1000 }))
    .sort((a, b) => b.count - a.count || b.totalMs - a.totalMs)
    .slice(0, OFFENDERS)
}

/** What `check` prints: one line per limit, the offenders under each one over. */
export function formatCheckResult(result: CheckResult, file: string): string[] {
  const lines: string[] = []
  const noun = (limit: CheckLimit, count: number) => NOUNS[limit][count === 1 ? 0 : 1]
  if (result.outcomes.length === 0) {
    lines.push(`${file}: no limits given, nothing checked.`)
  } else {
    const over = result.outcomes.filter((outcome) => outcome.over).length
    lines.push(
      over === 0
        ? `${file}: within all ${result.outcomes.length} limit(s).`
        : `${file}: ${over} of ${result.outcomes.length} limit(s) exceeded.`,
    )
  }
  for (const outcome of result.outcomes) {
    const counted = `${outcome.measured} ${noun(outcome.limit, outcome.measured)}`
    lines.push(
      outcome.over
        ? `OVER ${outcome.limit}: ${counted}, limit ${outcome.max} (${outcome.flag})`
        : `ok   ${outcome.limit}: ${counted}, limit ${outcome.max}`,
    )
    for (const offender of outcome.offenders) lines.push(...offenderLines(outcome.limit, offender))
  }
  const unchecked = (Object.keys(result.measured) as CheckLimit[]).filter(
    (limit) => !result.outcomes.some((outcome) => outcome.limit === limit),
  )
  if (unchecked.length > 0) {
    lines.push(
      `not checked: ${unchecked.map((limit) => `${result.measured[limit]} ${noun(limit, result.measured[limit])}`).join(', ')}`,
    )
  }
  return lines
}

function offenderLines(limit: CheckLimit, offender: CheckOffender): string[] {
  const time = `${formatNumber(offender.totalMs)} ms`
  let head: string
  if (limit === 'n-plus-one' || limit === 'duplicates') {
    const title = KIND_TITLE[limit === 'n-plus-one' ? 'n-plus-one' : 'duplicate']
    const found = offender.count === 1 ? '1 finding' : `${offender.count} findings`
    head = `${title}: ${found}, ${offender.queries} queries, ${time}`
  } else if (limit === 'slow') {
    head = `${offender.count} slow, ${time} in all`
  } else {
    head = `${offender.count} failed: ${oneLine(offender.error ?? '', 160)}`
  }
  return [
    `  ${head}`,
    `    ${oneLine(offender.sql)}`,
    ...offender.callSites.map((frame) => `    at ${callSiteWords(frame)}`),
  ]
}
