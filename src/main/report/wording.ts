/**
 * The words and number formats every human-readable report shares (text, Markdown, HTML,
 * the `check` and `diff` outputs), so the same finding reads the same everywhere. Each
 * returns plain text; escaping for Markdown or HTML is the renderer's job.
 */
import type { Finding, FindingKind } from '../../shared/analysis'
import type { Report } from './report'
import type { StackFrame } from '../../shared/domain'
import { formatFrame } from '../analysis/call-sites'

export const KIND_TITLE: Record<FindingKind, string> = {
  'n-plus-one': 'N+1 read',
  duplicate: 'Duplicate query',
  'write-loop': 'Write loop',
}

/**
 * Text from the session (SQL, names, messages) on one line, without control characters: a
 * terminal would act on an escape sequence in an error message, and a newline in a name
 * would forge a line of the report.
 */
export function flat(text: string): string {
  return text.replace(/\s+/g, ' ').replace(CONTROL, '\ufffd').trim()
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g

/** `in "GET /orders" (ctx-1)` for a context, `on app:conn:3` for a burst. */
export function scopeWords(scope: Finding['scope']): string {
  const named = scope.name ? `"${flat(scope.name)}" (${flat(scope.id)})` : flat(scope.id)
  return scope.kind === 'context' ? `in ${named}` : `on ${named}`
}

/** `/app/src/orders.ts:31:9 (totals)` */
export function callSiteWords(frame: StackFrame): string {
  return flat(`${formatFrame(frame)}${frame.function ? ` (${frame.function})` : ''}`)
}

/** A table cell: whole numbers as they are, others to 2 decimals (1 from 100 up). */
export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(value >= 100 ? 1 : 2)
}

/** A signed change: `+3`, `-1.25`, `0`. */
export function formatDelta(value: number): string {
  if (value === 0) return '0'
  return (value > 0 ? '+' : '-') + formatNumber(Math.abs(value))
}

/** SQL (or any text) on one line, cut to `max` characters. */
export function oneLine(text: string, max = 200): string {
  const line = flat(text)
  return line.length > max ? line.slice(0, max - 1) + '…' : line
}

/** Query parameters as JSON on one line, cut to `max` characters. */
export function paramsWords(params: unknown, max = 200): string {
  let text: string
  try {
    text = JSON.stringify(params) ?? String(params)
  } catch {
    // BigInt or a cycle cannot come from a session file, but params are only ever shown.
    text = String(params)
  }
  return oneLine(text, max)
}

export function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString()
}

/** `error type message`, without a leading space when there is no type. */
export function errorWords(error: { type?: string; message: string }): string {
  return flat(`${error.type ?? ''} ${error.message}`)
}

/** `(top 10 of 42)` when a list was cut, '' when it was not. */
export function cutWords(shown: number, total: number): string {
  return total > shown ? ` (top ${shown} of ${total})` : ''
}

/** What was taken out of a redacted report, or undefined when nothing was. */
export function redactionWords(report: Pick<Report, 'redacted'>): string | undefined {
  const { redacted } = report
  if (!redacted) return undefined
  const parts = [
    redacted.secrets ? 'values bound to secret-looking names masked' : undefined,
    redacted.droppedParams ? 'every parameter dropped' : undefined,
  ].filter(Boolean)
  return parts.length > 0 ? `Redacted: ${parts.join('; ')}.` : undefined
}
