import { describe, expect, it } from 'vitest'
import type { CustomSeriesRenderItemAPI, CustomSeriesRenderItemParams } from 'echarts'
import type { TimelineWindow } from '@shared/analysis'
import {
  barData,
  bucketData,
  laneData,
  renderBar,
  tooltipHtml,
  type TimelinePalette,
} from '@renderer/timeline/timeline-chart'
import { T0 } from './fake-analysis'

function window(overrides: Partial<TimelineWindow> = {}): TimelineWindow {
  return {
    from: T0,
    to: T0 + 1000,
    extent: { start: T0, end: T0 + 5000 },
    totalLanes: 40,
    laneOffset: 10,
    lanes: [
      {
        id: 'ctx-a',
        name: 'GET /a',
        kind: 'context',
        appId: 'app-1',
        start: T0,
        end: T0 + 50,
        queryCount: 2,
      },
      {
        id: 'ctx-b',
        name: '<b>GET /b</b>',
        kind: 'context',
        appId: 'app-1',
        start: T0 + 20,
        end: T0 + 90,
        queryCount: 1,
        worstFinding: 'n-plus-one',
      },
    ],
    bars: [
      { queryId: 7, lane: 0, start: T0 + 10, durationMs: 2.5, status: 'ok', sql: 'SELECT 1' },
      {
        queryId: 8,
        lane: 1,
        start: T0 + 30,
        durationMs: 120,
        status: 'slow',
        finding: 'n-plus-one',
        sql: "SELECT '<img src=x onerror=alert(1)>'",
      },
    ],
    buckets: [],
    ...overrides,
  }
}

const palette = {
  ok: 'OK',
  slow: 'SLOW',
  error: 'ERROR',
  'n-plus-one': 'N1',
  duplicate: 'DUP',
  'write-loop': 'LOOP',
  text: 'TEXT',
} as TimelinePalette

/** A render API over a 1 px = 1 ms, 22 px lane plot at the origin. */
function api(values: number[]): CustomSeriesRenderItemAPI {
  return {
    value: (i: number) => values[i],
    coord: ([x, y]: number[]) => [x, y * 22],
    size: () => [1, 22],
  } as unknown as CustomSeriesRenderItemAPI
}
const params = {
  coordSys: { x: 0, y: 0, width: 1000, height: 1000 },
} as unknown as CustomSeriesRenderItemParams

describe('the timeline chart data', () => {
  it('places bars at their real start and end, from the origin, on their absolute lane', () => {
    expect(barData(window(), T0)).toEqual([
      [10, 12.5, 10.5, 0, 0, 7],
      [30, 150, 11.5, 1, 1, 8],
    ])
  })

  it('places buckets the same way', () => {
    const data = bucketData(
      window({
        bars: [],
        buckets: [
          {
            lane: 1,
            start: T0 + 100,
            end: T0 + 300,
            count: 42,
            errors: 1,
            slow: 3,
            maxDurationMs: 9,
          },
        ],
      }),
      T0 - 1000,
    )
    expect(data).toEqual([[1100, 1300, 11.5, 42, 1, 3, 1]])
  })

  it('lists the lanes on screen, with the highlighted one marked and lanes outside the window blank', () => {
    const rows = laneData(window(), T0, 9.5, 3, 'ctx-b')
    expect(rows.map((r) => r[0])).toEqual([9, 10, 11, 12])
    expect(rows[0][1]).toBeNaN()
    expect(rows[1]).toEqual([10, 0, 50, 0, 0])
    expect(rows[2]).toEqual([11, 20, 90, 1, 1])
  })

  it('colours a bar by status, by finding when it is ok, and outlines a slow one in a finding', () => {
    const render = renderBar(palette)
    const ok = render(params, api([10, 12.5, 10.5, 0, 0, 7])) as { style: { fill: string } }
    expect(ok.style.fill).toBe('OK')
    const inLoop = render(params, api([10, 12.5, 10.5, 0, 1, 7])) as { style: { fill: string } }
    expect(inLoop.style.fill).toBe('N1')
    const slowInLoop = render(params, api([30, 150, 11.5, 1, 1, 8])) as {
      shape: { x: number; width: number }
      style: { fill: string; stroke: string }
    }
    expect(slowInLoop.style).toMatchObject({ fill: 'SLOW', stroke: 'N1' })
    expect(slowInLoop.shape).toMatchObject({ x: 30, width: 120 })
    // Shorter than a pixel: still drawn, a pixel and a half wide.
    const tiny = render(params, api([10, 10.01, 10.5, 2, 0, 9])) as {
      shape: { width: number }
      style: { fill: string }
    }
    expect(tiny.shape.width).toBe(1.5)
    expect(tiny.style.fill).toBe('ERROR')
    // The query open in the inspector is outlined.
    const selected = renderBar(palette, () => 7)(params, api([10, 12.5, 10.5, 0, 0, 7])) as {
      style: { stroke: string; fill: string }
    }
    expect(selected.style).toMatchObject({ fill: 'OK', stroke: 'TEXT' })
    // Off the plot: nothing.
    expect(render(params, api([2000, 2010, 10.5, 0, 0, 9]))).toBeFalsy()
  })

  it('writes the tooltip with the SQL and names escaped', () => {
    const html = tooltipHtml(window(), T0, 'bars', 1)
    expect(html).toContain('120 ms')
    expect(html).toContain('+30 ms')
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(html).not.toContain('<img')
    expect(html).toContain('&lt;b&gt;GET /b&lt;/b&gt;')
    expect(html).toContain('N+1')
  })
})
