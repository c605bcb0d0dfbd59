import { describe, expect, it } from 'vitest'
import { paramsHash, ValueCounts } from '../../src/main/analysis/params'

describe('paramsHash', () => {
  it('gives equal values equal hashes, whether arrays or named', () => {
    expect(paramsHash([7, 'a', null, true], [])).toBe(paramsHash([7, 'a', null, true], []))
    expect(paramsHash({ id: 7, name: 'x' }, [])).toBe(paramsHash({ id: 7, name: 'x' }, []))
    expect(paramsHash([{ a: [1, 2] }], [])).toBe(paramsHash([{ a: [1, 2] }], []))
  })

  it('tells apart values that differ in value, type, order or place', () => {
    const cases: unknown[][] = [
      [7],
      ['7'],
      [7.5],
      [true],
      [null],
      [undefined],
      [1, 2],
      [2, 1],
      [[1, 2]],
      ['ab', 'c'],
      ['a', 'bc'],
      [{ a: 1 }],
      [{ a: 2 }],
    ]
    const hashes = new Set(cases.map((params) => paramsHash(params, [])))
    expect(hashes.size).toBe(cases.length)
    expect(paramsHash({ id: 7 }, [])).not.toBe(paramsHash({ uid: 7 }, []))
  })

  it('takes inlined literals as values when there are no bound params', () => {
    expect(paramsHash(undefined, ['7'])).toBe(paramsHash([], ['7']))
    expect(paramsHash(undefined, ['7'])).not.toBe(paramsHash(undefined, ['8']))
    expect(paramsHash([1], ['7'])).not.toBe(paramsHash([1], ['8']))
    expect(paramsHash(undefined, [])).toBe(paramsHash([], []))
  })

  it('does not collide over 200,000 distinct ids', () => {
    const seen = new Set<number>()
    for (let i = 0; i < 100_000; i++) {
      seen.add(paramsHash([i], []))
      seen.add(paramsHash([`user-${i}`], []))
    }
    expect(seen.size).toBe(200_000)
  })
})

describe('ValueCounts', () => {
  it('counts each hash, growing past its first size, and answers 0 for unseen ones', () => {
    const counts = new ValueCounts(10_000)
    const hashes = Array.from({ length: 3000 }, (_, i) => paramsHash([i], []))
    hashes.forEach((hash) => expect(counts.add(hash)).toBe(1))
    hashes.slice(0, 100).forEach((hash) => expect(counts.add(hash)).toBe(2))
    expect(counts.add(hashes[7]!)).toBe(3)
    expect(counts.size).toBe(3000)
    expect([
      counts.get(hashes[7]!),
      counts.get(hashes[2999]!),
      counts.get(paramsHash(['x'], [])),
    ]).toEqual([3, 1, 0])
    // Hash 0 is a value like any other.
    expect([counts.add(0), counts.add(0), counts.get(0)]).toEqual([1, 2, 2])
  })

  it('stops remembering new values at its bound, and still counts the known ones', () => {
    const counts = new ValueCounts(4)
    for (const hash of [1, 2, 3, 4, 5, 6]) counts.add(hash)
    expect(counts.size).toBe(4)
    expect([counts.add(5), counts.add(1), counts.get(6)]).toEqual([1, 2, 0])
  })
})
