/**
 * One shared copy of values that repeat: the first value seen under a key is kept and
 * returned for every later one. Bounded: when full it starts over, so values that never
 * repeat (literal-laden SQL, one-off contexts) cannot grow it without limit.
 */
export class Interner<T> {
  private readonly values = new Map<string, T>()

  constructor(private readonly maxSize: number) {}

  intern(key: string, value: T): T {
    return this.internWith(key, () => value)
  }

  /** Like `intern`, but builds the kept value only the first time the key is seen. */
  internWith(key: string, make: () => T): T {
    const existing = this.values.get(key)
    if (existing !== undefined) return existing
    if (this.values.size >= this.maxSize) this.values.clear()
    const value = make()
    this.values.set(key, value)
    return value
  }

  clear(): void {
    this.values.clear()
  }
}
