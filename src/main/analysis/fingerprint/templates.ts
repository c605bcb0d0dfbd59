/**
 * Shape templates: the fast path for a text the cache has not seen whose shape it has.
 *
 * An app that inlines its values sends few shapes and endless texts: `... WHERE id = 7`,
 * `... WHERE id = 8`. Once the lexer has read two texts of a shape, a template remembers the
 * second one as its fixed source with the places of its literals open (slots; see
 * `shape-template.ts`). A new text that has exactly that fixed source, and in every slot what
 * the lexer reads as the same kind of tokens (one plain literal; or, for an IN list or the
 * rows of a VALUES clause, any number of plain items; for a block comment, any other), has
 * the same fingerprint; only its literal values (and list lengths) differ.
 *
 * The lexer decides every shape; a template never does. It is an exact match of text the
 * lexer has read, compiled once into an anchored pattern (`^fixed(slot)fixed(slot)...$`)
 * whose one native run checks the fixed chars and scans the slots: measured ~0.1–0.15 µs
 * for an ORM query with six values, where the lexer and the writer take ~1.5 µs. A text that
 * does not match (another kind of value, other spacing) goes to the lexer.
 *
 * Why a match cannot change the shape: the lexer reads left to right, and what it makes of a
 * char depends on the chars before it and a bounded look at the next one or two. Before every
 * slot the text is the template's own; a slot holds only what the lexer reads as literals of
 * the slot's kind (digits, with a fraction and a sign where the template's value had them;
 * a quoted string without escapes; for lists and rows, such items between `,` and brackets);
 * and after each slot comes the template's own next run, whose first char the lexer did not
 * take into the literal before. Value tokens never take part in the lexer's decisions by
 * their text (lists and rows compare token kinds), and a list or rows slot is made only when
 * the lexer reads the text with it one item long and two items long as the same shape. One
 * lexer rule looks further ahead, past a value: `%(name)s` searches for its `)`, which a
 * string slot could hold, so texts with `%(` get no template. Literals a slot cannot take (an
 * escaped string, an exponent, a hex number, `TRUE`, a dollar-quoted string) stay fixed text:
 * the new text must have them exactly. `fingerprint-templates.test.ts` checks matches
 * against the lexer on the corpus with its values changed, with random edits, and with lists
 * and rows of every length.
 *
 * The store: templates are found by a hash of the text's first chars (a bucket), tried the
 * last used first; a shape's first template keeps its lists' lengths (one `test`, no
 * counting), a later one takes any length; a bucket whose templates keep failing rests.
 */
import type { DialectRules } from './dialect'
import type { FingerprintResult, LiteralSpans } from './normalise'
import { ShapeTemplate, SlotPatterns } from './shape-template'

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
 * Templates per shape: one per spelling that recurs (the same statement with a comment,
 * other spacing, a value of another kind); past this, the shape's other spellings are lexed.
 */
const MAX_TEMPLATES_PER_SHAPE = 8
/** Shapes counted per generation; past this the counts start over. */
const MAX_COUNTED_SHAPES = 4_096
/** Longer texts get no template: they repeat too rarely to repay the pattern. */
const MAX_TEMPLATE_LENGTH = 4_096
/**
 * A bucket whose templates fail far more often than they match (every text of its prefix
 * carries a comment of its own, say, or is a statement seen once) rests: for the next this
 * many texts of its prefix none of its templates is tried, and they go to the lexer at once.
 * A failed try costs ~0.1 µs, a match saves ~1.5 µs: a bucket rests when its failed tries
 * outnumber its matches 15 to 1. The rest is short, so a bucket is back in use soon after
 * its texts match again.
 */
const REST_FOR = 256
const FAILURES_PER_MATCH = 15
/** Failed tries after which a bucket's record is judged (and started over). */
const JUDGE_AFTER = 256

/** The templates of one prefix, with how they have fared. */
class Bucket {
  readonly templates: ShapeTemplate[] = []
  matches = 0
  failures = 0
  /** Texts still to skip. */
  resting = 0

  /** The template that gave the last match. */
  matched: ShapeTemplate | null = null

  /** The fingerprint of `text` from one of the templates (`matched`), or null. */
  match(text: string): FingerprintResult | null {
    if (this.resting > 0) {
      this.resting--
      return null
    }
    const templates = this.templates
    for (let t = 0; t < templates.length; t++) {
      const template = templates[t]!
      const result = template.match(text)
      if (result !== null) {
        this.matches++
        this.failures += t
        if (t > 0) {
          // Move the hit one place up: the shapes in use drift to the front.
          templates[t] = templates[t - 1]!
          templates[t - 1] = template
        }
        this.matched = template
        return result
      }
    }
    this.failures += templates.length
    if (this.failures >= JUDGE_AFTER) {
      if (this.failures > this.matches * FAILURES_PER_MATCH) this.resting = REST_FOR
      this.failures = 0
      this.matches = 0
    }
    return null
  }

  add(template: ShapeTemplate): void {
    if (this.templates.length >= BUCKET_SIZE) this.templates.pop()
    this.templates.unshift(template)
  }
}

/** Templates of one dialect, in two generations of prefix-keyed buckets. */
export class ShapeTemplates {
  private young = new Map<number, Bucket>()
  private old = new Map<number, Bucket>()
  private youngCount = 0
  /**
   * Per shape id lexed in this generation: how many templates it has (0: seen once). A shape
   * gets a template on its second text, so a stream of one-off statements costs no patterns.
   */
  private shapes = new Map<string, number>()
  private readonly patterns: SlotPatterns

  constructor(rules: DialectRules) {
    this.patterns = new SlotPatterns(rules)
  }

  /** The fingerprint of `text` from a template of its shape, or null when none matches. */
  match(text: string): FingerprintResult | null {
    if (text.length > MAX_TEMPLATE_LENGTH || this.youngCount + this.old.size === 0) return null
    const key = prefixKey(text, this.patterns.doubleQuotedStrings)
    const young = this.young.get(key)
    if (young !== undefined) {
      const found = young.match(text)
      if (found !== null) return found
    }
    const old = this.old.get(key)
    if (old !== undefined) {
      const found = old.match(text)
      if (found !== null) {
        this.add(key, old.matched!)
        return found
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
    // A shape's first template keeps its lists' lengths; one that comes back with other
    // lengths (or rows) gets one for any length.
    let template: ShapeTemplate | null
    try {
      template = ShapeTemplate.from(text, result, spans, this.patterns, templates > 0)
    } catch {
      // No known way (the pattern escapes every text it takes), but a template is only a
      // shortcut: the fingerprint must not fail for want of one.
      return
    }
    if (template !== null) this.add(prefixKey(text, this.patterns.doubleQuotedStrings), template)
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
    let bucket = this.young.get(key)
    if (bucket === undefined) this.young.set(key, (bucket = new Bucket()))
    bucket.add(template)
    this.youngCount++
  }
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
