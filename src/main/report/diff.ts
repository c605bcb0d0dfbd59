/**
 * `fastorm-profiler diff A B` and, later, the UI's compare view: two analyzed sessions
 * side by side. Query shapes are matched by fingerprint id (the same normalised SQL has the
 * same id in every session); findings by kind and fingerprint id, all scopes of a side
 * together, since two recordings never share their requests. Pure: the same two sessions
 * always give the same diff.
 */
import type { Finding, FingerprintStats, Severity } from '../../shared/analysis'
import type {
  AnalyzedSession,
  Delta,
  FindingChange,
  FindingFigures,
  FingerprintChange,
  ProblemChange,
  SessionDiff,
  ShapeFigures,
} from '../../shared/session-diff'
import {
  callSiteWords,
  formatDelta,
  formatNumber,
  isoTime,
  KIND_TITLE,
  flat,
  oneLine,
} from './wording'

export function compareSessions(a: AnalyzedSession, b: AnalyzedSession): SessionDiff {
  return {
    format: 'fastorm-profiler-diff',
    version: 1,
    before: a.session,
    after: b.session,
    settingsDiffer: JSON.stringify(a.settings) !== JSON.stringify(b.settings),
    summary: {
      queries: delta(a.summary.queries, b.summary.queries),
      failed: delta(a.summary.failed, b.summary.failed),
      slow: delta(a.summary.slow, b.summary.slow),
      totalQueryMs: delta(a.summary.totalQueryMs, b.summary.totalQueryMs),
      maxQueryMs: delta(a.summary.maxQueryMs, b.summary.maxQueryMs),
      contexts: delta(a.summary.contexts, b.summary.contexts),
      fingerprints: delta(a.summary.fingerprints, b.summary.fingerprints),
      nPlusOne: delta(a.summary.findings.nPlusOne, b.summary.findings.nPlusOne),
      duplicates: delta(a.summary.findings.duplicates, b.summary.findings.duplicates),
      writeLoops: delta(a.summary.findings.writeLoops, b.summary.findings.writeLoops),
      insights: delta(a.summary.insights, b.summary.insights),
    },
    fingerprints: compareShapes(a, b),
    findings: compareFindings(a.findings, b.findings),
    slow: problems(a.summary.slow, b.summary.slow, a.slowQueries, b.slowQueries),
    failed: problems(a.summary.failed, b.summary.failed, a.failedQueries, b.failedQueries),
    health: a.health === null && b.health === null ? null : { before: a.health, after: b.health },
  }
}

function delta(before: number, after: number): Delta {
  return { before, after, delta: round(after - before) }
}

function compareShapes(a: AnalyzedSession, b: AnalyzedSession): FingerprintChange[] {
  const slowA = countBy(a.slowQueries)
  const slowB = countBy(b.slowQueries)
  const before = new Map(a.fingerprints.map((stats) => [stats.id, stats]))
  const after = new Map(b.fingerprints.map((stats) => [stats.id, stats]))
  const changes: FingerprintChange[] = []
  for (const id of new Set([...before.keys(), ...after.keys()])) {
    const was = before.get(id)
    const is = after.get(id)
    const known = (is ?? was)!
    const figuresBefore = was ? figures(was, slowA.get(id) ?? 0) : null
    const figuresAfter = is ? figures(is, slowB.get(id) ?? 0) : null
    const countDelta = (is?.count ?? 0) - (was?.count ?? 0)
    const totalMsDelta = round((is?.totalMs ?? 0) - (was?.totalMs ?? 0))
    changes.push({
      id,
      fingerprint: known.fingerprint,
      statement: known.statement,
      change: !was
        ? 'new'
        : !is
          ? 'gone'
          : JSON.stringify(figuresBefore) === JSON.stringify(figuresAfter)
            ? 'unchanged'
            : 'changed',
      before: figuresBefore,
      after: figuresAfter,
      countDelta,
      totalMsDelta,
      callSite: is?.callSite ?? was?.callSite,
    })
  }
  return changes.sort(
    (x, y) =>
      Math.abs(y.totalMsDelta) - Math.abs(x.totalMsDelta) ||
      Math.abs(y.countDelta) - Math.abs(x.countDelta) ||
      (x.id < y.id ? -1 : x.id > y.id ? 1 : 0),
  )
}

function figures(stats: FingerprintStats, slow: number): ShapeFigures {
  const { count, totalMs, p50Ms, p95Ms, maxMs, errors } = stats
  return { count, totalMs, p50Ms, p95Ms, maxMs, errors, slow }
}

const SEVERITY_RANK: Record<Severity, number> = { warning: 0, error: 1, critical: 2 }

interface FindingGroup {
  figures: FindingFigures
  sample: Finding
}

function groupFindings(findings: readonly Finding[]): Map<string, FindingGroup> {
  const groups = new Map<string, FindingGroup>()
  for (const finding of findings) {
    const key = `${finding.kind}:${finding.fingerprintId}`
    const group = groups.get(key)
    if (group === undefined) {
      groups.set(key, {
        figures: {
          findings: 1,
          count: finding.count,
          totalMs: finding.totalMs,
          severity: finding.severity,
        },
        sample: finding,
      })
      continue
    }
    const { figures } = group
    figures.findings++
    figures.count += finding.count
    figures.totalMs = round(figures.totalMs + finding.totalMs)
    if (SEVERITY_RANK[finding.severity] > SEVERITY_RANK[figures.severity]) {
      figures.severity = finding.severity
    }
  }
  return groups
}

function compareFindings(a: readonly Finding[], b: readonly Finding[]): FindingChange[] {
  const before = groupFindings(a)
  const after = groupFindings(b)
  const changes: FindingChange[] = []
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const was = before.get(key)
    const is = after.get(key)
    const sample = (is ?? was)!.sample
    changes.push({
      kind: sample.kind,
      fingerprintId: sample.fingerprintId,
      fingerprint: sample.fingerprint,
      change: !was ? 'appeared' : !is ? 'disappeared' : 'persisting',
      before: was?.figures ?? null,
      after: is?.figures ?? null,
      totalMsDelta: round((is?.figures.totalMs ?? 0) - (was?.figures.totalMs ?? 0)),
      callSites: sample.callSites,
      suggestion: sample.suggestion,
    })
  }
  return changes.sort(
    (x, y) =>
      Math.abs(y.totalMsDelta) - Math.abs(x.totalMsDelta) ||
      (x.fingerprintId < y.fingerprintId ? -1 : x.fingerprintId > y.fingerprintId ? 1 : 0) ||
      (x.kind < y.kind ? -1 : x.kind > y.kind ? 1 : 0),
  )
}

function problems(
  before: number,
  after: number,
  listedBefore: readonly { fingerprintId: string }[],
  listedAfter: readonly { fingerprintId: string }[],
): ProblemChange {
  const shapesBefore = new Set(listedBefore.map((query) => query.fingerprintId))
  const shapesAfter = new Set(listedAfter.map((query) => query.fingerprintId))
  return {
    ...delta(before, after),
    newShapes: [...shapesAfter].filter((id) => !shapesBefore.has(id)).sort(),
    goneShapes: [...shapesBefore].filter((id) => !shapesAfter.has(id)).sort(),
  }
}

function countBy(queries: readonly { fingerprintId: string }[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const query of queries)
    counts.set(query.fingerprintId, (counts.get(query.fingerprintId) ?? 0) + 1)
  return counts
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}

// --- The text `diff` prints ------------------------------------------------------------

/** Shapes listed in the text diff (the JSON has them all). */
const TEXT_SHAPES = 20

export function formatDiffText(diff: SessionDiff): string[] {
  const { summary } = diff
  const name = (session: SessionDiff['before']) =>
    `${flat(session.name ?? session.id)} (${isoTime(session.startedAt)})`
  const change = (label: string, d: Delta, unit = '') =>
    `${label} ${formatNumber(d.before)}${unit} → ${formatNumber(d.after)}${unit}` +
    (d.delta === 0 ? '' : ` (${formatDelta(d.delta)}${unit})`)

  const lines = [`Before: ${name(diff.before)}`, `After:  ${name(diff.after)}`]
  if (diff.settingsDiffer)
    lines.push('Note: the two sessions were analysed with different thresholds.')
  lines.push(
    '',
    [
      change('Queries', summary.queries),
      change('Time in queries', summary.totalQueryMs, ' ms'),
      change('Slowest', summary.maxQueryMs, ' ms'),
    ].join('   '),
    [
      change('Failed', summary.failed),
      change('Slow', summary.slow),
      change('Shapes', summary.fingerprints),
      change('Contexts', summary.contexts),
    ].join('   '),
    [
      change('N+1', summary.nPlusOne),
      change('Duplicates', summary.duplicates),
      change('Write loops', summary.writeLoops),
      change('Recurring insights', summary.insights),
    ].join('   '),
  )

  const findingGroups: [string, FindingChange['change']][] = [
    ['Findings that appeared', 'appeared'],
    ['Findings that disappeared', 'disappeared'],
    ['Findings in both', 'persisting'],
  ]
  for (const [title, kind] of findingGroups) {
    const changes = diff.findings.filter((finding) => finding.change === kind)
    if (changes.length === 0) continue
    lines.push('', `${title}:`)
    for (const finding of changes) {
      const side = (figures: FindingFigures | null) =>
        figures
          ? `${figures.findings} finding(s), ${figures.count} queries, ${figures.totalMs} ms`
          : 'none'
      const figures =
        kind === 'persisting'
          ? `${side(finding.before)} → ${side(finding.after)}`
          : side(finding.after ?? finding.before)
      lines.push(
        `  ${KIND_TITLE[finding.kind]} [${finding.fingerprintId}]: ${figures}`,
        `    ${oneLine(finding.fingerprint)}`,
        ...finding.callSites.slice(0, 2).map((frame) => `    at ${callSiteWords(frame)}`),
      )
    }
  }
  if (diff.findings.length === 0) lines.push('', 'No findings in either session.')

  const shapesById = new Map(diff.fingerprints.map((shape) => [shape.id, shape]))
  for (const [title, problem] of [
    ['Slow', diff.slow],
    ['Failed', diff.failed],
  ] as const) {
    if (problem.newShapes.length === 0 && problem.goneShapes.length === 0) continue
    const shapes = (ids: string[]) =>
      ids.map((id) => shapesById.get(id)).filter((shape) => shape !== undefined)
    lines.push(
      '',
      `${title} queries: ${formatNumber(problem.before)} → ${formatNumber(problem.after)}`,
    )
    for (const shape of shapes(problem.newShapes)) {
      lines.push(`  newly ${title.toLowerCase()} [${shape.id}]: ${oneLine(shape.fingerprint, 160)}`)
      if (shape.callSite) lines.push(`    at ${callSiteWords(shape.callSite)}`)
    }
    for (const shape of shapes(problem.goneShapes)) {
      lines.push(
        `  no longer ${title.toLowerCase()} [${shape.id}]: ${oneLine(shape.fingerprint, 160)}`,
      )
    }
  }

  const moved = diff.fingerprints.filter((shape) => shape.change !== 'unchanged')
  if (moved.length > 0) {
    const shown = moved.slice(0, TEXT_SHAPES)
    lines.push(
      '',
      `Query shapes by time change${moved.length > shown.length ? ` (top ${shown.length} of ${moved.length})` : ''}:`,
      `  ${'Δ ms'.padStart(10)} ${'Δ count'.padStart(8)} ${'count'.padStart(15)} ${'p95 ms'.padStart(19)}  shape`,
    )
    for (const shape of shown) {
      const counts =
        shape.change === 'new'
          ? 'new'
          : shape.change === 'gone'
            ? 'gone'
            : `${shape.before!.count} → ${shape.after!.count}`
      const p95 = `${shape.before ? formatNumber(shape.before.p95Ms) : '-'} → ${shape.after ? formatNumber(shape.after.p95Ms) : '-'}`
      lines.push(
        `  ${formatDelta(shape.totalMsDelta).padStart(10)} ${formatDelta(shape.countDelta).padStart(8)} ${counts.padStart(15)} ${p95.padStart(19)}  ${oneLine(shape.fingerprint, 120)}`,
      )
    }
  } else {
    lines.push('', 'No query shape changed.')
  }
  if (diff.health !== null)
    lines.push('', 'Health: see --format json (health checks are not compared yet).')
  return lines
}
