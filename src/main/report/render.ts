/**
 * One entry for every format: `renderReport` yields the report as lines (chunks without
 * their line break), so a caller can print or write a session of any size without building
 * one string of it; `renderReportString` joins them for small reports and tests.
 */
import type { ReportFormat, ReportOptions } from './options'
import { reportDocument, type Report } from './report'
import { renderHtmlReport } from './render-html'
import { renderMarkdownReport } from './render-markdown'
import { renderTextReport } from './render-text'

export function renderReport(
  report: Report,
  format: ReportFormat,
  options: ReportOptions,
): Iterable<string> {
  switch (format) {
    case 'text':
      return renderTextReport(report, options)
    case 'markdown':
      return renderMarkdownReport(report, options)
    case 'html':
      return renderHtmlReport(report, options)
    case 'json':
      return renderJson(reportDocument(report, options))
  }
}

export function renderReportString(
  report: Report,
  format: ReportFormat,
  options: ReportOptions,
): string {
  return [...renderReport(report, format, options)].join('\n') + '\n'
}

/**
 * `JSON.stringify(document, null, 2)`, the same text, with its top-level arrays written an
 * element at a time: a million queries would otherwise make one string past V8's limit.
 */
export function* renderJson(document: object): Generator<string> {
  const entries = Object.entries(document).filter(([, value]) => value !== undefined)
  if (entries.length === 0) {
    yield '{}'
    return
  }
  yield '{'
  for (const [index, [key, value]] of entries.entries()) {
    const comma = index < entries.length - 1 ? ',' : ''
    if (Array.isArray(value) && value.length > 0) {
      yield `  ${JSON.stringify(key)}: [`
      for (let i = 0; i < value.length; i++) {
        yield `    ${indent(JSON.stringify(value[i] ?? null, null, 2), '    ')}${i < value.length - 1 ? ',' : ''}`
      }
      yield `  ]${comma}`
    } else {
      yield `  ${JSON.stringify(key)}: ${indent(JSON.stringify(value, null, 2), '  ')}${comma}`
    }
  }
  yield '}'
}

/** JSON text never holds a raw line break inside a string, so every `\n` is between values. */
function indent(json: string, by: string): string {
  return json.replace(/\n/g, `\n${by}`)
}
