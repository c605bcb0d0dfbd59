/**
 * The timeline's ECharts option, as plain functions of the window the core sent (tested
 * without a chart). Three custom series on one grid:
 *   - `lanes`: the lane stripes, each lane's request span, the highlighted lane;
 *   - `bars`: one rect per query at its real start and duration, coloured by status, and
 *     by finding when the query is part of one (outlined when also slow or failed);
 *   - `buckets`: the core's aggregates when the window is too dense to draw query by query,
 *     as heat strips.
 * x is milliseconds from `origin` (small numbers keep sub-ms precision and make the axis
 * read "+1.25 s"); y is the lane index, with the plot showing `firstLane` to
 * `firstLane + visibleLanes` (fractional while scrolled), lane 0 at the top.
 */
import { graphic } from 'echarts/core'
import type { ComposeOption } from 'echarts/core'
import type { CustomSeriesOption } from 'echarts/charts'
import type {
  DataZoomComponentOption,
  GridComponentOption,
  TooltipComponentOption,
} from 'echarts/components'
import type {
  CustomSeriesRenderItem,
  CustomSeriesRenderItemAPI,
  CustomSeriesRenderItemParams,
  CustomSeriesRenderItemReturn,
} from 'echarts'
import type { EpochMs } from '@shared/domain'
import type { BarStatus, FindingKind, TimelineWindow } from '@shared/analysis'
import { formatClock, formatCount, formatDuration, formatOffset } from '@renderer/lib/format'
import { summarizeSql } from '@renderer/lib/sql'

export type TimelineOption = ComposeOption<
  CustomSeriesOption | GridComponentOption | DataZoomComponentOption | TooltipComponentOption
>

/** Must match the lane labels' row height. */
export const LANE_HEIGHT = 22
export const BAR_HEIGHT = 14
/** Room for the time axis above the plot, and the zoom slider below it. */
export const AXIS_HEIGHT = 24
export const SLIDER_AREA = 38
/** Queries shorter than a pixel still show. */
const MIN_BAR_PX = 1.5

export interface TimelinePalette {
  ok: string
  slow: string
  error: string
  'n-plus-one': string
  duplicate: string
  'write-loop': string
  stripe: string
  focus: string
  grid: string
  text: string
  textDim: string
  textFaint: string
  border: string
  panel: string
  accent: string
  font: string
}

/** The theme's colours (canvas cannot read CSS variables): read once when the chart mounts. */
export function readPalette(element: Element): TimelinePalette {
  const style = getComputedStyle(element)
  const css = (name: string, fallback: string): string =>
    style.getPropertyValue(name).trim() || fallback
  return {
    ok: css('--bar-ok', '#4f8fdc'),
    slow: css('--bar-slow', '#e5a83b'),
    error: css('--bar-error', '#f0575a'),
    'n-plus-one': css('--finding-n-plus-one', '#b18cf5'),
    duplicate: css('--finding-duplicate', '#38c3cf'),
    'write-loop': css('--finding-write-loop', '#ef8ac8'),
    stripe: css('--lane-stripe', 'rgba(255,255,255,0.025)'),
    focus: css('--lane-focus', 'rgba(90,162,255,0.13)'),
    grid: css('--grid-line', 'rgba(255,255,255,0.06)'),
    text: css('--text', '#d7dae0'),
    textDim: css('--text-dim', '#9aa1ae'),
    textFaint: css('--text-faint', '#6b7280'),
    border: css('--border', '#2d323d'),
    panel: css('--bg-panel', '#1c1f26'),
    accent: css('--accent', '#5aa2ff'),
    font: css('--font-ui', 'system-ui, sans-serif'),
  }
}

const STATUS_CODE: Record<BarStatus, number> = { ok: 0, slow: 1, error: 2 }
const FINDING_KINDS: (FindingKind | undefined)[] = [
  undefined,
  'n-plus-one',
  'duplicate',
  'write-loop',
]
const FINDING_CODE = (kind: FindingKind | undefined): number =>
  kind ? FINDING_KINDS.indexOf(kind) : 0

export const FINDING_LABEL: Record<FindingKind, string> = {
  'n-plus-one': 'N+1',
  duplicate: 'duplicate',
  'write-loop': 'write loop',
}

/** `bars` series data: `[start, end, lane centre, status, finding, queryId]`, in window order. */
export function barData(window: TimelineWindow, origin: EpochMs): number[][] {
  return window.bars.map((bar) => {
    const start = bar.start - origin
    const lane = window.laneOffset + bar.lane + 0.5
    return [
      start,
      start + bar.durationMs,
      lane,
      STATUS_CODE[bar.status],
      FINDING_CODE(bar.finding),
      bar.queryId,
    ]
  })
}

/**
 * `buckets` series data: `[start, end, lane centre, count, errors, slow, density]`, in
 * window order; density (0 to 1) is the count on a log scale against the window's fullest.
 */
export function bucketData(window: TimelineWindow, origin: EpochMs): number[][] {
  const fullest = window.buckets.reduce((max, bucket) => Math.max(max, bucket.count), 1)
  return window.buckets.map((bucket) => [
    bucket.start - origin,
    bucket.end - origin,
    window.laneOffset + bucket.lane + 0.5,
    bucket.count,
    bucket.errors,
    bucket.slow,
    Math.log(bucket.count + 1) / Math.log(fullest + 1),
  ])
}

/**
 * `lanes` series data for the lanes on screen: `[index, start, end, highlighted, finding]`;
 * start and end are the lane's span (NaN when the lane is outside the window).
 */
export function laneData(
  window: TimelineWindow | null,
  origin: EpochMs,
  firstLane: number,
  visibleLanes: number,
  highlightLaneId: string | null,
): number[][] {
  const rows: number[][] = []
  const first = Math.max(0, Math.floor(firstLane))
  const last = Math.min(window?.totalLanes ?? 0, Math.ceil(firstLane + visibleLanes))
  for (let index = first; index < last; index++) {
    const lane = window?.lanes[index - window.laneOffset]
    rows.push([
      index,
      lane ? lane.start - origin : NaN,
      lane ? lane.end - origin : NaN,
      lane && lane.id === highlightLaneId ? 1 : 0,
      FINDING_CODE(lane?.worstFinding),
    ])
  }
  return rows
}

type Api = CustomSeriesRenderItemAPI
type Params = CustomSeriesRenderItemParams

interface Rect {
  x: number
  y: number
  width: number
  height: number
}

function plotArea(params: Params): Rect {
  return params.coordSys as unknown as Rect
}

/** The rect from `start` to `end` (axis values) centred on lane value `lane`, clipped. */
function laneRect(
  api: Api,
  params: Params,
  start: number,
  end: number,
  lane: number,
  height: number,
): Rect | undefined {
  const from = api.coord([start, lane])
  const to = api.coord([end, lane])
  const width = Math.max(MIN_BAR_PX, to[0] - from[0])
  const rect = { x: from[0], y: from[1] - height / 2, width, height }
  return graphic.clipRectByRect(rect, plotArea(params)) as Rect | undefined
}

export function renderLane(palette: TimelinePalette): CustomSeriesRenderItem {
  return (params, api): CustomSeriesRenderItemReturn => {
    const index = api.value(0) as number
    const area = plotArea(params)
    const top = api.coord([0, index])[1]
    const bottom = api.coord([0, index + 1])[1]
    const band = graphic.clipRectByRect(
      { x: area.x, y: top, width: area.width, height: bottom - top },
      area,
    )
    if (!band) return null
    const highlighted = api.value(3) === 1
    const children: CustomSeriesRenderItemReturn[] = [
      {
        type: 'rect',
        shape: band,
        style: { fill: highlighted ? palette.focus : index % 2 ? palette.stripe : 'transparent' },
      },
    ]
    const start = api.value(1) as number
    const end = api.value(2) as number
    if (Number.isFinite(start) && Number.isFinite(end)) {
      // The request's span, faint behind its queries, as a trace viewer draws a parent span.
      const span = laneRect(api, params, start, end, index + 0.5, LANE_HEIGHT - 4)
      if (span)
        children.push({
          type: 'rect',
          shape: span,
          style: {
            fill: 'transparent',
            stroke: highlighted ? palette.accent : palette.border,
            lineWidth: 1,
          },
        })
    }
    return { type: 'group', children } as CustomSeriesRenderItemReturn
  }
}

/** `selected`: the query open in the inspector, outlined. */
export function renderBar(
  palette: TimelinePalette,
  selected: () => number | null = () => null,
): CustomSeriesRenderItem {
  return (params, api): CustomSeriesRenderItemReturn => {
    const laneSize = api.size?.([0, 1]) as number[]
    const height = Math.min(BAR_HEIGHT, Math.abs(laneSize[1]) * 0.64)
    const shape = laneRect(
      api,
      params,
      api.value(0) as number,
      api.value(1) as number,
      api.value(2) as number,
      height,
    )
    if (!shape) return null
    const status = api.value(3) as number
    const finding = FINDING_KINDS[api.value(4) as number]
    const statusFill = status === 2 ? palette.error : status === 1 ? palette.slow : undefined
    const isSelected = api.value(5) === selected()
    // Slow or failed and in a finding: both show, the finding as the outline; the query in
    // the inspector is outlined in the text colour, above its neighbours.
    const outline = isSelected ? palette.text : statusFill && finding ? palette[finding] : undefined
    return {
      type: 'rect',
      shape,
      z2: isSelected ? 10 : 0,
      style: {
        fill: statusFill ?? (finding ? palette[finding] : palette.ok),
        stroke: outline,
        lineWidth: outline ? 1.5 : 0,
      },
    }
  }
}

/**
 * A bucket as a strip whose opacity says how many queries it holds (a heat strip, no text:
 * the tooltip has the numbers), red when one failed, amber when one was slow.
 */
export function renderBucket(palette: TimelinePalette): CustomSeriesRenderItem {
  return (params, api): CustomSeriesRenderItemReturn => {
    const laneSize = api.size?.([0, 1]) as number[]
    const height = Math.min(BAR_HEIGHT, Math.abs(laneSize[1]) * 0.64)
    const shape = laneRect(
      api,
      params,
      api.value(0) as number,
      api.value(1) as number,
      api.value(2) as number,
      height,
    )
    if (!shape) return null
    const fill =
      (api.value(4) as number) > 0
        ? palette.error
        : (api.value(5) as number) > 0
          ? palette.slow
          : palette.ok
    return {
      type: 'rect',
      shape,
      style: { fill, opacity: 0.35 + 0.65 * (api.value(6) as number) },
    }
  }
}

export interface ChartState {
  window: TimelineWindow | null
  origin: EpochMs
  domain: { start: EpochMs; end: EpochMs }
  view: { start: EpochMs; end: EpochMs }
  firstLane: number
  visibleLanes: number
  highlightLaneId: string | null
}

/**
 * The option's fixed part: axes, zoom, tooltip and the three series without data (set once,
 * at mount; `dataOption` is merged into it).
 */
export function baseOption(
  palette: TimelinePalette,
  tooltip: (seriesId: string, dataIndex: number) => string,
  selected: () => number | null = () => null,
): TimelineOption {
  const labelFormatter = (value: number): string => formatOffset(value)
  return {
    animation: false,
    textStyle: { fontFamily: palette.font },
    grid: { left: 0, right: 0, top: AXIS_HEIGHT, bottom: SLIDER_AREA, containLabel: false },
    xAxis: {
      type: 'value',
      position: 'top',
      splitNumber: 8,
      axisLine: { lineStyle: { color: palette.border } },
      axisTick: { lineStyle: { color: palette.border } },
      axisLabel: {
        color: palette.textDim,
        fontSize: 10,
        formatter: labelFormatter,
        hideOverlap: true,
        // The range's ends fall anywhere and crowd the round ticks next to them.
        showMinLabel: false,
        showMaxLabel: false,
      },
      splitLine: { lineStyle: { color: palette.grid } },
    },
    yAxis: { type: 'value', inverse: true, show: false },
    tooltip: {
      trigger: 'item',
      confine: true,
      enterable: false,
      transitionDuration: 0,
      backgroundColor: palette.panel,
      borderColor: palette.border,
      padding: [6, 8],
      textStyle: { color: palette.text, fontSize: 12 },
      extraCssText: 'max-width: 560px; box-shadow: 0 6px 20px rgba(0,0,0,0.4);',
      formatter: (params) => {
        const item = Array.isArray(params) ? params[0] : params
        return tooltip(String(item.seriesId), item.dataIndex)
      },
    },
    dataZoom: [
      {
        type: 'inside',
        id: 'zoom',
        xAxisIndex: 0,
        filterMode: 'none',
        zoomOnMouseWheel: true,
        moveOnMouseMove: true,
        moveOnMouseWheel: false,
        minValueSpan: 0.05,
        throttle: 40,
      },
      {
        type: 'slider',
        id: 'slider',
        xAxisIndex: 0,
        filterMode: 'none',
        bottom: 8,
        height: 20,
        left: 8,
        right: 8,
        showDataShadow: false,
        brushSelect: false,
        minValueSpan: 0.05,
        throttle: 40,
        borderColor: palette.border,
        backgroundColor: 'transparent',
        fillerColor: 'rgba(90, 162, 255, 0.18)',
        handleStyle: { color: palette.accent, borderColor: palette.accent },
        moveHandleStyle: { color: palette.border },
        emphasis: { handleStyle: { color: palette.accent } },
        textStyle: { color: palette.textDim, fontSize: 10 },
        labelFormatter,
      },
    ],
    series: [
      {
        type: 'custom',
        id: 'lanes',
        silent: true,
        renderItem: renderLane(palette),
        encode: { x: [1, 2], y: 0 },
        z: 1,
        data: [],
      },
      {
        type: 'custom',
        id: 'buckets',
        renderItem: renderBucket(palette),
        encode: { x: [0, 1], y: 2 },
        z: 2,
        data: [],
      },
      {
        type: 'custom',
        id: 'bars',
        renderItem: renderBar(palette, selected),
        encode: { x: [0, 1], y: 2 },
        z: 3,
        data: [],
      },
    ],
  }
}

/** What changes with every window, scroll and zoom: the data, the axes' ranges, the zoom. */
export function dataOption(state: ChartState): TimelineOption {
  const { window, origin, domain, view } = state
  const zoom = { startValue: view.start - origin, endValue: view.end - origin }
  return {
    xAxis: { min: domain.start - origin, max: domain.end - origin },
    yAxis: { min: state.firstLane, max: state.firstLane + Math.max(1, state.visibleLanes) },
    dataZoom: [
      { id: 'zoom', ...zoom },
      { id: 'slider', ...zoom },
    ],
    series: [
      {
        id: 'lanes',
        data: laneData(window, origin, state.firstLane, state.visibleLanes, state.highlightLaneId),
      },
      { id: 'buckets', data: window ? bucketData(window, origin) : [] },
      { id: 'bars', data: window ? barData(window, origin) : [] },
    ],
  }
}

/** Escapes text for the tooltip's HTML (SQL comes from the user's app). */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
}

/** The tooltip of bar or bucket `dataIndex` of the window. */
export function tooltipHtml(
  window: TimelineWindow | null,
  origin: EpochMs,
  seriesId: string,
  dataIndex: number,
): string {
  if (!window) return ''
  if (seriesId === 'bars') {
    const bar = window.bars[dataIndex]
    if (!bar) return ''
    const lane = window.lanes[bar.lane]
    const finding = bar.finding
      ? `<span class="tt-tag ${bar.finding}">${FINDING_LABEL[bar.finding]}</span>`
      : ''
    return (
      `<div class="timeline-tooltip">` +
      `<div class="tt-head"><span class="tt-tag ${bar.status}">${bar.status}</span>${finding}` +
      `<b>${formatDuration(bar.durationMs)} ms</b>` +
      `<span class="tt-dim">at +${escapeHtml(formatOffset(bar.start - origin))} · ${formatClock(bar.start)}</span></div>` +
      `<div class="tt-sql">${escapeHtml(summarizeSql(bar.sql))}</div>` +
      (lane ? `<div class="tt-dim">${escapeHtml(lane.name)} · query #${bar.queryId}</div>` : '') +
      `</div>`
    )
  }
  if (seriesId === 'buckets') {
    const bucket = window.buckets[dataIndex]
    if (!bucket) return ''
    const lane = window.lanes[bucket.lane]
    const problems = [
      bucket.slow ? `${formatCount(bucket.slow)} slow` : '',
      bucket.errors ? `${formatCount(bucket.errors)} failed` : '',
    ]
      .filter(Boolean)
      .join(', ')
    return (
      `<div class="timeline-tooltip">` +
      `<div class="tt-head"><b>${formatCount(bucket.count)} queries</b>` +
      `<span class="tt-dim">+${escapeHtml(formatOffset(bucket.start - origin))} – +${escapeHtml(formatOffset(bucket.end - origin))} · ${formatClock(bucket.start)}</span></div>` +
      `<div>${problems ? `${problems}; ` : ''}slowest ${formatDuration(bucket.maxDurationMs)} ms</div>` +
      (lane ? `<div class="tt-dim">${escapeHtml(lane.name)}</div>` : '') +
      `<div class="tt-dim">Too close together to draw apart: click or zoom in to see them.</div>` +
      `</div>`
    )
  }
  return ''
}
