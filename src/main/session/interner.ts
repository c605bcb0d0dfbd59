/**
 * One shared copy of strings that repeat (SQL texts, connection ids): the first copy seen is
 * kept and returned for every later equal one. Bounded: when full it starts over, so texts
 * that never repeat (literal-laden SQL) cannot grow it without limit.
 */
export class Interner {
  private readonly values = new Map<string, string>()

  constructor(private readonly maxSize: number) {}

  /** The kept copy of `value`. */
  intern(value: string): string {
    const existing = this.values.get(value)
    if (existing !== undefined) return existing
    if (this.values.size >= this.maxSize) this.values.clear()
    this.values.set(value, value)
    return value
  }

  clear(): void {
    this.values.clear()
  }
}
