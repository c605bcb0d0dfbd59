/**
 * A streaming histogram of durations with a bounded relative error, for p50 / p95 / p99 per
 * query shape without keeping the samples.
 *
 * Buckets grow geometrically (the DDSketch layout): bucket `i` holds the values in
 * `(γ^(i-1), γ^i]` with `γ = (1 + α) / (1 - α)`, and reports the one value of that range whose
 * relative distance to both ends is `α`. Every quantile is then within `α` (1%) of the exact
 * sample at the same rank. Counts live in one typed array covering only the buckets seen so
 * far, so a shape whose durations span two orders of magnitude costs about a kilobyte.
 * Written here rather than taken from a library: it is this one page, its bound is tested,
 * and it has to be cheap enough to run on every query at ingest.
 */

/** Relative accuracy of every quantile. */
export const RELATIVE_ERROR = 0.01

const GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
const LOG_GAMMA = Math.log(GAMMA)
/** Durations at or below this (ms) count as zero: a nanosecond is below any clock's grain. */
const MIN_VALUE = 1e-6

export class LogHistogram {
  /** Samples at or below MIN_VALUE. */
  private zeros = 0
  private total = 0
  /** counts[k] is bucket `offset + k`. */
  private counts: Uint32Array | undefined
  private offset = 0
  private exactMin = Infinity
  private exactMax = -Infinity

  get count(): number {
    return this.total
  }

  get min(): number {
    return this.total === 0 ? 0 : this.exactMin
  }

  get max(): number {
    return this.total === 0 ? 0 : this.exactMax
  }

  add(value: number): void {
    this.total++
    if (value < this.exactMin) this.exactMin = value
    if (value > this.exactMax) this.exactMax = value
    if (!(value > MIN_VALUE)) {
      // Zero, negative or NaN: nothing a geometric bucket could hold.
      this.zeros++
      return
    }
    const index = Math.ceil(Math.log(value) / LOG_GAMMA)
    let counts = this.counts
    if (counts === undefined) {
      counts = this.counts = new Uint32Array(16)
      this.offset = index - 8
    }
    let slot = index - this.offset
    if (slot < 0 || slot >= counts.length) {
      counts = this.grow(index)
      slot = index - this.offset
    }
    counts[slot]!++
  }

  /**
   * The value at quantile `q` (0..1): the sample of rank `ceil(q·n)` (1-based, nearest rank)
   * to within 1%, clamped to the exact min and max. 0 when empty.
   */
  quantile(q: number): number {
    if (this.total === 0) return 0
    const rank = Math.min(this.total, Math.max(1, Math.ceil(q * this.total)))
    // The ends are known exactly.
    if (rank === 1) return this.exactMin
    if (rank === this.total) return this.exactMax
    if (rank <= this.zeros) return Math.max(this.exactMin, 0)
    let seen = this.zeros
    const counts = this.counts!
    for (let slot = 0; slot < counts.length; slot++) {
      seen += counts[slot]!
      if (seen >= rank) {
        const estimate = (2 * Math.pow(GAMMA, slot + this.offset)) / (GAMMA + 1)
        return Math.min(this.exactMax, Math.max(this.exactMin, estimate))
      }
    }
    return this.exactMax
  }

  /** Bytes held by the bucket array (for the memory benchmark). */
  get bucketBytes(): number {
    return this.counts?.byteLength ?? 0
  }

  /** Widens the bucket array to cover `index`, with room to spare on that side. */
  private grow(index: number): Uint32Array {
    const old = this.counts!
    const low = Math.min(this.offset, index)
    const high = Math.max(this.offset + old.length - 1, index)
    const span = high - low + 1
    const length = Math.max(span + 16, old.length * 2)
    const grown = new Uint32Array(length)
    // Spare room goes on the side that grew: durations drift one way at a time.
    const offset = index < this.offset ? high - length + 1 : low
    grown.set(old, this.offset - offset)
    this.counts = grown
    this.offset = offset
    return grown
  }
}
