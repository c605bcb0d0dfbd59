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

/** `value` with at most `digits` decimals and no trailing zeros. */
function trimmed(value: number, digits: number): string {
  return String(Number(value.toFixed(digits)))
}

/**
 * A time offset (from the session's start) or a span, as the timeline's axis and tooltips
 * read it: `0`, `250 µs`, `12.5 ms`, `1.25 s`, `2 min 5 s`, `1 h 3 min`.
 */
export function formatOffset(ms: number): string {
  const sign = ms < 0 ? '−' : ''
  const abs = Math.abs(ms)
  if (abs < 1e-6) return '0'
  if (abs < 1) return `${sign}${trimmed(abs * 1000, 1)} µs`
  if (abs < 1000) return `${sign}${trimmed(abs, 3)} ms`
  if (abs < 60_000) return `${sign}${trimmed(abs / 1000, 3)} s`
  if (abs < 3_600_000) {
    const minutes = Math.floor(abs / 60_000)
    const seconds = Math.round((abs - minutes * 60_000) / 100) / 10
    return `${sign}${minutes} min${seconds ? ` ${trimmed(seconds, 1)} s` : ''}`
  }
  const hours = Math.floor(abs / 3_600_000)
  const minutes = Math.round((abs - hours * 3_600_000) / 60_000)
  return `${sign}${hours} h${minutes ? ` ${minutes} min` : ''}`
}

/** A total time, in the unit that reads best: `4.20 ms`, `850 ms`, `1.24 s`, `2 min 5 s`. */
export function formatTotalTime(ms: DurationMs): string {
  if (ms < 1000) return `${formatDuration(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`
  return formatOffset(ms)
}

/** A size on disk: `512 B`, `12.5 KiB`, `3.2 MiB`, `1.25 GiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`
}
