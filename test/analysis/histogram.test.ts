import { describe, expect, it } from 'vitest'
import { LogHistogram, RELATIVE_ERROR } from '../../src/main/analysis/histogram'

/** The exact nearest-rank quantile the histogram promises to approximate. */
function exactQuantile(sorted: number[], q: number): number {
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)))
  return sorted[rank - 1]!
}

/** A seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = Math.imul(state ^ (state >>> 15), state | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const distributions: [string, (r: () => number) => number][] = [
  ['uniform 0.05–3 ms', (r) => 0.05 + r() * 3],
  ['log-normal around 2 ms', (r) => Math.exp(Math.log(2) + 1.2 * gaussian(r))],
  ['bimodal: fast hits and slow misses', (r) => (r() < 0.9 ? 0.2 + r() * 0.3 : 150 + r() * 400)],
  ['heavy tail (Pareto)', (r) => 0.5 / Math.pow(1 - r(), 1 / 1.5)],
  ['sub-microsecond to minutes', (r) => Math.pow(10, -4 + r() * 9)],
]

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())
}

describe('LogHistogram', () => {
  for (const [name, draw] of distributions) {
    it(`keeps p50, p95, p99 within 1% of the exact sorted values (${name})`, () => {
      const r = random(name.length * 7919)
      const histogram = new LogHistogram()
      const samples: number[] = []
      for (let i = 0; i < 50_000; i++) {
        const value = draw(r)
        samples.push(value)
        histogram.add(value)
      }
      samples.sort((a, b) => a - b)
      for (const q of [0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999]) {
        const exact = exactQuantile(samples, q)
        const estimate = histogram.quantile(q)
        expect(Math.abs(estimate - exact) / exact, `q=${q}`).toBeLessThanOrEqual(RELATIVE_ERROR)
      }
    })
  }

  it('reports the exact min, max and count', () => {
    const histogram = new LogHistogram()
    for (const value of [3.25, 0.125, 17.5, 2]) histogram.add(value)
    expect(histogram.count).toBe(4)
    expect(histogram.min).toBe(0.125)
    expect(histogram.max).toBe(17.5)
    expect(histogram.quantile(1)).toBe(17.5)
    expect(histogram.quantile(0)).toBe(0.125)
  })

  it('counts zero durations as zero without breaking the other quantiles', () => {
    const histogram = new LogHistogram()
    for (let i = 0; i < 60; i++) histogram.add(0)
    for (let i = 0; i < 40; i++) histogram.add(10)
    expect(histogram.quantile(0.5)).toBe(0)
    expect(histogram.quantile(0.6)).toBe(0)
    expect(Math.abs(histogram.quantile(0.61) - 10) / 10).toBeLessThanOrEqual(RELATIVE_ERROR)
  })

  it('answers 0 for every quantile when empty', () => {
    const histogram = new LogHistogram()
    expect([histogram.quantile(0.5), histogram.min, histogram.max, histogram.count]).toEqual([
      0, 0, 0, 0,
    ])
  })

  it('grows its buckets both ways when values drift down and then up', () => {
    const histogram = new LogHistogram()
    const values = [5, 0.001, 2000, 0.00002, 1e6]
    for (const value of values) histogram.add(value)
    const sorted = [...values].sort((a, b) => a - b)
    for (const q of [0.2, 0.4, 0.6, 0.8, 1]) {
      const exact = exactQuantile(sorted, q)
      expect(Math.abs(histogram.quantile(q) - exact) / exact).toBeLessThanOrEqual(RELATIVE_ERROR)
    }
  })

  it('stays small for a shape whose durations span two orders of magnitude', () => {
    const histogram = new LogHistogram()
    for (let i = 0; i < 100_000; i++) histogram.add(0.1 + (i % 1000) / 100)
    expect(histogram.bucketBytes).toBeLessThanOrEqual(2048)
  })
})
