/**
 * One shape template: a text the lexer has read, as an anchored pattern that matches the
 * texts it would read into the same tokens, with other values (see `templates.ts` for the
 * store, and why a match cannot change the shape).
 *
 * A template has slots where the text had values:
 * - a value: one plain literal (a number, with the template's own sign if it had one; a
 *   string without escapes);
 * - a list: the items of an `IN (...)` list, any number of them, each a plain number or
 *   string (the lexer collapses such a list to `IN (?+)` whatever its length);
 * - rows: the rows of a `VALUES (...), (...)` clause, any number of them, each with the
 *   template's row's number of plain items (the lexer keeps one of identical rows);
 * - a comment: where the template had a block comment, any other the lexer skips the same
 *   way (SQL commenters put a trace id in every query's comment).
 * A list or rows slot changes two counts with its length (`inListItems`, `collapsedRows`),
 * so a match counts its items; and before a template takes one, the lexer reads the text
 * with that list or those rows shortened to one item and lengthened to two: both must come
 * out as the same shape, with the counts the template will compute.
 */
import type { DialectRules } from './dialect'
import {
  FingerprintResult,
  type LiteralSource,
  type LiteralSpans,
  MAX_LITERALS,
  normalise,
} from './normalise'

const VALUE = 0
const LIST = 1
const ROWS = 2
/** A block comment: any other comment the lexer skips the same way will do (no value). */
const COMMENT = 3

// What a slot's value looks like. Nothing after a slot needs checking for what the lexer
// would have read into it (an exponent, letters, a second quote): the template's next run
// follows, and the lexer stopped before its first char when it read the template's own
// text. A number keeps its template's form, though: after `4.5` a `.` is the next token,
// after `4` the lexer reads it into the number (`4.`).
const INTEGER = '\\d+'
const DECIMAL = '\\d+\\.\\d+'
const DIGITS = '\\d+(?:\\.\\d+)?'
/** Between list items and between rows, as ORMs write them (the lexer ignores the space). */
const SEPARATOR = ', ?'
/**
 * A block comment with no `*\/` or `/*` inside (so it ends where the lexer's does, nesting
 * or not), and not MySQL's executable `/*!` or `/*M!`, whose content is SQL.
 */
const ANY_COMMENT = {
  before: '',
  body: '/\\*(?!M?!)(?:[^*/]|\\*(?!/)|/(?!\\*))*\\*/',
  after: '',
}

const IN_BEFORE = /(?:^|[^\w$@#"`\]])in ?$/i
const VALUES_BEFORE = /(?:^|[^\w$@#"`\]])values ?$/i

/** A slot's pattern: its value (`body`, captured where the value is wanted) between two fixed parts. */
interface SlotPattern {
  before: string
  body: string
  after: string
}

/** How a dialect's values look in a pattern. */
export class SlotPatterns {
  readonly singleQuoted: SlotPattern
  readonly doubleQuoted: SlotPattern
  /** One list item or row item, not captured: a number (`-` allowed) or a plain string. */
  readonly item: string
  readonly doubleQuotedStrings: boolean

  constructor(readonly rules: DialectRules) {
    this.doubleQuotedStrings = rules.doubleQuotedStrings
    // Where backslashes escape, a plain string has none.
    const body = rules.backslashEscapes ? "[^'\\\\]*" : "[^']*"
    this.singleQuoted = { before: "'", body, after: "'" }
    // MySQL's "text" always takes backslash escapes.
    this.doubleQuoted = { before: '"', body: '[^"\\\\]*', after: '"' }
    this.item = `(?:-?${DIGITS}|'${body}')`
  }
}

interface Slot {
  kind: number
  /** The literals (spans) it covers: [firstLiteral, endLiteral). */
  firstLiteral: number
  endLiteral: number
  /** Where it is in the template's text. */
  start: number
  end: number
  pattern: SlotPattern
  /** For a list or rows slot: its text with one item (row), and with two. */
  one: string
  two: string
}

export class ShapeTemplate implements LiteralSource {
  private constructor(
    /** Captures every slot's value: for the literals. */
    private readonly pattern: RegExp,
    /**
     * Captures only list and rows slots, for their counts; null when there are none, and a
     * match is `pattern.test`.
     */
    private readonly counter: RegExp | null,
    private readonly slots: Slot[],
    /** The fingerprint of the text the template was made from. */
    readonly result: FingerprintResult,
    /** `inListItems` / `collapsedRows` with every list and rows slot one item long. */
    private readonly baseInListItems: number,
    private readonly baseRows: number,
  ) {}

  /**
   * The template of `text` (just read by the lexer into `result`; `spans`: where its
   * literals are), or null when none of its literals can be a slot. With `lists`, its IN
   * lists and VALUES rows become list and rows slots where they can; without, their items
   * are value slots, and a match is one `test` (no captures, no counting): the faster kind
   * while the lists keep their length.
   */
  static from(
    text: string,
    result: FingerprintResult,
    spans: LiteralSpans,
    patterns: SlotPatterns,
    lists: boolean,
  ): ShapeTemplate | null {
    // A copy: `spans` is the lexer's scratch, which the checks below lex over.
    spans = {
      starts: spans.starts.slice(0, spans.count),
      ends: spans.ends.slice(0, spans.count),
      count: spans.count,
      commentStarts: spans.commentStarts.slice(0, spans.commentCount),
      commentEnds: spans.commentEnds.slice(0, spans.commentCount),
      commentCount: spans.commentCount,
    }
    let slots = findSlots(text, spans, patterns, lists)
    let counts = slots.some((slot) => slot.kind !== VALUE)
    let baseInListItems = result.inListItems
    let baseRows = result.collapsedRows
    if (counts) {
      const checked = checkCounts(text, result, slots, patterns.rules)
      if (checked === null) {
        slots = findSlots(text, spans, patterns, false)
        counts = false
      } else {
        baseInListItems = checked.inListItems
        baseRows = checked.rows
      }
    }
    if (slots.length === 0) return null
    slots = withComments(slots, spans)
    const source = (capture: (slot: Slot) => boolean) => {
      let out = '^'
      let from = 0
      for (const slot of slots) {
        const { before, body, after } = slot.pattern
        const value = capture(slot) ? `(${body})` : `(?:${body})`
        out += escapeForPattern(text.slice(from, slot.start)) + before + value + after
        from = slot.end
      }
      return `${out}${escapeForPattern(text.slice(from))}$`
    }
    return new ShapeTemplate(
      new RegExp(source((slot) => slot.kind !== COMMENT)),
      counts ? new RegExp(source((slot) => slot.kind === LIST || slot.kind === ROWS)) : null,
      slots,
      result,
      baseInListItems,
      baseRows,
    )
  }

  /**
   * The fingerprint of `text` if it matches, else null. Its literals are read out of the
   * text when first asked for (a second run of the pattern, with captures).
   */
  match(text: string): FingerprintResult | null {
    const made = this.result
    let inListItems = made.inListItems
    let rows = made.collapsedRows
    const counter = this.counter
    if (counter === null) {
      if (!this.pattern.test(text)) return null
    } else {
      const groups = counter.exec(text)
      if (groups === null) return null
      inListItems = this.baseInListItems
      rows = this.baseRows
      let group = 1
      for (let s = 0; s < this.slots.length; s++) {
        const kind = this.slots[s]!.kind
        if (kind === LIST) {
          const items = countOutsideQuotes(groups[group++]!, 44) + 1
          if (items > inListItems) inListItems = items
        } else if (kind === ROWS) {
          const count = countOutsideQuotes(groups[group++]!, 40)
          if (count > rows) rows = count
        }
      }
    }
    return new FingerprintResult(
      made.id,
      made.text,
      made.statement,
      rows,
      inListItems,
      null,
      made.placeholders,
      made.paginated,
      text,
      this,
    )
  }

  /** The literals of a text this template matched, as the lexer lists them. */
  literalsOf(text: string): string[] {
    const groups = this.pattern.exec(text)!
    const fixed = this.result.literals
    const literals: string[] = []
    let k = 0
    let group = 1
    for (let s = 0; s < this.slots.length; s++) {
      const slot = this.slots[s]!
      if (slot.kind === COMMENT) continue
      while (k < slot.firstLiteral) literals.push(fixed[k++]!)
      if (slot.kind === VALUE) literals.push(groups[group++]!)
      else pushItems(groups[group++]!, literals)
      k = slot.endLiteral
    }
    while (k < fixed.length) literals.push(fixed[k++]!)
    if (literals.length > MAX_LITERALS) literals.length = MAX_LITERALS
    return literals
  }
}

/** The slots of a text, in order; lists and rows only with `lists`. */
function findSlots(
  text: string,
  spans: LiteralSpans,
  patterns: SlotPatterns,
  lists: boolean,
): Slot[] {
  const slots: Slot[] = []
  let k = 0
  while (k < spans.count) {
    const run = lists
      ? (rowsAt(text, spans, k, patterns) ?? listAt(text, spans, k, patterns))
      : null
    if (run !== null) {
      slots.push(run)
      k = run.endLiteral
      continue
    }
    const start = spans.starts[k]!
    const end = spans.ends[k]!
    const pattern = valuePattern(text, start, end, patterns)
    if (pattern !== null) {
      slots.push({
        kind: VALUE,
        firstLiteral: k,
        endLiteral: k + 1,
        start,
        end,
        pattern,
        one: '',
        two: '',
      })
    }
    k++
  }
  return slots
}

/**
 * `slots` with a comment slot for each block comment the lexer noted, in text order. Only
 * with a value slot already there: a text that differs from its siblings only in a comment
 * (as SQL commenters write them) has one of those, and comments alone are not worth a
 * pattern.
 */
function withComments(slots: Slot[], spans: LiteralSpans): Slot[] {
  if (spans.commentCount === 0) return slots
  const merged: Slot[] = []
  let s = 0
  let literalsBefore = 0
  for (let c = 0; c < spans.commentCount; c++) {
    const start = spans.commentStarts[c]!
    const end = spans.commentEnds[c]!
    while (s < slots.length && slots[s]!.start < start) merged.push(slots[s++]!)
    if (merged.length > 0 && merged[merged.length - 1]!.end > start) continue
    while (literalsBefore < spans.count && spans.starts[literalsBefore]! < start) literalsBefore++
    merged.push({
      kind: COMMENT,
      firstLiteral: literalsBefore,
      endLiteral: literalsBefore,
      start,
      end,
      pattern: ANY_COMMENT,
      one: '',
      two: '',
    })
  }
  while (s < slots.length) merged.push(slots[s++]!)
  return merged
}

/** The pattern of a value slot for the literal at [start, end), or null to keep it as text. */
function valuePattern(
  text: string,
  start: number,
  end: number,
  patterns: SlotPatterns,
): SlotPattern | null {
  const first = text.charCodeAt(start)
  if (first === 39 || (first === 34 && patterns.doubleQuotedStrings)) {
    if (!isPlainQuoted(text, start, end)) return null
    return first === 39 ? patterns.singleQuoted : patterns.doubleQuoted
  }
  // A signed value keeps the template's sign: `-` after a `-` would start a comment.
  const sign = first === 45 ? '-' : first === 43 ? '\\+' : ''
  const form = plainNumber(text, sign === '' ? start : start + 1, end)
  if (form === NOT_A_NUMBER) return null
  return { before: '', body: sign + (form === AN_INTEGER ? INTEGER : DECIMAL), after: '' }
}

/** A literal that can be a list or row item: a plain number (`-` allowed) or plain string. */
function isItem(text: string, start: number, end: number): boolean {
  const first = text.charCodeAt(start)
  if (first === 39) return isPlainQuoted(text, start, end)
  return plainNumber(text, first === 45 ? start + 1 : start, end) !== NOT_A_NUMBER
}

/**
 * The quoted literal at [start, end) has nothing escaped: its only quote inside is the
 * closing one, and it has no backslash (which escapes where the dialect says so).
 */
function isPlainQuoted(text: string, start: number, end: number): boolean {
  const quote = text[start]!
  if (end - start < 2 || text.indexOf(quote, start + 1) !== end - 1) return false
  return !text.slice(start, end).includes('\\')
}

/**
 * Items from literal `k` on, separated by `,` or `, `, up to a `)`: the index past the last
 * one, or -1 (`k` starts right after a `(`).
 */
function itemsFrom(text: string, spans: LiteralSpans, k: number): number {
  for (let j = k; j < spans.count; j++) {
    const end = spans.ends[j]!
    if (!isItem(text, spans.starts[j]!, end)) return -1
    if (text.charCodeAt(end) === 41) return j + 1
    if (j + 1 >= spans.count) return -1
    const between = text.slice(end, spans.starts[j + 1]!)
    if (between !== ',' && between !== ', ') return -1
  }
  return -1
}

/** An `IN (...)` list of items whose first item is literal `k`, or null. */
function listAt(text: string, spans: LiteralSpans, k: number, patterns: SlotPatterns): Slot | null {
  const open = spans.starts[k]! - 1
  if (text.charCodeAt(open) !== 40 || !IN_BEFORE.test(text.slice(Math.max(0, open - 4), open))) {
    return null
  }
  const endLiteral = itemsFrom(text, spans, k)
  if (endLiteral < 0) return null
  const first = text.slice(spans.starts[k]!, spans.ends[k]!)
  return {
    kind: LIST,
    firstLiteral: k,
    endLiteral,
    start: open + 1,
    end: spans.ends[endLiteral - 1]!,
    pattern: { before: '', body: `${patterns.item}(?:${SEPARATOR}${patterns.item})*`, after: '' },
    one: first,
    two: `${first}, ${first}`,
  }
}

/**
 * A whole `VALUES (...), (...)` clause of rows of items whose first item is literal `k`, or
 * null. The clause must be only these rows: a row of another kind after them counts too.
 */
function rowsAt(text: string, spans: LiteralSpans, k: number, patterns: SlotPatterns): Slot | null {
  const open = spans.starts[k]! - 1
  if (
    text.charCodeAt(open) !== 40 ||
    !VALUES_BEFORE.test(text.slice(Math.max(0, open - 8), open))
  ) {
    return null
  }
  let perRow = -1
  let j = k
  for (;;) {
    const rowEnd = itemsFrom(text, spans, j)
    if (rowEnd < 0 || (perRow >= 0 && rowEnd - j !== perRow)) return null
    if (perRow < 0) perRow = rowEnd - k
    const close = spans.ends[rowEnd - 1]!
    const next = rowEnd < spans.count ? text.slice(close + 1, spans.starts[rowEnd]!) : ''
    if (next === ',(' || next === ', (') {
      j = rowEnd
      continue
    }
    if (/^\s*,/.test(text.slice(close + 1))) return null
    const row = `\\(${patterns.item}(?:${SEPARATOR}${patterns.item}){${perRow - 1}}\\)`
    const first = text.slice(open, spans.ends[k + perRow - 1]! + 1)
    return {
      kind: ROWS,
      firstLiteral: k,
      endLiteral: rowEnd,
      start: open,
      end: close + 1,
      pattern: { before: '', body: `${row}(?:${SEPARATOR}${row})*`, after: '' },
      one: first,
      two: `${first}, ${first}`,
    }
  }
}

/**
 * Reads the text with every list and rows slot one item (row) long, then two: null unless
 * both are the template's shape with the counts a match will compute; else the counts of
 * the one-item text (what the rest of the text contributes, at least 1).
 */
function checkCounts(
  text: string,
  result: FingerprintResult,
  slots: Slot[],
  rules: DialectRules,
): { inListItems: number; rows: number } | null {
  const variant = (length: 'one' | 'two') => {
    let out = ''
    let from = 0
    for (const slot of slots) {
      if (slot.kind === VALUE) continue
      out += text.slice(from, slot.start) + slot[length]
      from = slot.end
    }
    return normalise(out + text.slice(from), rules)
  }
  const one = variant('one')
  const two = variant('two')
  const hasList = slots.some((slot) => slot.kind === LIST)
  const hasRows = slots.some((slot) => slot.kind === ROWS)
  if (one.id !== result.id || two.id !== result.id) return null
  if (two.inListItems !== (hasList ? Math.max(one.inListItems, 2) : one.inListItems)) return null
  if (two.collapsedRows !== (hasRows ? Math.max(one.collapsedRows, 2) : one.collapsedRows)) {
    return null
  }
  return { inListItems: one.inListItems, rows: one.collapsedRows }
}

/** How many times `code` occurs in `region` outside single-quoted strings. */
function countOutsideQuotes(region: string, code: number): number {
  let count = 0
  for (let i = 0; i < region.length; i++) {
    const c = region.charCodeAt(i)
    if (c === 39) i = region.indexOf("'", i + 1)
    else if (c === code) count++
  }
  return count
}

/** Appends the values of the items in a list or rows region (strings unquoted). */
function pushItems(region: string, literals: string[]): void {
  for (let i = 0; i < region.length;) {
    const c = region.charCodeAt(i)
    if (c === 39) {
      const close = region.indexOf("'", i + 1)
      literals.push(region.slice(i + 1, close))
      i = close + 1
    } else if (c === 45 || isDigit(c)) {
      let j = i + 1
      while (j < region.length && (isDigit(region.charCodeAt(j)) || region.charCodeAt(j) === 46))
        j++
      literals.push(region.slice(i, j))
      i = j
    } else {
      i++
    }
  }
}

const NOT_A_NUMBER = 0
const AN_INTEGER = 1
const A_DECIMAL = 2

/** What [start, end) is: digits (`12`), digits with a fraction (`12.5`), or neither. */
function plainNumber(text: string, start: number, end: number): number {
  let j = start
  while (j < end && isDigit(text.charCodeAt(j))) j++
  if (j === start) return NOT_A_NUMBER
  if (j === end) return AN_INTEGER
  if (text.charCodeAt(j) !== 46) return NOT_A_NUMBER
  const fraction = ++j
  while (j < end && isDigit(text.charCodeAt(j))) j++
  return j > fraction && j === end ? A_DECIMAL : NOT_A_NUMBER
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57
}

/** `text` as a pattern that matches it exactly. */
function escapeForPattern(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')
}
