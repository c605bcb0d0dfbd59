/**
 * Shape templates: the fast path for a text the cache has not seen whose shape it has.
 *
 * An app that inlines its values sends few shapes and endless texts: `... WHERE id = 7`,
 * `... WHERE id = 8`. Once the lexer has read two texts of a shape, a template remembers the
 * second one as its fixed source with the places of its literals open (slots). A new text
 * that has exactly that fixed source, and in every slot one plain literal of the same kind,
 * lexes to the same tokens, so it has the same fingerprint; only its literal values differ.
 *
 * The lexer decides every shape; a template never does. It is an exact match of text the
 * lexer has read, compiled once into an anchored pattern (`^fixed(slot)fixed(slot)...$`)
 * whose one native run checks the fixed chars, scans the slots and captures the values:
 * measured ~0.15 µs for an ORM query with six values, where the lexer and the writer take
 * ~1.5 µs. A text that does not match (other values' kinds, other spacing, a comment) goes
 * to the lexer.
 *
 * Why a match cannot change the shape: the lexer reads left to right, and what it makes of a
 * char depends on the chars before it and a bounded look at the next one or two. Before every
 * slot the text is the template's own; a slot holds only what the lexer reads as one literal
 * of the slot's kind (digits with an optional fraction, with the template's sign if it had
 * one; or a quoted string without escapes); and after each slot comes the template's own
 * next run, whose first char the lexer did not take into the literal before. Value tokens
 * never take part in the lexer's decisions by their text (lists and rows compare token
 * kinds). One lexer rule looks further ahead, past a value: `%(name)s` searches for its `)`,
 * which a string slot could hold, so texts with `%(` get no template. Literals a slot cannot
 * take (an escaped string, an exponent, a hex number, `TRUE`, a dollar-quoted string) stay
 * fixed text: the new text must have them exactly. `fingerprint-templates.test.ts` checks
 * matches against the lexer on the corpus with its values changed and with random edits.
 */
import type { DialectRules } from './dialect'
import { FingerprintResult, type LiteralSource, type LiteralSpans } from './normalise'

/** Chars of the prefix that picks a template's bucket. */
const KEY_LENGTH = 16
/** Templates tried per bucket, the last used first; more shapes with one prefix are dropped. */
const BUCKET_SIZE = 8
/**
 * Templates per generation (two generations, as the text cache keeps them): an app's
 * literal-laden shapes, with room; each holds its compiled pattern.
 */
const GENERATION_SIZE = 256
/**
 * Templates per shape: one per spelling that recurs (an IN list of 3 and one of 4 items are
 * one shape, two templates); past this, the shape's other spellings are lexed.
 */
const MAX_TEMPLATES_PER_SHAPE = 8
/** Shapes counted per generation; past this the counts start over. */
const MAX_COUNTED_SHAPES = 4_096
/** Longer texts get no template: they repeat too rarely to repay the pattern. */
const MAX_TEMPLATE_LENGTH = 4_096

// What a slot accepts: a plain number, or a quoted string with no quote inside (a doubled
// quote escapes itself) and, where backslashes escape, no backslash. Nothing after a slot
// needs checking for what the lexer would have read into it (an exponent, a `.`, letters, a
// second quote): the template's next run follows, and the lexer stopped before its first char
// when it read the template's own text.
const DIGITS = '\\d+(?:\\.\\d+)?'
const NUMBER = `(${DIGITS})`
// A signed slot keeps the template's sign: `-` after a `-` would start a comment.
const NEGATIVE_NUMBER = `(-${DIGITS})`
const POSITIVE_NUMBER = `(\\+${DIGITS})`

class ShapeTemplate implements LiteralSource {
  constructor(
    readonly pattern: RegExp,
    /** Index in `literals` of each slot's value (capture group s + 1). */
    readonly slotLiterals: Uint8Array,
    /** The fingerprint of the text the template was made from. */
    readonly result: FingerprintResult,
  ) {}

  /** The literals of a text this template matched. */
  literalsOf(text: string): string[] {
    const values = this.pattern.exec(text)!
    const literals = this.result.literals.slice()
    const slotLiterals = this.slotLiterals
    for (let s = 0; s < slotLiterals.length; s++) literals[slotLiterals[s]!] = values[s + 1]!
    return literals
  }
}

/** Templates of one dialect, in two generations of prefix-keyed buckets. */
export class ShapeTemplates {
  private young = new Map<number, ShapeTemplate[]>()
  private old = new Map<number, ShapeTemplate[]>()
  private youngCount = 0
  /**
   * Per shape id lexed in this generation: how many templates it has (0: seen once). A shape
   * gets a template on its second text, so a stream of one-off statements costs no patterns.
   */
  private shapes = new Map<string, number>()
  private readonly doubleQuotedStrings: boolean
  private readonly singleQuoted: string
  private readonly doubleQuoted: string

  constructor(rules: DialectRules) {
    this.doubleQuotedStrings = rules.doubleQuotedStrings
    this.singleQuoted = rules.backslashEscapes ? "'([^'\\\\]*)'" : "'([^']*)'"
    // MySQL's "text" always takes backslash escapes.
    this.doubleQuoted = '"([^"\\\\]*)"'
  }

  /** The fingerprint of `text` from a template of its shape, or null when none matches. */
  match(text: string): FingerprintResult | null {
    if (text.length > MAX_TEMPLATE_LENGTH || this.youngCount + this.old.size === 0) return null
    const key = prefixKey(text, this.doubleQuotedStrings)
    const young = this.young.get(key)
    if (young !== undefined) {
      for (let t = 0; t < young.length; t++) {
        const template = young[t]!
        const found = tryTemplate(template, text)
        if (found !== null) {
          if (t > 0) {
            // Move the hit one place up: the shapes in use drift to the front.
            young[t] = young[t - 1]!
            young[t - 1] = template
          }
          return found
        }
      }
    }
    const old = this.old.get(key)
    if (old !== undefined) {
      for (let t = 0; t < old.length; t++) {
        const template = old[t]!
        const found = tryTemplate(template, text)
        if (found !== null) {
          this.add(key, template)
          return found
        }
      }
    }
    return null
  }

  /**
   * Notes a text the lexer has just read (`spans`: where its literals are). The second text
   * of a shape that no template matched becomes a template, if one of its literals can be a
   * slot.
   */
  learn(text: string, result: FingerprintResult, spans: LiteralSpans): void {
    if (text.length > MAX_TEMPLATE_LENGTH || spans.count === 0 || text.includes('%(')) return
    const templates = this.shapes.get(result.id)
    if (templates === undefined) {
      if (this.shapes.size >= MAX_COUNTED_SHAPES) this.shapes.clear()
      this.shapes.set(result.id, 0)
      return
    }
    if (templates >= MAX_TEMPLATES_PER_SHAPE) return
    this.shapes.set(result.id, templates + 1)
    let source = '^'
    let from = 0
    const slotLiterals: number[] = []
    for (let k = 0; k < spans.count; k++) {
      const start = spans.starts[k]!
      const end = spans.ends[k]!
      const slot = this.slotPattern(text, start, end)
      if (slot === null) continue
      source += escapeForPattern(text.slice(from, start)) + slot
      from = end
      slotLiterals.push(k)
    }
    if (slotLiterals.length === 0) return
    source += escapeForPattern(text.slice(from)) + '$'
    const key = prefixKey(text, this.doubleQuotedStrings)
    this.add(key, new ShapeTemplate(new RegExp(source), Uint8Array.from(slotLiterals), result))
  }

  clear(): void {
    this.young = new Map()
    this.old = new Map()
    this.youngCount = 0
    this.shapes.clear()
  }

  private add(key: number, template: ShapeTemplate): void {
    if (this.youngCount >= GENERATION_SIZE) {
      this.old = this.young
      this.young = new Map()
      this.youngCount = 0
      // Shapes whose templates may now age out can make new ones.
      this.shapes.clear()
    }
    const bucket = this.young.get(key)
    if (bucket === undefined) {
      this.young.set(key, [template])
    } else {
      if (bucket.length >= BUCKET_SIZE) bucket.pop()
      bucket.unshift(template)
    }
    this.youngCount++
  }

  /** The pattern of a slot for the literal at [start, end), or null to keep it as fixed text. */
  private slotPattern(text: string, start: number, end: number): string | null {
    const first = text.charCodeAt(start)
    if (first === 39 || (first === 34 && this.doubleQuotedStrings)) {
      // Quoted with nothing escaped: the only quote inside is the closing one.
      const quote = first === 39 ? "'" : '"'
      if (end - start < 2 || text.indexOf(quote, start + 1) !== end - 1) return null
      if (text.slice(start, end).includes('\\')) return null
      return first === 39 ? this.singleQuoted : this.doubleQuoted
    }
    if (first === 43 || first === 45) {
      if (!isPlainNumber(text, start + 1, end)) return null
      return first === 45 ? NEGATIVE_NUMBER : POSITIVE_NUMBER
    }
    return isPlainNumber(text, start, end) ? NUMBER : null
  }
}

/**
 * The fingerprint of `text` if it matches `template`, else null. Its literals are read out
 * of the text when first asked for (a second run of the pattern, with captures).
 */
function tryTemplate(template: ShapeTemplate, text: string): FingerprintResult | null {
  if (!template.pattern.test(text)) return null
  const made = template.result
  return new FingerprintResult(
    made.id,
    made.text,
    made.statement,
    made.collapsedRows,
    made.inListItems,
    null,
    made.placeholders,
    made.paginated,
    text,
    template,
  )
}

/**
 * A hash of the text's first chars, stopping before the first char that can start a slot
 * (a digit, a quote, a sign): a text that matches a template has the template's own text up
 * to there, so both hash alike.
 */
function prefixKey(text: string, doubleQuotedStrings: boolean): number {
  const n = text.length < KEY_LENGTH ? text.length : KEY_LENGTH
  let hash = 0x811c9dc5
  for (let i = 0; i < n; i++) {
    const code = text.charCodeAt(i)
    if (
      code <= 57 &&
      (code >= 48 ||
        code === 39 ||
        code === 43 ||
        code === 45 ||
        (code === 34 && doubleQuotedStrings))
    ) {
      break
    }
    hash = Math.imul(hash ^ code, 16777619)
  }
  return hash
}

/** [start, end) is digits with an optional fraction (`12`, `12.5`): what NUMBER accepts. */
function isPlainNumber(text: string, start: number, end: number): boolean {
  let j = start
  while (j < end && isDigit(text.charCodeAt(j))) j++
  if (j === start) return false
  if (j === end) return true
  if (text.charCodeAt(j) !== 46) return false
  const fraction = ++j
  while (j < end && isDigit(text.charCodeAt(j))) j++
  return j > fraction && j === end
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57
}

/** `text` as a pattern that matches it exactly. */
function escapeForPattern(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')
}
