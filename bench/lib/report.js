/**
 * Figures and the table they are printed in. A benchmark returns rows; each row carries its
 * measured value, the baseline measured in the same run, and a target that decides PASS or
 * MISS from those two numbers. Nothing here holds a figure of its own.
 */

export function median(values) {
  if (values.length === 0) throw new Error('median of no values')
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** Targets: each knows how to describe itself and how to judge a row. */
export const target = {
  /** The value must be at least `fraction` of the baseline (higher is better). */
  ratioAtLeast: (fraction) => ({
    text: `≥ ${formatPercent(fraction)} of baseline`,
    met: (row) => row.value / row.baseline >= fraction,
  }),
  /** The value must be at most `fraction` of the baseline (lower is better). */
  ratioAtMost: (fraction) => ({
    text: `≤ ${formatPercent(fraction)} of baseline`,
    met: (row) => row.value / row.baseline <= fraction,
  }),
  /** The value itself must not exceed `limit`, in the row's unit. */
  atMost: (limit, unit) => ({
    text: `≤ ${formatNumber(limit)} ${unit}`,
    met: (row) => row.value <= limit,
  }),
}

/**
 * A row of the table. `baseline` may be undefined (nothing to compare with); `goal` may be
 * undefined (the figure is reported, not judged).
 */
export function figure({ name, value, baseline, unit, goal }) {
  const row = { name, value, baseline, unit, goal }
  row.ratio = baseline === undefined || baseline === 0 ? undefined : value / baseline
  row.status = goal === undefined ? 'info' : goal.met(row) ? 'PASS' : 'MISS'
  return row
}

export function formatNumber(value) {
  if (!Number.isFinite(value)) return String(value)
  const abs = Math.abs(value)
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  })
}

export function formatCount(count) {
  return Math.round(count).toLocaleString('en-US')
}

export function formatPercent(fraction) {
  return `${Math.round(fraction * 100)}%`
}

export function formatBytes(bytes) {
  return `${formatNumber(bytes / (1024 * 1024))} MiB`
}

/** A plain-text table, one line per row, columns padded to their widest cell. */
export function renderTable(rows) {
  const header = ['figure', 'measured', 'baseline', 'ratio', 'target', 'result']
  const cells = rows.map((row) => [
    row.name,
    `${formatNumber(row.value)} ${row.unit}`,
    row.baseline === undefined ? '—' : `${formatNumber(row.baseline)} ${row.unit}`,
    row.ratio === undefined ? '—' : formatPercent(row.ratio),
    row.goal === undefined ? '—' : row.goal.text,
    row.status,
  ])
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((line) => line[column].length)),
  )
  const line = (values) =>
    values
      .map((value, column) => value.padEnd(widths[column]))
      .join('  ')
      .trimEnd()
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join(
    '\n',
  )
}
