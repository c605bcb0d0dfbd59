/** How numbers, times and call-site frames read in the UI: short, fixed width, English. */
import type { EpochMs, DurationMs, StackFrame } from '@shared/domain'

/** Above this a query is slow (the UI colours it). */
export const SLOW_QUERY_MS = 100

const integer = new Intl.NumberFormat('en-US')
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 })

const pad = (value: number, width = 2): string => String(value).padStart(width, '0')

/** `HH:MM:SS.mmm` in local time. */
export function formatClock(time: EpochMs): string {
  const date = new Date(time)
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in local time. */
export function formatDateTime(time: EpochMs): string {
  const date = new Date(time)
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${formatClock(time)}`
}

/** Milliseconds with as many decimals as are meaningful at that size. */
export function formatDuration(ms: DurationMs): string {
  if (ms < 10) return ms.toFixed(2)
  if (ms < 100) return ms.toFixed(1)
  return integer.format(Math.round(ms))
}

export function formatCount(value: number): string {
  return integer.format(value)
}

/** `12.3K` for the header, where width matters more than the last digit. */
export function formatCompact(value: number): string {
  return value < 10_000 ? integer.format(Math.round(value)) : compact.format(value)
}

export function formatRate(perSecond: number): string {
  if (perSecond > 0 && perSecond < 10) return perSecond.toFixed(1)
  return formatCompact(perSecond)
}

/** `file:line:column`, leaving out what the agent did not capture. */
export function formatFrameLocation(frame: StackFrame): string {
  let location = frame.file
  if (frame.line !== undefined) {
    location += `:${frame.line}`
    if (frame.column !== undefined) location += `:${frame.column}`
  }
  return location
}
