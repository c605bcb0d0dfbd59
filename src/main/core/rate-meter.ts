/** Events per second over a sliding window of whole seconds. */
export class RateMeter {
  private readonly buckets: number[]
  private bucketSecond = 0

  constructor(
    private readonly windowSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    this.buckets = new Array(windowSeconds).fill(0)
  }

  add(count: number): void {
    this.advance()
    this.buckets[this.bucketSecond % this.windowSeconds]! += count
  }

  /** Mean rate over the window's completed seconds plus the current one, pro rata. */
  perSecond(): number {
    this.advance()
    const total = this.buckets.reduce((sum, n) => sum + n, 0)
    const elapsedInCurrent = (this.now() % 1000) / 1000
    const span = this.windowSeconds - 1 + elapsedInCurrent
    return span > 0 ? Math.round(total / span) : 0
  }

  private advance(): void {
    const second = Math.floor(this.now() / 1000)
    if (this.bucketSecond === 0) this.bucketSecond = second
    const steps = Math.min(second - this.bucketSecond, this.windowSeconds)
    for (let i = 1; i <= steps; i++) this.buckets[(this.bucketSecond + i) % this.windowSeconds] = 0
    if (second > this.bucketSecond) this.bucketSecond = second
  }
}
