/**
 * "Same params" for the findings: a 52-bit hash of a query's parameter values — the bound
 * params, and the literals the fingerprinter took out of the text (ORMs that inline values
 * send `WHERE "id" = 7` with no params). Two queries of one shape with the same hash ran with
 * the same values.
 *
 * A hash rather than a string key because this runs on every query at ingest: it walks the
 * values without building a string (two independent 32-bit hashes, so that a collision in a
 * group of even a million distinct values stays very unlikely).
 */
import type { QueryParams } from '../../shared/domain'

const float = new Float64Array(1)
const words = new Uint32Array(float.buffer)

let h1 = 0
let h2 = 0

function mix(word: number): void {
  // FNV-1a on one side, a multiply-xorshift on the other.
  h1 = Math.imul(h1 ^ word, 0x01000193)
  h2 = Math.imul(h2 ^ word, 0x5bd1e995)
  h2 ^= h2 >>> 13
}

function mixString(text: string): void {
  mix(text.length)
  for (let i = 0; i < text.length; i++) mix(text.charCodeAt(i))
}

function mixValue(value: unknown): void {
  switch (typeof value) {
    case 'number':
      if ((value | 0) === value) {
        mix(1)
        mix(value)
      } else {
        float[0] = value
        mix(2)
        mix(words[0]!)
        mix(words[1]!)
      }
      return
    case 'string':
      mix(3)
      mixString(value)
      return
    case 'boolean':
      mix(value ? 4 : 5)
      return
    case 'undefined':
      mix(6)
      return
    default:
      if (value === null) {
        mix(7)
        return
      }
      // Nested values (JSON columns, buffers as {type, data}): rare enough to stringify.
      mix(8)
      mixString(safeStringify(value))
  }
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** A hash of the query's values: bound params, then the literals inlined in its text. */
export function paramsHash(params: QueryParams | undefined, literals: readonly string[]): number {
  h1 = 0x811c9dc5
  h2 = 0x9747b28c
  // No params and empty params are the same: nothing bound.
  if (params !== undefined) {
    if (Array.isArray(params)) {
      if (params.length > 0) mix(params.length)
      for (let i = 0; i < params.length; i++) mixValue(params[i])
    } else {
      for (const key in params) {
        mix(0x7fff)
        mixString(key)
        mixValue(params[key])
      }
    }
  }
  if (literals.length > 0) {
    mix(0x7ffe)
    for (let i = 0; i < literals.length; i++) mixString(literals[i]!)
  }
  return (h1 >>> 0) + (h2 & 0x1fffff) * 0x100000000
}

/**
 * How many times each value hash was seen, in a group: an open-addressing table in two plain
 * arrays (kept at most half full). A Map did the same at several cache misses per lookup on
 * the ingest path; this is one or two. Plain arrays rather than typed ones: most groups hold
 * a handful of values, and a small typed array past 64 bytes costs an off-heap allocation.
 * Bounded: past `maxSize` values, new ones are counted as seen once and not remembered.
 */
export class ValueCounts {
  /** Hash + 1 per slot (0: empty), and its count. */
  private keys: number[]
  private counts: number[]
  private mask: number
  size = 0

  constructor(
    private readonly maxSize: number,
    capacity = 8,
  ) {
    this.keys = zeros(capacity)
    this.counts = zeros(capacity)
    this.mask = capacity - 1
  }

  /** Counts `key` once more; returns how many times it has now been seen. */
  add(key: number): number {
    const stored = key + 1
    const keys = this.keys
    let slot = (key >>> 0) & this.mask
    for (;;) {
      const found = keys[slot]!
      if (found === stored) return ++this.counts[slot]!
      if (found === 0) break
      slot = (slot + 1) & this.mask
    }
    if (this.size >= this.maxSize) return 1
    keys[slot] = stored
    this.counts[slot] = 1
    if (++this.size * 2 > keys.length) this.grow()
    return 1
  }

  /** How many times `key` was seen (0 if never, or not remembered). */
  get(key: number): number {
    const stored = key + 1
    const keys = this.keys
    for (let slot = (key >>> 0) & this.mask; ; slot = (slot + 1) & this.mask) {
      const found = keys[slot]!
      if (found === stored) return this.counts[slot]!
      if (found === 0) return 0
    }
  }

  private grow(): void {
    const oldKeys = this.keys
    const oldCounts = this.counts
    this.keys = zeros(oldKeys.length * 2)
    this.counts = zeros(oldKeys.length * 2)
    this.mask = this.keys.length - 1
    for (let i = 0; i < oldKeys.length; i++) {
      const stored = oldKeys[i]!
      if (stored === 0) continue
      let slot = ((stored - 1) >>> 0) & this.mask
      while (this.keys[slot] !== 0) slot = (slot + 1) & this.mask
      this.keys[slot] = stored
      this.counts[slot] = oldCounts[i]!
    }
  }
}

function zeros(length: number): number[] {
  const array: number[] = []
  for (let i = 0; i < length; i++) array.push(0)
  return array
}
