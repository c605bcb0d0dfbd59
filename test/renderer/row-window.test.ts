// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import { MAX_SCROLL_HEIGHT, computeRowWindow } from '@renderer/lib/row-window'

const base = { rowHeight: 22, viewportHeight: 440, overscan: 5 }

describe('the row window', () => {
  it('renders the rows in the viewport plus the overscan, wherever it is scrolled', () => {
    const window = computeRowWindow({ ...base, total: 100_000, scrollTop: 22 * 50_000 })
    expect(window.ratio).toBe(1)
    expect(window.scrollHeight).toBe(2_200_000)
    expect([window.visibleStart, window.visibleEnd]).toEqual([50_000, 50_020])
    expect([window.start, window.end]).toEqual([49_995, 50_025])
    expect(window.top(50_000)).toBe(22 * 50_000)
  })

  it('clamps at both ends', () => {
    const top = computeRowWindow({ ...base, total: 100, scrollTop: -50 })
    expect([top.start, top.end]).toEqual([0, 25])
    const bottom = computeRowWindow({ ...base, total: 100, scrollTop: 1e9 })
    expect([bottom.visibleStart, bottom.visibleEnd]).toEqual([80, 100])
    expect(bottom.end).toBe(100)
    const empty = computeRowWindow({ ...base, total: 0, scrollTop: 0 })
    expect([empty.start, empty.end, empty.scrollHeight]).toEqual([0, 0, 0])
  })

  it('caps the scroll height at a million rows and still reaches every row', () => {
    const total = 1_000_000
    const scrollRange = MAX_SCROLL_HEIGHT - base.viewportHeight
    const first = computeRowWindow({ ...base, total, scrollTop: 0 })
    expect(first.scrollHeight).toBe(MAX_SCROLL_HEIGHT)
    expect(first.ratio).toBeGreaterThan(2)
    expect(first.visibleStart).toBe(0)

    const last = computeRowWindow({ ...base, total, scrollTop: scrollRange })
    expect(last.visibleEnd).toBe(total)
    // The last row's bottom is the viewport's bottom.
    expect(last.top(total - 1) + base.rowHeight).toBeCloseTo(scrollRange + base.viewportHeight, 3)

    const middle = computeRowWindow({ ...base, total, scrollTop: scrollRange / 2 })
    expect(Math.abs(middle.visibleStart - (total - 20) / 2)).toBeLessThan(2)
    // The first visible row sits at the viewport's top edge.
    const offset = middle.top(middle.visibleStart) - scrollRange / 2
    expect(offset).toBeLessThanOrEqual(0)
    expect(offset).toBeGreaterThan(-base.rowHeight)
  })

  it('gives the scroll position that brings a row to the top, scaled or not', () => {
    for (const total of [1_000, 1_000_000]) {
      const window = computeRowWindow({ ...base, total, scrollTop: 0 })
      const index = Math.floor(total * 0.7)
      const there = computeRowWindow({ ...base, total, scrollTop: window.scrollTopFor(index) })
      expect(there.visibleStart).toBe(index)
    }
  })
})
