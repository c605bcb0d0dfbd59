/**
 * What a report holds and how it is written: its kind (a summary or every detail), its
 * sections, its format. Plain constants and types without Node imports, so the export
 * dialog can offer the same choices the CLI's `report` takes.
 */

export const REPORT_FORMATS = ['text', 'markdown', 'json', 'html'] as const
export type ReportFormat = (typeof REPORT_FORMATS)[number]

export const REPORT_KINDS = ['summary', 'detailed'] as const
export type ReportKind = (typeof REPORT_KINDS)[number]

/** In the order a report shows them. */
export const REPORT_SECTIONS = [
  'summary',
  'apps',
  'findings',
  'fingerprints',
  'slow',
  'failed',
  'queries',
] as const
export type ReportSection = (typeof REPORT_SECTIONS)[number]

export const SECTION_TITLES: Record<ReportSection, string> = {
  summary: 'Summary',
  apps: 'Apps',
  findings: 'Findings',
  fingerprints: 'Query shapes',
  slow: 'Slow queries',
  failed: 'Failed queries',
  queries: 'Queries',
}

/**
 * How long the lists of each kind are in the text, Markdown and HTML reports (the JSON
 * report always holds whole lists: it is read by programs, which can cut it themselves).
 */
export interface ReportLimits {
  findings: number
  insights: number
  fingerprints: number
  slow: number
  failed: number
  /** Call sites shown per finding. */
  callSites: number
}

export interface KindDefinition {
  /** The sections shown when none are chosen. */
  sections: readonly ReportSection[]
  limits: ReportLimits
}

export const REPORT_KIND_DEFINITIONS: Record<ReportKind, KindDefinition> = {
  // What to read first: the totals and the worst of each list, no single queries.
  summary: {
    sections: ['summary', 'findings', 'fingerprints', 'slow', 'failed'],
    limits: { findings: 10, insights: 5, fingerprints: 10, slow: 10, failed: 10, callSites: 1 },
  },
  // Everything the session holds, every query with its parameters.
  detailed: {
    sections: REPORT_SECTIONS,
    limits: {
      findings: Infinity,
      insights: Infinity,
      fingerprints: Infinity,
      slow: Infinity,
      failed: Infinity,
      callSites: 3,
    },
  },
}

export interface ReportOptions {
  kind: ReportKind
  /** Shown in REPORT_SECTIONS order whatever the order given. */
  sections: readonly ReportSection[]
}

/** The kind's own sections unless some are chosen; always in report order. */
export function reportOptions(
  kind: ReportKind = 'detailed',
  sections?: readonly ReportSection[],
): ReportOptions {
  const chosen = new Set(sections ?? REPORT_KIND_DEFINITIONS[kind].sections)
  return { kind, sections: REPORT_SECTIONS.filter((section) => chosen.has(section)) }
}

/**
 * Parses `a,b,c` into sections; throws an Error naming the first unknown one. Duplicates
 * and spaces are allowed.
 */
export function parseSections(list: string): ReportSection[] {
  const names = list
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '')
  if (names.length === 0)
    throw new Error(`no sections given; choose from ${REPORT_SECTIONS.join(', ')}`)
  for (const name of names) {
    if (!(REPORT_SECTIONS as readonly string[]).includes(name)) {
      throw new Error(`unknown section "${name}"; choose from ${REPORT_SECTIONS.join(', ')}`)
    }
  }
  return names as ReportSection[]
}
