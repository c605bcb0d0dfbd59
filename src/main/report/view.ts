/**
 * What a human-readable report shows of a built report: the chosen sections and the lists
 * cut to the kind's lengths (the summary kind shows the slowest slow queries first; the
 * detailed one every list whole, in the report's order). Text, Markdown and HTML all render
 * from this, so they always show the same items.
 */
import type {
  FailedQuery,
  Finding,
  FingerprintStats,
  RecurringInsight,
  SlowQuery,
} from '../../shared/analysis'
import {
  REPORT_KIND_DEFINITIONS,
  type ReportLimits,
  type ReportOptions,
  type ReportSection,
} from './options'
import type { Report } from './report'

export interface ReportView {
  report: Report
  options: ReportOptions
  limits: ReportLimits
  has: (section: ReportSection) => boolean
  findings: Finding[]
  insights: RecurringInsight[]
  fingerprints: FingerprintStats[]
  slowQueries: SlowQuery[]
  failedQueries: FailedQuery[]
  appNames: Map<string, string>
}

export function reportView(report: Report, options: ReportOptions): ReportView {
  const limits = REPORT_KIND_DEFINITIONS[options.kind].limits
  const sections = new Set(options.sections)
  const slowQueries =
    options.kind === 'summary'
      ? [...report.slowQueries].sort((a, b) => b.durationMs - a.durationMs)
      : report.slowQueries
  return {
    report,
    options,
    limits,
    has: (section) => sections.has(section),
    findings: report.findings.slice(0, limits.findings),
    insights: report.insights.slice(0, limits.insights),
    fingerprints: report.fingerprints.slice(0, limits.fingerprints),
    slowQueries: slowQueries.slice(0, limits.slow),
    failedQueries: report.failedQueries.slice(0, limits.failed),
    appNames: new Map(report.apps.map((app) => [app.id, app.name])),
  }
}

/** An app's name, or its id when the session does not list it. */
export function appName(view: ReportView, appId: string): string {
  return view.appNames.get(appId) ?? appId
}
