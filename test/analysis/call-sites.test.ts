import { describe, expect, it } from 'vitest'
import { CallSites, formatFrame } from '../../src/main/analysis/call-sites'

describe('CallSites', () => {
  it('counts the first frame of each stack, most frequent first, as clean copies', () => {
    const sites = new CallSites()
    const a = { file: '/app/a.ts', line: 1, column: 2, extra: 'x' }
    const b = { file: '/app/b.ts', line: 3 }
    sites.add([a, b])
    sites.add([b])
    sites.add([b, a])
    sites.add(undefined)
    sites.add([])
    expect(sites.top()).toEqual([
      { file: '/app/b.ts', line: 3 },
      { file: '/app/a.ts', line: 1, column: 2 },
    ])
    expect(sites.first()).toEqual({ file: '/app/b.ts', line: 3 })
    expect(formatFrame(b)).toBe('/app/b.ts:3:?')
  })

  it("counts each of another set's places once, however often that set saw it", () => {
    const group = new CallSites()
    const a = { file: '/app/a.ts', line: 1 }
    const b = { file: '/app/b.ts', line: 2 }
    for (let i = 0; i < 5; i++) group.add([a])
    group.add([b])
    const shape = new CallSites()
    shape.add([b])
    shape.addPlaces(group)
    shape.addPlaces(group)
    // b: 1 + 1 + 1, a: 1 + 1.
    expect(shape.top()).toEqual([b, a])
    expect(shape.size).toBe(2)
  })

  it('forgets every place on clear, and counts afresh after', () => {
    const sites = new CallSites()
    sites.add([{ file: '/app/a.ts', line: 1 }])
    sites.add([{ file: '/app/b.ts', line: 2 }])
    sites.clear()
    expect([sites.size, sites.top(), sites.first()]).toEqual([0, [], undefined])
    sites.add([{ file: '/app/c.ts', line: 3 }])
    expect(sites.top()).toEqual([{ file: '/app/c.ts', line: 3 }])
  })

  it('stops taking new places past 16, and still counts the known ones', () => {
    const sites = new CallSites()
    for (let line = 1; line <= 20; line++) sites.add([{ file: '/app/x.ts', line }])
    for (let i = 0; i < 3; i++) sites.add([{ file: '/app/x.ts', line: 5 }])
    expect(sites.size).toBe(16)
    expect(sites.first()).toEqual({ file: '/app/x.ts', line: 5 })
  })
  it('ranks places by the first 4,096 stacks and ignores the rest', () => {
    const sites = new CallSites()
    for (let i = 0; i < 4096; i++) sites.add([{ file: '/app/a.ts', line: 1 }])
    for (let i = 0; i < 5000; i++) sites.add([{ file: '/app/b.ts', line: 2 }])
    expect(sites.top()).toEqual([{ file: '/app/a.ts', line: 1 }])
  })
})
