import { describe, expect, it } from 'vitest'
import { toWireError, toWireParameters, truncate } from '../src/serialize'

describe('parameter serialisation', () => {
  it('keeps plain JSON values as they are', () => {
    expect(toWireParameters([1, 'a', true, null, 2.5])).toEqual([1, 'a', true, null, 2.5])
    expect(toWireParameters({ id: 7, name: 'x' })).toEqual({ id: 7, name: 'x' })
    expect(toWireParameters(undefined)).toBeUndefined()
  })

  it('wraps a lone value in a positional list', () => {
    expect(toWireParameters(7 as unknown)).toEqual([7])
    expect(toWireParameters(new Date(0) as unknown)).toEqual(['1970-01-01T00:00:00.000Z'])
  })

  it('turns values JSON cannot carry into readable strings', () => {
    expect(
      toWireParameters([
        10n,
        Infinity,
        NaN,
        new Date('invalid'),
        Symbol('s'),
        function named() {},
        new Map([[1, 2]]),
        new Set([1]),
        undefined,
      ]),
    ).toEqual([
      '10',
      'Infinity',
      'NaN',
      'Invalid Date',
      'Symbol(s)',
      '[Function named]',
      '[Map size 1]',
      '[Set size 1]',
      null,
    ])
  })

  it('shows binary data as a short hex marker', () => {
    const big = Buffer.alloc(1000, 0xab)
    expect(toWireParameters([big, new Uint8Array([1, 2]), new ArrayBuffer(3)])).toEqual([
      `<binary 1000 bytes: ${'ab'.repeat(16)}…>`,
      '<binary 2 bytes: 0102>',
      '<binary 3 bytes: 000000>',
    ])
  })

  it('cuts long strings, long arrays, wide and deep objects', () => {
    const [text, list, wide, deep] = toWireParameters([
      'y'.repeat(3000),
      Array.from({ length: 150 }, (_, i) => i),
      Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`k${i}`, i])),
      { a: { b: { c: { d: { e: 1 } } } } },
    ]) as [string, unknown[], Record<string, unknown>, unknown]
    expect(text).toBe(`${'y'.repeat(2000)}…[+1000 chars]`)
    expect(list).toHaveLength(101)
    expect(list[100]).toBe('…[+50 items]')
    expect(Object.keys(wide)).toHaveLength(101)
    expect(deep).toEqual({ a: { b: { c: '[Object]' } } })
  })

  it('marks cycles but not a value that merely appears twice', () => {
    const shared = { v: 1 }
    const loop: unknown[] = []
    loop.push(loop)
    expect(toWireParameters([shared, shared, loop])).toEqual([{ v: 1 }, { v: 1 }, ['[Circular]']])
  })

  it('uses toJSON when a value has one, and survives one that throws', () => {
    const decimal = { toJSON: () => '12.50' }
    const broken = {
      toJSON() {
        throw new Error('nope')
      },
    }
    expect(toWireParameters([decimal, broken])).toEqual(['12.50', '[unserialisable: nope]'])
  })
})

describe('error serialisation', () => {
  it('prefers the driver error code of an ORM wrapper error as the type', () => {
    const error = Object.assign(new Error('relation "x" does not exist'), {
      name: 'QueryFailedError',
      driverError: { code: '42P01' },
    })
    expect(toWireError(error)).toEqual({ type: '42P01', message: 'relation "x" does not exist' })
  })

  it('takes the class name of a plain error, and the fields of an error-like object', () => {
    expect(toWireError(new RangeError('too far'))).toEqual({
      type: 'RangeError',
      message: 'too far',
    })
    expect(toWireError({ type: 'timeout', message: 'slow' })).toEqual({
      type: 'timeout',
      message: 'slow',
    })
    expect(toWireError('just text')).toEqual({ message: 'just text' })
  })

  it('cuts very long messages', () => {
    expect(toWireError(new Error('z'.repeat(20_000))).message.length).toBeLessThan(10_100)
  })

  it('truncate leaves short text alone', () => {
    expect(truncate('short', 10)).toBe('short')
  })
})
