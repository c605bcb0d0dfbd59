/**
 * A streaming reader for one JSON object whose arrays may be too large to hold as one string
 * (a session file's `queries`). Chunks of bytes go in (`write`, then `end`); out come the
 * object's fields as they complete:
 *
 *   bytes ─▶ envelope tokenizer ─▶ field "format"  ─▶ handler.value(key, parsed value)
 *            (keys, `:`, `,`, `{}`)  field "queries" ─▶ elements, scanned for their extent,
 *                                                      parsed a chunk's worth at a time
 *                                                      ─▶ handler.elements(key, values, ...)
 *
 * The tokenizer reads the envelope byte by byte and checks its grammar itself. Inside a value
 * it only follows strings and brackets to find where the value ends, then hands the bytes to
 * `JSON.parse`, which checks the rest: all the complete elements of one chunk are parsed in
 * one call (`[` + their bytes + `]`), and only when that fails is each parsed alone to name
 * the bad one. Structural bytes are ASCII and never occur inside a multi-byte UTF-8
 * sequence, so the scan works on bytes and decoding happens once per batch.
 *
 * Arrays written one element per line (as the session writer does) skip even that scan: a
 * raw newline cannot occur inside a JSON string, so the text from an element's start to the
 * buffer's last newline (less a trailing comma) is either a list of complete elements, which
 * `JSON.parse` then accepts, or it is not, and the scanner takes over for the rest of that
 * array. Only when an element turns out to be invalid are the batch's offsets worked out.
 *
 * Only the bytes of the value being read are kept between chunks, never the file: a value
 * larger than `maxValueBytes` or a string longer than `maxStringBytes` stops the read there.
 * Every error carries the byte offset and the JSON path where it happened.
 */

/** How the reader treats the value of a top-level field. */
export type FieldMode =
  /** Parse it whole and pass it to `handler.value`. */
  | 'value'
  /** It must be an array: pass its elements to `handler.elements`, a batch at a time. */
  | 'elements'
  /** Check where it ends, keep nothing (a second pass will read it). */
  | 'skip'

export interface EnvelopeHandler {
  /** A top-level field name was read (at `offset`); says how to read its value. */
  field(key: string, offset: number): FieldMode
  /** A `value` field's parsed value; `offset` is where the value starts. */
  value(key: string, value: unknown, offset: number): void
  /**
   * Elements of an `elements` field, in order, from index `firstIndex`; `offsetOf(k)` is the
   * byte offset of `values[k]` (worked out on demand: call it only to report a problem, and
   * only before returning).
   */
  elements(key: string, values: unknown[], firstIndex: number, offsetOf: OffsetOf): void
  /** An `elements` array is complete: `count` elements. */
  arrayEnd(key: string, count: number): void
}

export type OffsetOf = (index: number) => number

export interface JsonStreamLimits {
  /** Longest string (in bytes, as written, escapes included) anywhere in the document. */
  maxStringBytes: number
  /** Largest single value: a field's value, or one element of an `elements` array. */
  maxValueBytes: number
}

/** Bad JSON, or JSON over a limit: what, at which byte, and at which path. */
export class JsonStreamError extends Error {
  constructor(
    /** What is wrong, without the location. */
    readonly problem: string,
    /** Byte offset in the input (0-based). */
    readonly offset: number,
    /** Where in the document: `queries[12]`, `session`, or `` for the envelope itself. */
    readonly path: string,
  ) {
    super(`${problem} (${path ? `${path}, ` : ''}at byte ${offset})`)
  }
}

// Where the tokenizer is between two bytes.
const S_DOC_START = 0
/** After `{`: a field name or `}`. */
const S_FIRST_KEY = 1
/** After `,` in the envelope: a field name. */
const S_NEXT_KEY = 2
const S_IN_KEY = 3
const S_COLON = 4
const S_VALUE_START = 5
const S_IN_VALUE = 6
/** After a field's value: `,` or `}`. */
const S_AFTER_FIELD = 7
/** After `[`: an element or `]`. */
const S_FIRST_ELEMENT = 8
/** After `,` in an array: an element. */
const S_NEXT_ELEMENT = 9
const S_IN_ELEMENT = 10
/** After an element: `,` or `]`. */
const S_AFTER_ELEMENT = 11
const S_DOC_END = 12

const QUOTE = 0x22
const BACKSLASH = 0x5c
const LBRACE = 0x7b
const RBRACE = 0x7d
const LBRACKET = 0x5b
const RBRACKET = 0x5d
const COMMA = 0x2c
const COLON = 0x3a
const NEWLINE = 0x0a
const BOM = [0xef, 0xbb, 0xbf]

/** JSON whitespace. */
const SPACE = new Uint8Array(256)
for (const code of [0x20, 0x09, 0x0a, 0x0d]) SPACE[code] = 1
/** Bytes that end a number or literal (`true`, `null`, ...). */
const ENDS_SCALAR = new Uint8Array(256)
for (const code of [0x20, 0x09, 0x0a, 0x0d, COMMA, RBRACE, RBRACKET, COLON, LBRACE, LBRACKET]) {
  ENDS_SCALAR[code] = 1
}
ENDS_SCALAR[QUOTE] = 1

const MAX_KEY_BYTES = 1024
const MAX_MESSAGE_SNIPPET = 200

export class JsonEnvelopeStream {
  private state = S_DOC_START
  /** The unfinished value's (or key's) bytes, carried into the next chunk. */
  private pending: Buffer | null = null
  /** Absolute offset of the first byte of the buffer being read (`pending`'s, then the chunk's). */
  private base = 0
  private started = false

  private key = ''
  private keyStart = 0
  private mode: FieldMode = 'value'

  // The value being scanned (absolute offsets).
  private valueStart = 0
  private depth = 0
  private inString = false
  private escaped = false
  private scalar = false
  private stringStart = 0

  // The array being read.
  /** Elements of it scanned so far. */
  private index = 0
  /** This buffer's complete elements not yet handed over: their offsets, and where the last ends. */
  private batchOffsets: number[] = []
  private batchEnd = 0
  /** Whether the current array is still read a line at a time (see the top). */
  private byLines = true

  constructor(
    private readonly handler: EnvelopeHandler,
    private readonly limits: JsonStreamLimits,
  ) {}

  /** Bytes read so far. */
  get bytes(): number {
    return this.base + (this.pending?.length ?? 0)
  }

  /** Reads the next chunk. Throws JsonStreamError, or what the handler throws. */
  write(chunk: Buffer): void {
    let b = chunk
    let i = 0
    if (this.pending !== null) {
      b = Buffer.concat([this.pending, chunk])
      i = this.pending.length
      this.pending = null
    }
    const n = b.length
    if (n > 0) this.started = true

    scan: while (i < n) {
      switch (this.state) {
        case S_IN_ELEMENT:
        case S_IN_VALUE: {
          const end = this.scanValue(b, i, n)
          if (end < 0) break scan
          i = end
          this.valueEnded(b, end)
          break
        }
        case S_AFTER_ELEMENT: {
          while (i < n && SPACE[b[i]!] === 1) i++
          if (i === n) break scan
          const c = b[i]!
          if (c === COMMA) {
            this.state = S_NEXT_ELEMENT
            i++
          } else if (c === RBRACKET) {
            this.flushElements(b)
            this.handler.arrayEnd(this.key, this.index)
            this.state = S_AFTER_FIELD
            i++
          } else {
            throw this.unexpected(b, i, `"," or "]" after ${this.elementPath()}`)
          }
          break
        }
        case S_NEXT_ELEMENT:
        case S_FIRST_ELEMENT: {
          while (i < n && SPACE[b[i]!] === 1) i++
          if (i === n) break scan
          if (b[i] === RBRACKET) {
            if (this.state === S_NEXT_ELEMENT) {
              throw this.syntax(`a "," before "]" (an element is missing)`, i)
            }
            this.handler.arrayEnd(this.key, 0)
            this.state = S_AFTER_FIELD
            i++
            break
          }
          if (this.byLines && this.mode === 'elements') {
            const next = this.readLines(b, i, n)
            if (next > i) {
              i = next
              break
            }
          }
          this.startValue(b, i, S_IN_ELEMENT)
          i = this.scalar ? i : i + 1
          break
        }
        case S_IN_KEY: {
          const end = this.scanString(b, i, n, MAX_KEY_BYTES)
          if (end < 0) break scan
          this.key = JSON.parse(b.toString('utf8', this.keyStart - this.base, end)) as string
          this.state = S_COLON
          i = end
          break
        }
        case S_FIRST_KEY:
        case S_NEXT_KEY: {
          while (i < n && SPACE[b[i]!] === 1) i++
          if (i === n) break scan
          const c = b[i]!
          if (c === QUOTE) {
            this.keyStart = this.base + i
            this.stringStart = this.keyStart
            this.inString = true
            this.state = S_IN_KEY
            i++
          } else if (c === RBRACE && this.state === S_FIRST_KEY) {
            this.state = S_DOC_END
            i++
          } else {
            throw this.unexpected(
              b,
              i,
              this.state === S_FIRST_KEY ? 'a field name or "}"' : 'a field name after ","',
            )
          }
          break
        }
        case S_COLON: {
          while (i < n && SPACE[b[i]!] === 1) i++
          if (i === n) break scan
          if (b[i] !== COLON) throw this.unexpected(b, i, `":" after the field name "${this.key}"`)
          this.state = S_VALUE_START
          i++
          break
        }
        case S_VALUE_START: {
          while (i < n && SPACE[b[i]!] === 1) i++
          if (i === n) break scan
          this.mode = this.handler.field(this.key, this.keyStart)
          if (this.mode === 'elements') {
            if (b[i] !== LBRACKET) {
              throw this.syntax(`"${this.key}" must be an array`, i, this.key)
            }
            this.index = 0
            this.byLines = true
            this.state = S_FIRST_ELEMENT
            i++
            break
          }
          this.startValue(b, i, S_IN_VALUE)
          i = this.scalar ? i : i + 1
          break
        }
        case S_AFTER_FIELD: {
          while (i < n && SPACE[b[i]!] === 1) i++
          if (i === n) break scan
          const c = b[i]!
          if (c === COMMA) this.state = S_NEXT_KEY
          else if (c === RBRACE) this.state = S_DOC_END
          else throw this.unexpected(b, i, `"," or "}" after the value of "${this.key}"`)
          i++
          break
        }
        case S_DOC_START: {
          // A UTF-8 byte order mark, as some editors write one.
          while (i < n && this.base + i < 3 && b[i] === BOM[this.base + i]) i++
          while (i < n && SPACE[b[i]!] === 1) i++
          if (i === n) break scan
          if (b[i] !== LBRACE) throw this.unexpected(b, i, 'a JSON object ("{")')
          this.state = S_FIRST_KEY
          i++
          break
        }
        case S_DOC_END: {
          while (i < n && SPACE[b[i]!] === 1) i++
          if (i === n) break scan
          throw this.syntax(`unexpected data after the end of the object`, i)
        }
      }
    }

    this.flushElements(b)
    // Keep the unfinished value's bytes (not in `skip` mode: nothing needs them).
    let keepFrom = n
    if (this.state === S_IN_KEY) keepFrom = this.keyStart - this.base
    else if ((this.state === S_IN_VALUE || this.state === S_IN_ELEMENT) && this.mode !== 'skip') {
      keepFrom = this.valueStart - this.base
      if (n - keepFrom > this.limits.maxValueBytes) throw this.valueTooLarge()
    }
    if (keepFrom < n) this.pending = b.subarray(keepFrom)
    this.base += keepFrom
  }

  /** The input is complete: throws unless the object was. */
  end(): void {
    if (this.state === S_DOC_END) return
    const at = this.bytes
    if (!this.started || (this.state === S_DOC_START && at === 0)) {
      throw new JsonStreamError('not valid JSON: the file is empty', 0, '')
    }
    if (this.state === S_DOC_START) {
      throw new JsonStreamError('not valid JSON: no JSON object in the file', at, '')
    }
    throw new JsonStreamError(
      `not valid JSON: the file ends inside ${this.whereInside()} (truncated?)`,
      at,
      this.currentPath(),
    )
  }

  // --- values --------------------------------------------------------------------------

  private startValue(b: Buffer, i: number, state: number): void {
    const c = b[i]!
    this.valueStart = this.base + i
    this.state = state
    this.depth = 0
    this.scalar = false
    if (c === QUOTE) {
      this.inString = true
      this.stringStart = this.valueStart
    } else if (c === LBRACE || c === LBRACKET) {
      this.depth = 1
    } else if (ENDS_SCALAR[c] === 1) {
      throw this.unexpected(b, i, `a value for ${this.currentPath()}`)
    } else {
      this.scalar = true
    }
  }

  /** Scans on from `i`; the index just past the value's end, or -1 when the buffer ends first. */
  private scanValue(b: Buffer, i: number, n: number): number {
    if (this.scalar) {
      while (i < n && ENDS_SCALAR[b[i]!] !== 1) i++
      if (i === n) return -1
      this.scalar = false
      return i
    }
    if (this.inString) {
      i = this.scanString(b, i, n, this.limits.maxStringBytes)
      if (i < 0) return -1
      if (this.depth === 0) return i
    }
    let depth = this.depth
    while (i < n) {
      const c = b[i++]!
      if (c === QUOTE) {
        this.stringStart = this.base + i - 1
        this.inString = true
        i = this.scanString(b, i, n, this.limits.maxStringBytes)
        if (i < 0) {
          this.depth = depth
          return -1
        }
      } else if (c === LBRACE || c === LBRACKET) {
        depth++
      } else if (c === RBRACE || c === RBRACKET) {
        if (--depth === 0) {
          this.depth = 0
          return i
        }
      }
    }
    this.depth = depth
    return -1
  }

  /** Scans a string's body from `i`; the index past its closing quote, or -1 at the buffer's end. */
  private scanString(b: Buffer, i: number, n: number, max: number): number {
    if (this.escaped) {
      this.escaped = false
      i++
    }
    while (i < n) {
      const c = b[i]!
      if (c === QUOTE) {
        this.inString = false
        if (this.base + i - this.stringStart > max) throw this.stringTooLong(max)
        return i + 1
      }
      if (c === BACKSLASH) {
        if (i + 1 === n) {
          this.escaped = true
          break
        }
        i += 2
      } else {
        i++
      }
    }
    if (this.base + n - this.stringStart > max) throw this.stringTooLong(max)
    return -1
  }

  private valueEnded(b: Buffer, end: number): void {
    if (this.mode !== 'skip' && this.base + end - this.valueStart > this.limits.maxValueBytes) {
      throw this.valueTooLarge()
    }
    if (this.state === S_IN_ELEMENT) {
      if (this.mode === 'elements') {
        this.batchOffsets.push(this.valueStart)
        this.batchEnd = end
      }
      this.index++
      this.state = S_AFTER_ELEMENT
      return
    }
    if (this.mode === 'value') {
      const start = this.valueStart - this.base
      const text = b.toString('utf8', start, end)
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch (error) {
        throw this.parseError(error, text, this.valueStart, this.key)
      }
      this.handler.value(this.key, value, this.valueStart)
    }
    this.state = S_AFTER_FIELD
  }

  /** Hands this buffer's complete elements to the handler, parsed in one call. */
  private flushElements(b: Buffer): void {
    const offsets = this.batchOffsets
    if (offsets.length === 0) return
    // Every element of the batch ends in this buffer; the first may have begun in the last one
    // (then the buffer begins with it).
    const text = b.toString('utf8', offsets[0]! - this.base, this.batchEnd)
    let values: unknown[] | undefined
    try {
      values = JSON.parse(`[${text}]`) as unknown[]
    } catch {
      values = undefined
    }
    // The scanner has checked the separators, so the parser sees exactly these elements.
    if (values === undefined || values.length !== offsets.length) {
      this.findBadElement(b)
      throw new JsonStreamError('not valid JSON', offsets[0]!, this.elementPath())
    }
    this.batchOffsets = []
    this.handler.elements(this.key, values, this.index - offsets.length, (k) => offsets[k]!)
  }

  /**
   * Reads the complete lines of elements from `i` (an element's first byte) in one parse.
   * Returns where it stopped (`i` when it read nothing: the scanner reads on from there).
   */
  private readLines(b: Buffer, i: number, n: number): number {
    const cut = b.lastIndexOf(NEWLINE, n - 1)
    // Lines longer than a limit go through the scanner, which checks the limits.
    if (cut <= i || cut - i > Math.min(this.limits.maxStringBytes, this.limits.maxValueBytes)) {
      return i
    }
    let end = cut
    while (end > i && SPACE[b[end - 1]!] === 1) end--
    const next = end
    let comma = false
    if (b[end - 1] === COMMA) {
      comma = true
      end--
      while (end > i && SPACE[b[end - 1]!] === 1) end--
    }
    if (end <= i) return i
    let values: unknown[]
    try {
      values = JSON.parse(`[${b.toString('utf8', i, end)}]`) as unknown[]
    } catch {
      // Not one element per line (or a bad one): the scanner reads the rest of this array.
      this.byLines = false
      return i
    }
    this.flushElements(b)
    const first = this.index
    this.index += values.length
    this.state = comma ? S_NEXT_ELEMENT : S_AFTER_ELEMENT
    const base = this.base
    let offsets: number[] | undefined
    this.handler.elements(this.key, values, first, (k) => {
      offsets ??= elementStarts(b, i, end).map((start) => base + start)
      return offsets[k]!
    })
    return next
  }

  /** Parses the batch's elements one by one; throws for the first that is not JSON. */
  private findBadElement(b: Buffer): void {
    const offsets = this.batchOffsets
    const firstIndex = this.index - offsets.length
    for (let k = 0; k < offsets.length; k++) {
      const start = offsets[k]! - this.base
      let end = k + 1 < offsets.length ? offsets[k + 1]! - this.base : this.batchEnd
      if (k + 1 < offsets.length) {
        // Back over the separator: whitespace, one comma, whitespace.
        while (end > start && SPACE[b[end - 1]!] === 1) end--
        if (b[end - 1] === COMMA) end--
        while (end > start && SPACE[b[end - 1]!] === 1) end--
      }
      const text = b.toString('utf8', start, end)
      try {
        JSON.parse(text)
      } catch (error) {
        throw this.parseError(error, text, offsets[k]!, `${this.key}[${firstIndex + k}]`)
      }
    }
  }

  // --- errors --------------------------------------------------------------------------

  private parseError(error: unknown, text: string, offset: number, path: string): JsonStreamError {
    const raw = (error as Error).message
    // V8 gives a position for some errors only: find it for the others.
    const position = Number(/at position (\d+)/.exec(raw)?.[1] ?? firstSyntaxError(text))
    const at = offset + Buffer.byteLength(text.slice(0, position))
    let message = raw
      .replace(/,? ?(\.\.\.)?"[\s\S]*" is not valid JSON$/, '')
      .replace(/ in JSON at position \d+.*$/, '')
      .replace(/ \(line \d+ column \d+\)$/, '')
      .trim()
    if (message === '') message = `${snippet(text)} is not a JSON value`
    if (message.length > MAX_MESSAGE_SNIPPET) message = `${message.slice(0, MAX_MESSAGE_SNIPPET)}…`
    return new JsonStreamError(`not valid JSON: ${lowerFirst(message)}`, at, path)
  }

  private unexpected(b: Buffer, i: number, expected: string): JsonStreamError {
    return this.syntax(`expected ${expected}, found ${describeByte(b, i)}`, i)
  }

  private syntax(problem: string, i: number, path = this.currentPath()): JsonStreamError {
    return new JsonStreamError(`not valid JSON: ${problem}`, this.base + i, path)
  }

  private valueTooLarge(): JsonStreamError {
    return new JsonStreamError(
      `a value larger than the limit of ${bytes(this.limits.maxValueBytes)}`,
      this.valueStart,
      this.currentPath(),
    )
  }

  private stringTooLong(max: number): JsonStreamError {
    return new JsonStreamError(
      this.state === S_IN_KEY
        ? `a field name longer than ${bytes(max)}`
        : `a string longer than the limit of ${bytes(max)}`,
      this.stringStart,
      this.currentPath(),
    )
  }

  private elementPath(): string {
    return `${this.key}[${Math.max(0, this.index - 1)}]`
  }

  private currentPath(): string {
    switch (this.state) {
      case S_IN_ELEMENT:
        return `${this.key}[${this.index}]`
      case S_AFTER_ELEMENT:
      case S_FIRST_ELEMENT:
      case S_NEXT_ELEMENT:
        return this.key
      case S_IN_VALUE:
      case S_VALUE_START:
      case S_COLON:
        return this.key
      default:
        return ''
    }
  }

  private whereInside(): string {
    switch (this.state) {
      case S_IN_ELEMENT:
        return `${this.key}[${this.index}]`
      case S_FIRST_ELEMENT:
      case S_NEXT_ELEMENT:
      case S_AFTER_ELEMENT:
        return `the "${this.key}" array, after ${this.index} element${this.index === 1 ? '' : 's'}`
      case S_IN_VALUE:
      case S_VALUE_START:
      case S_COLON:
        return `the value of "${this.key}"`
      case S_IN_KEY:
        return 'a field name'
      default:
        return 'the object, before its closing "}"'
    }
  }
}

/**
 * Index of the first character of `text` that cannot continue a JSON value (`text.length`
 * when it ends too early). Only used to locate an error `JSON.parse` has already found.
 */
export function firstSyntaxError(text: string): number {
  let i = 0
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++
  }
  const fail = (): never => {
    throw i
  }
  const literal = (word: string) => {
    for (const char of word) {
      if (text.charAt(i) !== char) fail()
      i++
    }
  }
  const digits = () => {
    const start = i
    while (/[0-9]/.test(text.charAt(i))) i++
    if (i === start) fail()
  }
  const value = (): void => {
    space()
    const c = text.charAt(i)
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']'
      i++
      space()
      if (text.charAt(i) === close) return void i++
      for (;;) {
        if (c === '{') {
          if (text.charAt(i) !== '"') fail()
          value()
          space()
          if (text.charAt(i) !== ':') fail()
          i++
        }
        value()
        space()
        if (text.charAt(i) === close) return void i++
        if (text.charAt(i) !== ',') fail()
        i++
        space()
      }
    }
    if (c === '"') {
      for (i++; i < text.length; i++) {
        const d = text.charAt(i)
        if (d === '"') return void i++
        if (d < ' ') fail()
        if (d === '\\') {
          i++
          if (text.charAt(i) === 'u') {
            if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail()
            i += 4
          } else if (!'"\\/bfnrt'.includes(text.charAt(i)) || i >= text.length) fail()
        }
      }
      fail()
    }
    if (c === 't') return literal('true')
    if (c === 'f') return literal('false')
    if (c === 'n') return literal('null')
    if (c === '-') i++
    if (text.charAt(i) === '0') i++
    else digits()
    if (text.charAt(i) === '.') {
      i++
      digits()
    }
    if (text.charAt(i) === 'e' || text.charAt(i) === 'E') {
      i++
      if (text.charAt(i) === '+' || text.charAt(i) === '-') i++
      digits()
    }
  }
  try {
    value()
    space()
    return i < text.length ? i : text.length
  } catch (at) {
    return Math.min(at as number, text.length)
  }
}

/** Where each element of a comma-separated list of valid JSON values in b[from, to) starts. */
function elementStarts(b: Buffer, from: number, to: number): number[] {
  const starts = [from]
  let depth = 0
  for (let i = from; i < to; i++) {
    const c = b[i]!
    if (c === QUOTE) {
      for (i++; i < to && b[i] !== QUOTE; i++) if (b[i] === BACKSLASH) i++
    } else if (c === LBRACE || c === LBRACKET) {
      depth++
    } else if (c === RBRACE || c === RBRACKET) {
      depth--
    } else if (c === COMMA && depth === 0) {
      let start = i + 1
      while (start < to && SPACE[b[start]!] === 1) start++
      starts.push(start)
    }
  }
  return starts
}

function describeByte(b: Buffer, i: number): string {
  const c = b[i]!
  if (c >= 0x20 && c < 0x7f) return JSON.stringify(String.fromCharCode(c))
  return `byte 0x${c.toString(16).padStart(2, '0')}`
}

function snippet(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1)
}

/** `16 MiB`, `1,024 bytes`. */
export function bytes(count: number): string {
  if (count >= 1024 * 1024 && count % (1024 * 1024) === 0) return `${count / (1024 * 1024)} MiB`
  if (count >= 1024 && count % 1024 === 0) return `${count / 1024} KiB`
  return `${count.toLocaleString('en-US')} bytes`
}
