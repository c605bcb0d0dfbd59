/**
 * Query fingerprints: the shape a query shares with its siblings (`SELECT * FROM users WHERE
 * id = ?`), with a stable short id, the statement kind, how many rows / list items were
 * collapsed, the literal values removed, and whether it pages. The rules are in README.md
 * next to this file; the lexer is `normalise.ts`.
 *
 * `fingerprint` runs on the live ingest path for every new SQL text, so results are cached
 * by (dialect, text) in a bounded cache and the lexer allocates little.
 */
import { type Dialect, dialectFor, rulesFor } from './dialect'
import { FingerprintResult, MAX_LITERALS, lastLiteralSpans, normalise, textId } from './normalise'
import { ShapeTemplates } from './templates'

export { dialectFor, type Dialect }

export interface Fingerprint {
  /** 12 hex digits of a hash of `text`: the same text has the same id in every process. */
  id: string
  /** The normalised shape: keywords upper case, literals and placeholders `?`, lists collapsed. */
  text: string
  /** Of the main statement (`WITH ... SELECT` is a select, `WITH ... INSERT` an insert). */
  statement: 'select' | 'insert' | 'update' | 'delete' | 'other'
  /** Rows of a multi-row VALUES (1 for a single row, 0 when there is no VALUES). */
  collapsedRows: number
  /** Items of the largest `IN (...)` (or `ARRAY[...]`) list of values collapsed; 0 when none. */
  inListItems: number
  /**
   * The literal values removed, in order, as source text (strings unquoted and unescaped),
   * at most 50: with the bound parameters, what tells "the same query again" from "the same
   * shape with other values" when an ORM inlines values. Shared by every caller: read only.
   */
  literals: string[]
  /** Bound-parameter placeholders in the text (`?`, `$1`, `:name`, `@p1`, `%s`, ...). */
  placeholders: number
  /** Has OFFSET, MySQL's `LIMIT n, m`, or a keyset predicate (`WHERE id > ? ORDER BY id LIMIT`). */
  paginated: boolean
}

export { MAX_LITERALS, textId }

/**
 * Entries per generation of a dialect's cache. The cache keeps two generations: lookups try
 * the young one, then the old one (promoting a hit); when the young one fills up it becomes
 * the old one and the previous old one is dropped. So at most 2 × this many texts per
 * dialect, recently used ones survive, and a hit costs one or two `Map.get`s.
 *
 * Small on purpose: an app has a few hundred statement shapes, and a cache of unique
 * literal-laden texts costs more in garbage collection (entries that live long enough to be
 * copied and promoted) than the lexing it saves. Measured on the cold path: 1,000 per
 * generation adds ~0.8 µs per new text, 5,000 ~2 µs.
 */
const GENERATION_SIZE = 1_000
/** Of the texts a shape template matches, one in this many is cached by text. */
const ADMIT_EVERY = 8
/** Longer texts are fingerprinted every time: keeping them as keys would cost more memory than the lexing saves. */
const MAX_CACHED_LENGTH = 16_384

interface Generations {
  young: Map<string, Fingerprint>
  old: Map<string, Fingerprint>
  /** Shapes of texts lexed before, for new texts of a known shape (`templates.ts`). */
  templates: ShapeTemplates
  matchedSinceAdmit: number
}

const DIALECTS: readonly Dialect[] = ['postgresql', 'mysql', 'sqlite', 'mssql', 'generic']
const caches = new Map<Dialect, Generations>(
  DIALECTS.map((dialect) => [
    dialect,
    {
      young: new Map(),
      old: new Map(),
      templates: new ShapeTemplates(rulesFor(dialect)),
      matchedSinceAdmit: 0,
    },
  ]),
)

/**
 * The fingerprint of `sql` read in `dialect` (default `generic`). Never throws: malformed SQL
 * (unterminated strings or comments, unbalanced brackets) still gets one.
 */
export function fingerprint(sql: string, dialect: Dialect = 'generic'): Fingerprint {
  const text = typeof sql === 'string' ? sql : String(sql ?? '')
  const cache = caches.get(dialect) ?? caches.get('generic')!
  let found = cache.young.get(text)
  if (found !== undefined) return found
  found = cache.old.get(text)
  if (found !== undefined) {
    remember(cache, text, found)
    return found
  }
  const matched = cache.templates.match(text)
  if (matched !== null) {
    // One matched text in ADMIT_EVERY is cached: such texts mostly carry values that will
    // not come again, and caching every one costs more than it saves (measured on the
    // benchmark's corpus: ~0.1 µs more per text), while a text that does repeat is soon
    // among the ones taken in.
    if (++cache.matchedSinceAdmit >= ADMIT_EVERY && text.length <= MAX_CACHED_LENGTH) {
      cache.matchedSinceAdmit = 0
      remember(cache, text, matched)
    }
    return matched
  }
  const made = compute(text, dialect, cache.templates)
  if (text.length <= MAX_CACHED_LENGTH) remember(cache, text, made)
  return made
}

function remember(cache: Generations, text: string, value: Fingerprint): void {
  if (cache.young.size >= GENERATION_SIZE) {
    cache.old = cache.young
    cache.young = new Map()
  }
  cache.young.set(text, value)
}

function compute(text: string, dialect: Dialect, templates: ShapeTemplates): Fingerprint {
  let made: FingerprintResult
  try {
    made = normalise(text, rulesFor(dialect))
  } catch {
    // The lexer has no known way to throw; if it ever does, the query still gets a shape:
    // its text with whitespace collapsed, which merges only identical queries.
    const shape = text.replace(/\s+/g, ' ').trim()
    return new FingerprintResult(textId(shape), shape, 'other', 0, 0, [], 0, false)
  }
  const spans = lastLiteralSpans()
  if (spans !== null) templates.learn(text, made, spans)
  return made
}

/** Empties every dialect's cache (for tests and benchmarks that need cold lookups). */
export function clearFingerprintCache(): void {
  for (const cache of caches.values()) {
    cache.young = new Map()
    cache.old = new Map()
    cache.templates.clear()
  }
}
