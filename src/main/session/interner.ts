/**
 * One shared copy of values that repeat: the first value seen under a key is kept and
 * returned for every later one. Bounded: when full it starts over, so values that never
 * repeat (literal-laden SQL, one-off contexts) cannot grow it without limit.
 */
export class Interner<T> {
  private readonly values = new Map<string, T>()

  constructor(private readonly maxSize: number) {}

  /** The kept copy of `value`, which is its own key. */
  intern(this: Interner<string>, value: string): string {
    const existing = this.values.get(value)
    if (existing !== undefined) return existing
    if (this.values.size >= this.maxSize) this.values.clear()
    this.values.set(value, value)
    return value
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
