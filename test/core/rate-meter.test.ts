import { describe, expect, it } from 'vitest'
import { RateMeter } from '../../src/main/core/rate-meter'

describe('RateMeter', () => {
  it('averages the counts of the window and forgets seconds that slid out', () => {
    let now = 1_000_000
    const meter = new RateMeter(5, () => now)
    meter.add(500)
    now += 1000
    meter.add(500)
    // 1000 events over 4 full seconds plus 0 of the current one.
    expect(meter.perSecond()).toBe(250)
    now += 10_000
    expect(meter.perSecond()).toBe(0)
  })
})
