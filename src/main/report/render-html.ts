/**
 * The HTML report: one self-contained file — inline CSS, no script, no request to anywhere
 * (its Content-Security-Policy forbids all of them, a second line of defence behind the
 * escaping) — that opens in any browser and can be mailed or attached to a ticket.
 * Every value from the session passes through `escapeHtml`; markup comes only from here.
 */
import type { StackFrame } from '../../shared/domain'
import { escapeHtml as e } from './escape'
import { SECTION_TITLES, type ReportOptions } from './options'
import type { Report } from './report'
import {
  appsTable,
  failedTable,
  fingerprintsTable,
  queriesTable,
  slowTable,
  summaryTotals,
  type Cell,
  type ReportTable,
} from './tables'
import { appName, reportView, type ReportView } from './view'
import { callSiteWords, cutWords, isoTime, KIND_TITLE, redactionWords, scopeWords } from './wording'

const STYLE = `
:root { color-scheme: light dark; --fg: #1d2330; --muted: #5d6675; --line: #d9dde4; --bg: #fff;
  --code: #f4f6f9; --warning: #a66300; --error: #c4271c; --critical: #8f1239; }
@media (prefers-color-scheme: dark) { :root { --fg: #e3e7ee; --muted: #9aa3b2; --line: #343b48;
  --bg: #151920; --code: #1f252f; --warning: #e7a23b; --error: #f26d60; --critical: #ff6b9a; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 24px; font: 14px/1.45 system-ui, sans-serif;
  color: var(--fg); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 8px;
  border-bottom: 1px solid var(--line); padding-bottom: 4px; } h3 { font-size: 15px; margin: 0; }
nav a { margin-right: 12px; } .muted { color: var(--muted); }
code, pre { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: var(--code); padding: 8px 10px; border-radius: 4px; white-space: pre-wrap;
  word-break: break-word; margin: 6px 0; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; vertical-align: top;
  padding: 4px 8px; border-bottom: 1px solid var(--line); } th { color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.sql { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px;
  word-break: break-word; }
dl.totals { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 0; }
dl.totals dt { color: var(--muted); } dl.totals dd { margin: 0; }
article.finding { border: 1px solid var(--line); border-left-width: 4px; border-radius: 4px;
  padding: 10px 12px; margin: 10px 0; }
.sev { font-weight: 700; font-size: 12px; letter-spacing: .04em; }
.sev-warning { border-left-color: var(--warning); } .sev-warning .sev { color: var(--warning); }
.sev-error { border-left-color: var(--error); } .sev-error .sev { color: var(--error); }
.sev-critical { border-left-color: var(--critical); } .sev-critical .sev { color: var(--critical); }
ul.sites { margin: 4px 0; padding-left: 18px; } .failed { color: var(--error); }
`

/** No script, no style or image from elsewhere, no form, no frame: only the inline CSS. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

export function* renderHtmlReport(report: Report, options: ReportOptions): Generator<string> {
  const view = reportView(report, options)
  const { session } = report
  const title = `FastORM Profiler report — session ${session.name ?? session.id}`
  yield '<!doctype html>'
  yield '<html lang="en">'
  yield '<head>'
  yield '<meta charset="utf-8">'
  yield `<meta http-equiv="Content-Security-Policy" content="${CSP}">`
  yield '<meta name="viewport" content="width=device-width, initial-scale=1">'
  yield '<meta name="generator" content="FastORM Profiler">'
  yield `<title>${e(title)}</title>`
  yield `<style>${STYLE}</style>`
  yield '</head>'
  yield '<body>'
  yield '<header>'
  yield `<h1>${e(title)}</h1>`
  yield `<p class="muted">Recorded ${isoTime(session.startedAt)} – ${isoTime(session.endedAt)} · ${options.kind} report</p>`
  const redaction = redactionWords(report)
  if (redaction) yield `<p>${e(redaction)}</p>`
  yield `<nav>${options.sections.map((section) => `<a href="#${section}">${SECTION_TITLES[section]}</a>`).join('')}</nav>`
  yield '</header>'
  if (view.has('summary')) yield* summary(view)
  if (view.has('apps')) yield* apps(view)
  if (view.has('findings')) yield* findings(view)
  if (view.has('fingerprints')) yield* fingerprints(view)
  if (view.has('slow')) yield* slow(view)
  if (view.has('failed')) yield* failed(view)
  if (view.has('queries')) yield* queries(view)
  yield '</body>'
  yield '</html>'
}

function* section(id: string, title: string): Generator<string> {
  yield `<section id="${id}">`
  yield `<h2>${e(title)}</h2>`
}

/** A table row; cells are markup already escaped by the caller. */
function row(cells: string[], numeric: number[] = [], header = false): string {
  const tag = header ? 'th' : 'td'
  return `<tr>${cells.map((cell, i) => `<${tag}${numeric.includes(i) ? ' class="num"' : ''}>${cell}</${tag}>`).join('')}</tr>`
}

function* table({ head, numeric, rows }: ReportTable): Generator<string> {
  yield '<table>'
  yield row(head.map(e), numeric, true)
  for (const cells of rows) yield row(cells.map(cellMarkup), numeric)
  yield '</table>'
}

/** Every cell is escaped; SQL is whole (the browser wraps it). */
function cellMarkup(cell: Cell): string {
  if (typeof cell === 'string') return e(cell)
  const text = e(cell.text)
  if (cell.kind === 'sql') return `<span class="sql">${text}</span>`
  if (cell.kind === 'failed') return `<span class="failed">${text}</span>`
  return `<code>${text}</code>`
}

function* summary({ report }: ReportView): Generator<string> {
  yield* section('summary', 'Summary')
  yield '<dl class="totals">'
  for (const [name, value] of summaryTotals(report)) yield `<dt>${e(name)}</dt><dd>${e(value)}</dd>`
  yield '</dl>'
  yield '</section>'
}

function* apps({ report }: ReportView): Generator<string> {
  yield* section('apps', 'Apps')
  if (report.apps.length === 0) yield '<p class="muted">No app sent queries.</p>'
  else yield* table(appsTable(report.apps))
  yield '</section>'
}

function* findings(view: ReportView): Generator<string> {
  const { report, limits } = view
  yield* section('findings', `Findings${cutWords(view.findings.length, report.findings.length)}`)
  if (view.findings.length === 0) {
    yield '<p class="muted">No N+1 reads, duplicate queries or write loops.</p>'
  }
  for (const finding of view.findings) {
    yield `<article class="finding sev-${e(finding.severity)}">`
    yield `<h3><span class="sev">${e(finding.severity.toUpperCase())}</span> ${e(KIND_TITLE[finding.kind])} ×${finding.count} ${e(scopeWords(finding.scope))}</h3>`
    yield `<p class="muted">${e(String(finding.totalMs))} ms in ${e(appName(view, finding.scope.appId))} · shape <code>${e(finding.fingerprintId)}</code></p>`
    yield `<pre><code>${e(finding.fingerprint)}</code></pre>`
    if (finding.sourceSql !== undefined) {
      yield `<p>After query #${e(String(finding.sourceQueryId))}:</p>`
      yield `<pre><code>${e(finding.sourceSql)}</code></pre>`
    }
    yield* callSites(finding.callSites, limits.callSites)
    yield `<p><strong>Fix:</strong> ${e(finding.suggestion)}</p>`
    yield '</article>'
  }
  if (view.insights.length > 0) {
    yield `<h3>Recurring small N+1s${e(cutWords(view.insights.length, report.insights.length))}</h3>`
    yield '<p class="muted">Under the threshold, but in many contexts.</p>'
    for (const insight of view.insights) {
      yield '<article class="finding">'
      yield `<p>${insight.contexts} contexts, ~${e(String(insight.medianRepeats))} queries each, ${e(String(insight.totalMs))} ms in all</p>`
      yield `<pre><code>${e(insight.fingerprint)}</code></pre>`
      yield* callSites(insight.callSites, limits.callSites)
      yield `<p><strong>Fix:</strong> ${e(insight.suggestion)}</p>`
      yield '</article>'
    }
  }
  yield '</section>'
}

function* callSites(frames: StackFrame[], max: number): Generator<string> {
  if (frames.length === 0) return
  yield '<ul class="sites">'
  for (const frame of frames.slice(0, max))
    yield `<li>at <code>${e(callSiteWords(frame))}</code></li>`
  yield '</ul>'
}

function* fingerprints(view: ReportView): Generator<string> {
  const { report } = view
  yield* section(
    'fingerprints',
    `Query shapes by total time${cutWords(view.fingerprints.length, report.fingerprints.length)}`,
  )
  if (view.fingerprints.length === 0) yield '<p class="muted">No queries.</p>'
  else yield* table(fingerprintsTable(view))
  yield '</section>'
}

function* slow(view: ReportView): Generator<string> {
  const { report } = view
  const order = view.options.kind === 'summary' ? ', slowest first' : ''
  yield* section('slow', `Slow queries${cutWords(view.slowQueries.length, report.summary.slow)}`)
  yield `<p class="muted">Over ${e(String(report.settings.slowQueryMs))} ms, or far above their shape's p95${order}.</p>`
  if (view.slowQueries.length > 0) yield* table(slowTable(view))
  yield '</section>'
}

function* failed(view: ReportView): Generator<string> {
  const { report } = view
  yield* section(
    'failed',
    `Failed queries${cutWords(view.failedQueries.length, report.summary.failed)}`,
  )
  if (view.failedQueries.length === 0) yield '<p class="muted">No query failed.</p>'
  else yield* table(failedTable(view))
  yield '</section>'
}

function* queries(view: ReportView): Generator<string> {
  yield* section('queries', 'Queries')
  if (view.report.queries.length === 0) yield '<p class="muted">No queries.</p>'
  else yield* table(queriesTable(view))
  yield '</section>'
}
