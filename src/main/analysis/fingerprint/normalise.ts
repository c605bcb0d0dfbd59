/**
 * The fingerprinter proper, in two passes over one query:
 *
 * 1. `lex` reads the text once, char code by char code, into a token buffer (typed arrays,
 *    reused between calls): literals and placeholders become value tokens, comments and
 *    whitespace vanish, and as tokens arrive it collapses `IN (...)` / `ARRAY[...]` lists and
 *    repeated `VALUES` rows by truncating the buffer, and notes the statement kind, the
 *    literals, and the pagination clues.
 * 2. `render` writes the tokens out with canonical spacing and hashes the text as it goes.
 *    A token that reads as in the source (identifiers, operators, `?`, upper-case keywords)
 *    and sits at canonical distance from the previous one extends a run of source text, so
 *    ORM output that is already canonical costs one `slice` instead of one string per token.
 *
 * The rules, and the reasons for each, are in README.md next to this file.
 */
import type { DialectRules } from './dialect'
import {
  KEYWORD_IS_CLAUSE,
  KEYWORD_TEXT,
  KEYWORD_TEXT_SPACED,
  KW,
  MAX_KEYWORD_LENGTH,
  hashStep,
  lookupKeyword,
} from './keywords'

export type StatementKind = 'select' | 'insert' | 'update' | 'delete' | 'other'

/** What one pass over a query finds; `index.ts` adds nothing but the cache. */
export interface NormalisedQuery {
  id: string
  text: string
  statement: StatementKind
  collapsedRows: number
  inListItems: number
  literals: string[]
  placeholders: number
  paginated: boolean
}

/** Where a result whose literals are read on first use reads them from (`templates.ts`). */
export interface LiteralSource {
  literalsOf(text: string): string[]
}

/**
 * The result, made by a constructor rather than an object literal on purpose: V8 may decide
 * that objects from a literal's site outlive the young generation (the cache keeps the
 * latest ones) and allocate them in the old generation from then on, which makes every
 * later scavenge keep the strings they point to: measured, cold fingerprints then cost
 * ~2 µs more each in garbage collection, in about one process in four. Constructed objects
 * are not pretenured that way.
 *
 * `literals` is read through a getter: a shape template's match finds the values only when
 * they are first asked for (most queries' values never are: the analysis compares them only
 * when a shape repeats within one request).
 */
export class FingerprintResult implements NormalisedQuery {
  private values: string[] | null

  constructor(
    readonly id: string,
    readonly text: string,
    readonly statement: StatementKind,
    readonly collapsedRows: number,
    readonly inListItems: number,
    literals: string[] | null,
    readonly placeholders: number,
    readonly paginated: boolean,
    /** With `literals` null: the text the values are in, and what reads them out of it. */
    private readonly source: string = '',
    private readonly literalSource: LiteralSource | null = null,
  ) {
    this.values = literals
  }

  get literals(): string[] {
    if (this.values === null) this.values = this.literalSource!.literalsOf(this.source)
    return this.values
  }
}

/** At most this many literal values are kept per query. */
export const MAX_LITERALS = 50
/** Block comments noted per query (for templates; later ones stay fixed text there). */
const MAX_COMMENTS = 8

// Token kinds.
const T_NONE = 0
const T_KEYWORD = 1
const T_IDENT = 2
/** A quoted identifier: `"x"`, `` `x` ``, `[x]`. */
const T_QUOTED = 3
/** A literal or a placeholder: renders as `?`. */
const T_VALUE = 4
const T_OPEN = 5
const T_CLOSE = 6
const T_COMMA = 7
const T_DOT = 8
const T_SEMI = 9
const T_LBRACKET = 10
const T_RBRACKET = 11
/** PostgreSQL's `::`. */
const T_CAST = 12
const T_OP = 13
/** The `+` after the one item left of a collapsed list: `IN (?+)`. */
const T_PLUS = 14

// Collapsible list kinds.
const LIST_IN = 0
const LIST_ARRAY = 1

// Where the lexer is in a `VALUES` clause.
const V_NONE = 0
const V_EXPECT_ROW = 1
const V_IN_ROW = 2
const V_AFTER_ROW = 3
const V_AFTER_COMMA = 4

const MAX_LISTS = 32
const MAX_KEYSET_NAMES = 8

const EMPTY_LITERALS: string[] = []
Object.freeze(EMPTY_LITERALS)

const STATEMENTS: readonly StatementKind[] = ['other', 'select', 'insert', 'update', 'delete']
const S_UNDECIDED = -1
const S_OTHER = 0
const S_SELECT = 1
const S_INSERT = 2
const S_UPDATE = 3
const S_DELETE = 4

// What a keyword does to the lexer's state (see `keyword`), by keyword id (0: nothing
// special): a table, so a keyword costs one load instead of a chain of comparisons.
const A_VALUES = 1
const A_OFFSET = 2
const A_LIMIT = 3
const A_BY = 4
/** Words that may follow a column in ORDER BY without ending the list. */
const A_ORDER_MODIFIER = 5
const A_LITERAL = 6
const KEYWORD_ACTION = new Uint8Array(KEYWORD_TEXT.length)
KEYWORD_ACTION[KW.VALUES] = A_VALUES
KEYWORD_ACTION[KW.OFFSET] = A_OFFSET
for (const id of [KW.LIMIT, KW.TOP, KW.FETCH]) KEYWORD_ACTION[id] = A_LIMIT
KEYWORD_ACTION[KW.BY] = A_BY
for (const id of [KW.ASC, KW.DESC, KW.NULLS, KW.FIRST, KW.LAST, KW.COLLATE])
  KEYWORD_ACTION[id] = A_ORDER_MODIFIER
KEYWORD_ACTION[KW.TRUE] = A_LITERAL
KEYWORD_ACTION[KW.FALSE] = A_LITERAL

/** The statement kind a keyword starts, by keyword id (S_UNDECIDED for most). */
const KEYWORD_STATEMENT = new Int8Array(KEYWORD_TEXT.length).fill(S_UNDECIDED)
KEYWORD_STATEMENT[KW.SELECT] = S_SELECT
KEYWORD_STATEMENT[KW.INSERT] = S_INSERT
KEYWORD_STATEMENT[KW.REPLACE] = S_INSERT
KEYWORD_STATEMENT[KW.UPSERT] = S_INSERT
KEYWORD_STATEMENT[KW.UPDATE] = S_UPDATE
KEYWORD_STATEMENT[KW.DELETE] = S_DELETE
const KW_IN = KW.IN
const KW_ARRAY = KW.ARRAY
const KW_ORDER = KW.ORDER
const KW_LIMIT = KW.LIMIT
const KW_WITH = KW.WITH

/** Lower-case hex digits as char codes, for the id. */
const HEX = Array.from('0123456789abcdef', (digit) => digit.charCodeAt(0))

// Char classes of ASCII codes; codes from 128 up are identifier characters unless they are
// Unicode spaces.
const C_SPACE = 1
const C_WORD = 2
const C_DIGIT = 3
const C_OPERATOR = 4
const C_OTHER = 5
const CHAR_CLASS = new Uint8Array(128).fill(C_OTHER)
for (let code = 0; code <= 32; code++) CHAR_CLASS[code] = C_SPACE
CHAR_CLASS[127] = C_SPACE
for (let code = 65; code <= 90; code++) CHAR_CLASS[code] = C_WORD
for (let code = 97; code <= 122; code++) CHAR_CLASS[code] = C_WORD
CHAR_CLASS[95] = C_WORD
for (let code = 48; code <= 57; code++) CHAR_CLASS[code] = C_DIGIT
for (const char of '+-*/<>=~!^&|') CHAR_CLASS[char.charCodeAt(0)] = C_OPERATOR

function isUnicodeSpace(code: number): boolean {
  return (
    code === 0xa0 ||
    code === 0xfeff ||
    (code >= 0x2000 && code <= 0x200b) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0x1680 ||
    code === 0x85
  )
}

/** A char that continues an unquoted identifier (`$` is allowed inside, as in PostgreSQL). */
function isWordChar(code: number): boolean {
  if (code < 128) {
    const cls = CHAR_CLASS[code]
    return cls === C_WORD || cls === C_DIGIT || code === 36
  }
  return !isUnicodeSpace(code)
}

function isWordStart(code: number): boolean {
  return code < 128 ? CHAR_CLASS[code] === C_WORD : !isUnicodeSpace(code)
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57
}

function isHexDigit(code: number): boolean {
  return (code >= 48 && code <= 57) || ((code | 0x20) >= 97 && (code | 0x20) <= 102)
}

class Normaliser {
  private sql = ''
  private rules!: DialectRules

  // The token buffer.
  private capacity = 256
  private kinds = new Uint8Array(this.capacity)
  /** 1 when the token's text is its source text. */
  private verbatim = new Uint8Array(this.capacity)
  private starts = new Int32Array(this.capacity)
  private ends = new Int32Array(this.capacity)
  /** Keyword id for keywords. */
  private extras = new Int32Array(this.capacity)
  private count = 0

  private depth = 0
  /**
   * The literals so far, in a scratch array reused between calls and copied out at the end:
   * an array of the exact size, not one grown by push (measured: ~9% less CPU per new text,
   * most of it the garbage collector's).
   */
  private literals: string[] = []
  literalCount = 0
  /** Where each kept literal is in the text, for `templates.ts`. */
  readonly literalStarts = new Int32Array(MAX_LITERALS)
  readonly literalEnds = new Int32Array(MAX_LITERALS)
  /** A literal went unkept: more than MAX_LITERALS of them. */
  literalsDropped = false
  /** Where the first block comments are (not MySQL's executable ones), for `templates.ts`. */
  readonly commentStarts = new Int32Array(MAX_COMMENTS)
  readonly commentEnds = new Int32Array(MAX_COMMENTS)
  commentCount = 0
  private placeholders = 0
  private inListItems = 0
  private collapsedRows = 0
  /** Inside MySQL's `/*! ... *\/`, whose closing `*\/` is skipped. */
  private inExecutableComment = false
  /** Next backslash at or after the last search, for strings with backslash escapes. */
  private nextBackslash = -1

  // Statement kind.
  private statement = S_UNDECIDED
  private withDepth = -1
  private sawWord = false

  // Collapsible lists, as a stack.
  private listTop = -1
  private listKind = new Int32Array(MAX_LISTS)
  /** Depth inside the list's brackets. */
  private listDepth = new Int32Array(MAX_LISTS)
  private listOpen = new Int32Array(MAX_LISTS)
  private listItemStart = new Int32Array(MAX_LISTS)
  /** Token index just past the first item (its comma, or the closing bracket). */
  private listFirstEnd = new Int32Array(MAX_LISTS)
  private listItems = new Int32Array(MAX_LISTS)
  /** 1 while every item is values only and the same as the first. */
  private listSame = new Uint8Array(MAX_LISTS)

  // VALUES rows.
  private valuesState = V_NONE
  private valuesDepth = 0
  private valuesRows = 0
  private rowStart = 0
  private keptRowStart = 0
  private keptRowEnd = 0
  private rowComma = 0

  // Pagination clues.
  private sawOffset = false
  private sawLimitComma = false
  private sawLimit = false
  private sawOrderBy = false
  private orderByDepth = -1
  private keysetTuple = false
  /** `x > ?`: index of the token compared, waiting to see a value on the right. */
  private pendingCompare = -1
  private compareNames: number[] = []
  private orderNames: number[] = []

  /** The id of the text the last `render` wrote. */
  private id = ''

  run(sql: string, rules: DialectRules): FingerprintResult {
    this.reset(sql, rules)
    this.lex()
    this.finishValues()
    let count = this.count
    while (count > 0 && this.kinds[count - 1] === T_SEMI) count--
    this.count = count
    const statement = this.statement === S_UNDECIDED ? S_OTHER : this.statement
    const paginated =
      this.sawOffset ||
      this.sawLimitComma ||
      (this.sawLimit && this.sawOrderBy && (this.keysetTuple || this.keysetNameMatches()))
    const literals =
      this.literalCount === 0 ? EMPTY_LITERALS : this.literals.slice(0, this.literalCount)
    const text = this.render()
    return new FingerprintResult(
      this.id,
      text,
      STATEMENTS[statement]!,
      this.collapsedRows,
      this.inListItems,
      literals,
      this.placeholders,
      paginated,
    )
  }

  private reset(sql: string, rules: DialectRules): void {
    this.sql = sql
    this.rules = rules
    this.count = 0
    this.depth = 0
    this.literalCount = 0
    this.literalsDropped = false
    this.commentCount = 0
    this.placeholders = 0
    this.inListItems = 0
    this.collapsedRows = 0
    this.inExecutableComment = false
    this.nextBackslash = -1
    this.statement = S_UNDECIDED
    this.withDepth = -1
    this.sawWord = false
    this.listTop = -1
    this.valuesState = V_NONE
    this.valuesRows = 0
    this.sawOffset = false
    this.sawLimitComma = false
    this.sawLimit = false
    this.sawOrderBy = false
    this.orderByDepth = -1
    this.keysetTuple = false
    this.pendingCompare = -1
    if (this.compareNames.length > 0) this.compareNames.length = 0
    if (this.orderNames.length > 0) this.orderNames.length = 0
  }

  // ---------------------------------------------------------------- pass 1: tokens

  private lex(): void {
    const sql = this.sql
    const n = sql.length
    const rules = this.rules
    let i = 0
    while (i < n) {
      const code = sql.charCodeAt(i)
      if (code >= 128) {
        i = isUnicodeSpace(code) ? i + 1 : this.word(i, i)
        continue
      }
      switch (CHAR_CLASS[code]) {
        case C_SPACE:
          i++
          continue
        case C_WORD:
          i = this.word(i, i)
          continue
        case C_DIGIT:
          i = this.number(i, i)
          continue
      }
      switch (code) {
        case 39: // '
          i = this.string(i, i, rules.backslashEscapes)
          break
        case 34: // "
          i = rules.doubleQuotedStrings ? this.string(i, i, true) : this.quoted(i, 34)
          break
        case 96: // `
          i = this.quoted(i, 96)
          break
        case 40: // (
          this.open(i, T_OPEN)
          i++
          break
        case 41: // )
          this.close(i, T_CLOSE)
          i++
          break
        case 91: // [
          if (
            rules.brackets === 'identifier' ||
            (rules.brackets === 'by-context' && !this.endsOperand())
          ) {
            i = this.quoted(i, 93)
          } else {
            this.open(i, T_LBRACKET)
            i++
          }
          break
        case 93: // ]
          this.close(i, T_RBRACKET)
          i++
          break
        case 44: // ,
          this.comma(i)
          i++
          break
        case 59: // ;
          this.push(T_SEMI, i, i + 1, 1, 0)
          this.endStatement()
          i++
          break
        case 46: // .
          if (i + 1 < n && isDigit(sql.charCodeAt(i + 1)) && this.lastKind() !== T_IDENT) {
            i = this.number(i, i)
          } else {
            this.push(T_DOT, i, i + 1, 1, 0)
            i++
          }
          break
        case 36: // $
          i = this.dollar(i)
          break
        case 63: // ?
          i = this.question(i)
          break
        case 58: // :
          i = this.colon(i)
          break
        case 64: // @
          i = this.at(i)
          break
        case 37: // %
          i = this.percent(i)
          break
        case 35: // #
          if (rules.hashComments) i = this.lineComment(i)
          else if (rules.hashIdentifiers)
            i = this.word(i, i + (sql.charCodeAt(i + 1) === 35 ? 2 : 1))
          else i = this.operator(i)
          break
        default:
          i = this.operatorOrComment(i, code)
      }
    }
  }

  private operatorOrComment(i: number, code: number): number {
    const sql = this.sql
    const next = i + 1 < sql.length ? sql.charCodeAt(i + 1) : 0
    if (code === 45) {
      // -
      if (next === 45) {
        if (!this.rules.dashCommentNeedsSpace) return this.lineComment(i)
        const after = i + 2 < sql.length ? sql.charCodeAt(i + 2) : 32
        if (after <= 32) return this.lineComment(i)
      }
      if (this.startsNumber(i + 1) && !this.endsOperand()) return this.number(i + 1, i)
    } else if (code === 43) {
      // +
      if (this.startsNumber(i + 1) && !this.endsOperand()) return this.number(i + 1, i)
    } else if (code === 47 && next === 42) {
      return this.blockComment(i)
    } else if (code === 42 && next === 47 && this.inExecutableComment) {
      this.inExecutableComment = false
      return i + 2
    }
    if (CHAR_CLASS[code] === C_OPERATOR || code === 35) return this.operator(i)
    // Anything else (`{`, `}`, `\`, stray quotes of other dialects) is kept as it is.
    this.pushOperator(i, i + 1)
    return i + 1
  }

  private startsNumber(i: number): boolean {
    const sql = this.sql
    if (i >= sql.length) return false
    const code = sql.charCodeAt(i)
    return isDigit(code) || (code === 46 && i + 1 < sql.length && isDigit(sql.charCodeAt(i + 1)))
  }

  /**
   * An operator: a run of operator characters, stopping where a comment starts. A run of two
   * or more never ends in `-` or `+` (no standard operator does), so `=-1` is `=` then `-1`.
   */
  private operator(i: number): number {
    const sql = this.sql
    const n = sql.length
    const postgres = this.rules.postgresOperators
    let j = i + 1
    while (j < n) {
      const code = sql.charCodeAt(j)
      const isOperator =
        (code < 128 && CHAR_CLASS[code] === C_OPERATOR) ||
        (postgres && (code === 64 || code === 35)) ||
        (code === 35 && !this.rules.hashComments && !this.rules.hashIdentifiers)
      if (!isOperator) break
      const next = j + 1 < n ? sql.charCodeAt(j + 1) : 0
      if ((code === 45 && next === 45) || (code === 47 && next === 42)) break
      if (code === 42 && next === 47 && this.inExecutableComment) break
      j++
    }
    while (j - i > 1) {
      const last = sql.charCodeAt(j - 1)
      if (last !== 45 && last !== 43) break
      j--
    }
    this.pushOperator(i, j)
    return j
  }

  private pushOperator(start: number, end: number): void {
    const compared = this.count - 1
    this.push(T_OP, start, end, 1, 0)
    // `x > ?`, `x <= ?`: a keyset predicate if `x` turns up in ORDER BY.
    const sql = this.sql
    const first = sql.charCodeAt(start)
    if (
      (first === 60 || first === 62) &&
      (end - start === 1 || (end - start === 2 && sql.charCodeAt(start + 1) === 61)) &&
      compared >= 0
    ) {
      const kind = this.kinds[compared]
      if (kind === T_IDENT || kind === T_QUOTED || kind === T_CLOSE) this.pendingCompare = compared
    }
  }

  private lineComment(i: number): number {
    const sql = this.sql
    const newline = sql.indexOf('\n', i)
    const carriage = sql.indexOf('\r', i)
    if (newline < 0 && carriage < 0) return sql.length
    if (newline < 0) return carriage + 1
    if (carriage < 0) return newline + 1
    return Math.min(newline, carriage) + 1
  }

  private blockComment(i: number): number {
    const sql = this.sql
    const n = sql.length
    const rules = this.rules
    if (rules.executableComments) {
      // MySQL's `/*!50100 ... */` and MariaDB's `/*M!100100 ... */`: the content is SQL.
      let j = i + 2
      if (sql.charCodeAt(j) === 77 && sql.charCodeAt(j + 1) === 33) j++
      if (sql.charCodeAt(j) === 33) {
        j++
        while (j < n && isDigit(sql.charCodeAt(j))) j++
        this.inExecutableComment = true
        return j
      }
    }
    if (!rules.nestedComments) {
      const end = sql.indexOf('*/', i + 2)
      if (end < 0) return n
      this.noteComment(i, end + 2)
      return end + 2
    }
    let nesting = 1
    let j = i + 2
    while (j < n) {
      const code = sql.charCodeAt(j)
      if (code === 42 && sql.charCodeAt(j + 1) === 47) {
        j += 2
        if (--nesting === 0) {
          this.noteComment(i, j)
          return j
        }
      } else if (code === 47 && sql.charCodeAt(j + 1) === 42) {
        j += 2
        nesting++
      } else {
        j++
      }
    }
    return n
  }

  private noteComment(start: number, end: number): void {
    const count = this.commentCount
    if (count === MAX_COMMENTS) return
    this.commentStarts[count] = start
    this.commentEnds[count] = end
    this.commentCount = count + 1
  }

  /**
   * An unquoted word from `start` (`scanFrom` skips a prefix already known to belong to it,
   * like SQL Server's `#`): a keyword, a prefixed string (`N'...'`, `E'...'`), TRUE / FALSE,
   * or an identifier.
   */
  private word(start: number, scanFrom: number): number {
    const sql = this.sql
    const n = sql.length
    let j = scanFrom
    let hash = 0
    let plain = scanFrom === start
    let lower = false
    while (j < n) {
      const code = sql.charCodeAt(j)
      if (code >= 97 && code <= 122) {
        lower = true
        hash = hashStep(hash, code)
      } else if (code >= 65 && code <= 90) {
        hash = hashStep(hash, code | 0x20)
      } else if (code === 95 || (code >= 48 && code <= 57)) {
        hash = hashStep(hash, code)
      } else if (code === 36 || (code >= 128 && !isUnicodeSpace(code))) {
        plain = false
      } else {
        break
      }
      j++
    }
    const length = j - start
    if (j < n && length === 1 && plain) {
      const next = sql.charCodeAt(j)
      if (next === 39 || (next === 38 && length === 1 && sql.charCodeAt(j + 1) === 39)) {
        const prefixed = this.prefixedString(start, j, next)
        if (prefixed >= 0) return prefixed
      }
    }
    if (
      j < n &&
      this.rules.doubleQuotedStrings &&
      sql.charCodeAt(start) === 95 &&
      (sql.charCodeAt(j) === 39 || sql.charCodeAt(j) === 34)
    ) {
      // MySQL's character set introducer: `_utf8mb4'text'`.
      return this.string(j, start, true)
    }
    if (plain && length <= MAX_KEYWORD_LENGTH) {
      const keyword = lookupKeyword(sql, start, j, hash)
      if (keyword >= 0) {
        if (KEYWORD_ACTION[keyword] === A_LITERAL) {
          this.literal(start, j, sql.slice(start, j))
          return j
        }
        this.keyword(start, j, keyword, lower ? 0 : 1)
        return j
      }
    }
    this.identifier(start, j)
    return j
  }

  /** `X'ff'`, `N'text'`, `E'\n'`, `B'0101'`, `U&'text'`; -1 when the letters are no prefix. */
  private prefixedString(start: number, quoteAt: number, next: number): number {
    const sql = this.sql
    const first = sql.charCodeAt(start) | 0x20
    if (next === 38) {
      // U&'...': PostgreSQL's Unicode-escaped string.
      return first === 117 && this.rules.postgresOperators
        ? this.string(quoteAt + 1, start, false)
        : -1
    }
    if (quoteAt - start !== 1) return -1
    if (first === 110 || first === 120 || first === 98)
      return this.string(quoteAt, start, this.rules.backslashEscapes)
    if (first === 101 && this.rules.escapeStrings) return this.string(quoteAt, start, true)
    return -1
  }

  private keyword(start: number, end: number, keyword: number, verbatim: number): void {
    const before = this.count - 1
    const previous = before >= 0 ? this.kinds[before] : T_NONE
    const previousKeyword = previous === T_KEYWORD ? this.extras[before]! : -1
    this.push(T_KEYWORD, start, end, verbatim, keyword)

    if (this.statement === S_UNDECIDED) this.decideStatement(keyword)
    this.sawWord = true
    switch (KEYWORD_ACTION[keyword]) {
      case A_VALUES:
        // MySQL's `x = VALUES(x)` in ON DUPLICATE KEY UPDATE is a function, not rows.
        if (previous !== T_OP) {
          this.valuesState = V_EXPECT_ROW
          this.valuesDepth = this.depth
          this.valuesRows = 0
        }
        break
      case A_OFFSET:
        this.sawOffset = true
        break
      case A_LIMIT:
        this.sawLimit = true
        this.orderByDepth = -1
        break
      case A_BY:
        if (previousKeyword === KW_ORDER) {
          this.sawOrderBy = true
          this.orderByDepth = this.depth
        }
        break
      case A_ORDER_MODIFIER:
        break
      default:
        // Any other keyword ends the ORDER BY list.
        this.orderByDepth = -1
    }
  }

  private decideStatement(keyword: number): void {
    const kind = KEYWORD_STATEMENT[keyword]!
    if (this.withDepth >= 0) {
      // WITH ... : the statement is the first one at the WITH's own depth.
      if (kind !== S_UNDECIDED && this.depth === this.withDepth) this.statement = kind
    } else if (kind !== S_UNDECIDED) {
      this.statement = kind
    } else if (!this.sawWord) {
      if (keyword === KW_WITH) this.withDepth = this.depth
      else this.statement = S_OTHER
    }
  }

  private identifier(start: number, end: number): void {
    if (this.statement === S_UNDECIDED && !this.sawWord) this.statement = S_OTHER
    this.sawWord = true
    this.push(T_IDENT, start, end, 1, 0)
    this.noteName()
  }

  /**
   * A quoted identifier from `start`, closed by `close` (doubled to escape it). A qualified
   * name written without spaces (`"User"."id"`, `` `t`.`c` ``) is one token: ORMs qualify
   * every column, and a third of the tokens of their SQL would otherwise be these names and
   * dots. The token's extra is where its last part starts (the column, for `sameName`).
   */
  private quoted(start: number, close: number): number {
    const sql = this.sql
    const n = sql.length
    const open = sql.charCodeAt(start)
    const closeChar = close === 96 ? '`' : close === 34 ? '"' : ']'
    let part = start
    let j = start + 1
    for (;;) {
      // indexOf, not a loop over char codes: measured ~5% less time per ORM query.
      let closed = false
      for (;;) {
        const at = sql.indexOf(closeChar, j)
        if (at < 0) {
          j = n
          break
        }
        if (at + 1 < n && sql.charCodeAt(at + 1) === close) {
          j = at + 2
          continue
        }
        j = at + 1
        closed = true
        break
      }
      if (!closed || j + 1 >= n || sql.charCodeAt(j) !== 46 || sql.charCodeAt(j + 1) !== open) break
      part = j + 1
      j += 2
    }
    this.push(T_QUOTED, start, j, 1, part)
    this.noteName()
    return j
  }

  /** An identifier in ORDER BY or compared in a keyset predicate: remembered by token index. */
  private noteName(): void {
    if (this.orderByDepth === this.depth && this.orderNames.length < MAX_KEYSET_NAMES)
      this.orderNames.push(this.count - 1)
  }

  /**
   * A quoted string whose opening quote is at `quoteAt` (`start` is where its prefix began).
   * Quotes double to escape themselves; with `backslash`, `\` escapes the next char too.
   */
  private string(quoteAt: number, start: number, backslash: boolean): number {
    const sql = this.sql
    const n = sql.length
    const quote = sql.charCodeAt(quoteAt)
    const quoteChar = quote === 39 ? "'" : '"'
    let escaped = false
    let j = quoteAt + 1
    let end = n
    for (;;) {
      const at = sql.indexOf(quoteChar, j)
      if (backslash) {
        if (this.nextBackslash < j && this.nextBackslash !== -2) {
          this.nextBackslash = sql.indexOf('\\', j)
          if (this.nextBackslash < 0) this.nextBackslash = -2
        }
        const slash = this.nextBackslash
        if (slash >= 0 && (at < 0 || slash < at)) {
          escaped = true
          j = slash + 2
          continue
        }
      }
      if (at < 0) break
      if (at + 1 < n && sql.charCodeAt(at + 1) === quote) {
        escaped = true
        j = at + 2
        continue
      }
      end = at + 1
      break
    }
    if (this.literalCount < MAX_LITERALS) {
      const bodyEnd = end === n && sql.charCodeAt(n - 1) !== quote ? n : end - 1
      const body =
        bodyEnd <= quoteAt + 1
          ? ''
          : escaped
            ? unescape(sql, quoteAt + 1, bodyEnd, quote, backslash)
            : sql.slice(quoteAt + 1, bodyEnd)
      this.literal(start, end, body)
    } else {
      this.literal(start, end, null)
    }
    return end
  }

  /** A number from `digitsAt`; `start` is before it when a sign belongs to it. */
  private number(digitsAt: number, start: number): number {
    const sql = this.sql
    const n = sql.length
    let j = digitsAt
    const first = sql.charCodeAt(j)
    const second = j + 1 < n ? sql.charCodeAt(j + 1) | 0x20 : 0
    if (first === 48 && (second === 120 || second === 98 || second === 111)) {
      // 0x1F, 0b101, 0o17
      j += 2
      while (j < n && (isHexDigit(sql.charCodeAt(j)) || sql.charCodeAt(j) === 95)) j++
    } else {
      j = this.digits(j)
      if (j < n && sql.charCodeAt(j) === 46) j = this.digits(j + 1)
      if (j < n && (sql.charCodeAt(j) | 0x20) === 101) {
        let k = j + 1
        const sign = k < n ? sql.charCodeAt(k) : 0
        if (sign === 43 || sign === 45) k++
        if (k < n && isDigit(sql.charCodeAt(k))) j = this.digits(k)
      }
    }
    if (j < n && isWordChar(sql.charCodeAt(j)) && isDigit(first)) {
      // `1abc` is an identifier in MySQL, and no number anywhere; `-1abc` subtracts it.
      if (start !== digitsAt) this.pushOperator(start, digitsAt)
      return this.word(digitsAt, digitsAt)
    }
    this.literal(start, j, this.literalsFull() ? null : sql.slice(start, j))
    return j
  }

  /** Digits, with `_` between them (PostgreSQL 16's `1_000_000`). */
  private digits(j: number): number {
    const sql = this.sql
    const n = sql.length
    while (j < n) {
      const code = sql.charCodeAt(j)
      if (isDigit(code)) j++
      else if (code === 95 && j + 1 < n && isDigit(sql.charCodeAt(j + 1))) j += 2
      else break
    }
    return j
  }

  /** `$1`, `$$...$$`, `$tag$...$tag$`, SQLite's `$name`, or a `$` in a word. */
  private dollar(i: number): number {
    const sql = this.sql
    const n = sql.length
    const rules = this.rules
    let j = i + 1
    if (j < n && isDigit(sql.charCodeAt(j))) {
      while (j < n && isDigit(sql.charCodeAt(j))) j++
      this.placeholder(i, j)
      return j
    }
    while (j < n && isWordChar(sql.charCodeAt(j)) && sql.charCodeAt(j) !== 36) j++
    if (rules.dollarQuotes && j < n && sql.charCodeAt(j) === 36) {
      const tag = sql.slice(i, j + 1)
      const close = sql.indexOf(tag, j + 1)
      const end = close < 0 ? n : close + tag.length
      this.literal(i, end, this.literalsFull() ? null : sql.slice(j + 1, close < 0 ? n : close))
      return end
    }
    if (j > i + 1) {
      if (rules.dollarNamePlaceholders) {
        this.placeholder(i, j)
        return j
      }
      return this.word(i, i + 1)
    }
    this.pushOperator(i, i + 1)
    return i + 1
  }

  /**
   * `?` is a placeholder (`?`, SQLite's `?NNN`) except in PostgreSQL right after an operand,
   * where a placeholder cannot stand: there `?`, `?|` and `?&` are jsonb operators (and `??`
   * is JDBC's escape for `?`).
   */
  private question(i: number): number {
    const sql = this.sql
    const n = sql.length
    let j = i + 1
    if (this.rules.postgresOperators && this.endsOperand()) {
      if (j < n && sql.charCodeAt(j) === 63) j++
      if (j < n && (sql.charCodeAt(j) === 124 || sql.charCodeAt(j) === 38)) j++
      this.pushOperator(i, j)
      return j
    }
    while (j < n && isDigit(sql.charCodeAt(j))) j++
    this.placeholder(i, j)
    return j
  }

  /** `::` (cast), `:=`, `:name` / `:1` placeholders, or a lone `:` (array slices). */
  private colon(i: number): number {
    const sql = this.sql
    const n = sql.length
    const next = i + 1 < n ? sql.charCodeAt(i + 1) : 0
    if (next === 58) {
      this.push(T_CAST, i, i + 2, 1, 0)
      return i + 2
    }
    const before = i > 0 ? sql.charCodeAt(i - 1) : 32
    const glued = isWordChar(before) || before === 41 || before === 93
    if (!glued && isWordStart(next)) {
      let j = i + 2
      while (j < n && isWordChar(sql.charCodeAt(j))) j++
      this.placeholder(i, j)
      return j
    }
    if (!glued && isDigit(next) && this.rules.colonNumberPlaceholders) {
      let j = i + 2
      while (j < n && isDigit(sql.charCodeAt(j))) j++
      this.placeholder(i, j)
      return j
    }
    const end = next === 61 ? i + 2 : i + 1
    this.pushOperator(i, end)
    return end
  }

  /**
   * `@p1` / `@name` placeholders, MySQL's `@name` user variables and `@@name` system
   * variables (kept as words); an operator in PostgreSQL.
   */
  private at(i: number): number {
    const sql = this.sql
    const n = sql.length
    if (!this.rules.atVariables) return this.operator(i)
    const next = i + 1 < n ? sql.charCodeAt(i + 1) : 0
    if (next === 64) return this.word(i, i + 2)
    if (!this.rules.atPlaceholders && isWordStart(next)) return this.word(i, i + 1)
    // `@0` is TypeORM's SQL Server parameter, `@p0` tedious's.
    if (this.rules.atPlaceholders && (isWordStart(next) || isDigit(next) || next === 36)) {
      let j = i + 2
      while (j < n && isWordChar(sql.charCodeAt(j))) j++
      this.placeholder(i, j)
      return j
    }
    this.pushOperator(i, i + 1)
    return i + 1
  }

  /** Python DB-API's `%s` and `%(name)s` (and psycopg 3's `%b`, `%t`), else the operator. */
  private percent(i: number): number {
    const sql = this.sql
    const n = sql.length
    const next = i + 1 < n ? sql.charCodeAt(i + 1) : 0
    if (
      (next === 115 || next === 98 || next === 116) &&
      (i + 2 >= n || !isWordChar(sql.charCodeAt(i + 2)))
    ) {
      this.placeholder(i, i + 2)
      return i + 2
    }
    if (next === 40) {
      const close = sql.indexOf(')', i + 2)
      if (close > 0 && close - i < 130) {
        const type = close + 1 < n ? sql.charCodeAt(close + 1) : 0
        if (type === 115 || type === 98 || type === 116) {
          this.placeholder(i, close + 2)
          return close + 2
        }
      }
    }
    return this.operator(i)
  }

  private placeholder(start: number, end: number): void {
    this.placeholders++
    const verbatim = end - start === 1 && this.sql.charCodeAt(start) === 63 ? 1 : 0
    this.value(start, end, verbatim)
  }

  private literalsFull(): boolean {
    return this.literalCount >= MAX_LITERALS
  }

  /** A literal; `text` is its value (null when the cap is reached). */
  private literal(start: number, end: number, text: string | null): void {
    const kept = this.literalCount
    if (text !== null && kept < MAX_LITERALS) {
      this.literalStarts[kept] = start
      this.literalEnds[kept] = end
      this.literals[kept] = text
      this.literalCount = kept + 1
    } else {
      this.literalsDropped = true
    }
    this.value(start, end, 0)
  }

  private value(start: number, end: number, verbatim: number): void {
    this.push(T_VALUE, start, end, verbatim, 0)
    if (this.pendingCompare >= 0) this.keysetCandidate()
  }

  private keysetCandidate(): void {
    const compared = this.pendingCompare
    this.pendingCompare = -1
    if (this.kinds[compared] === T_CLOSE) this.keysetTuple = true
    else if (this.compareNames.length < MAX_KEYSET_NAMES) this.compareNames.push(compared)
  }

  private open(i: number, kind: number): void {
    const before = this.count - 1
    const previousKeyword =
      before >= 0 && this.kinds[before] === T_KEYWORD ? this.extras[before]! : -1
    const comparing = this.pendingCompare
    this.depth++
    this.push(kind, i, i + 1, 1, 0)
    // `(a, b) > (?, ?)`: a row-value keyset predicate.
    if (comparing >= 0 && this.kinds[comparing] === T_CLOSE) {
      this.keysetTuple = true
      this.pendingCompare = -1
    }
    const listKind =
      kind === T_OPEN && previousKeyword === KW_IN
        ? LIST_IN
        : kind === T_LBRACKET && previousKeyword === KW_ARRAY
          ? LIST_ARRAY
          : -1
    if (listKind >= 0 && this.listTop + 1 < MAX_LISTS) {
      const top = ++this.listTop
      this.listKind[top] = listKind
      this.listDepth[top] = this.depth
      this.listOpen[top] = this.count - 1
      this.listItemStart[top] = this.count
      this.listFirstEnd[top] = -1
      this.listItems[top] = 0
      this.listSame[top] = 1
    }
  }

  private close(i: number, kind: number): void {
    if (this.depth > 0) this.depth--
    // Lists left open by unbalanced brackets end here without collapsing.
    while (this.listTop >= 0 && this.listDepth[this.listTop]! > this.depth + 1) this.listTop--
    const closesList = this.listTop >= 0 && this.listDepth[this.listTop] === this.depth + 1
    if (this.orderByDepth > this.depth) this.orderByDepth = -1
    this.push(kind, i, i + 1, 1, 0)
    if (closesList) this.closeList()
  }

  private comma(i: number): void {
    this.push(T_COMMA, i, i + 1, 1, 0)
    const top = this.listTop
    if (top >= 0 && this.listDepth[top] === this.depth) this.endItem(top, this.count - 1)
    // MySQL's LIMIT offset, count.
    const count = this.count
    if (
      count >= 3 &&
      this.kinds[count - 2] === T_VALUE &&
      this.kinds[count - 3] === T_KEYWORD &&
      this.extras[count - 3] === KW_LIMIT
    ) {
      this.sawLimitComma = true
    }
  }

  /** The item of list `top` that ends at token `end` (its comma or closing bracket). */
  private endItem(top: number, end: number): void {
    const start = this.listItemStart[top]!
    this.listItemStart[top] = end + 1
    const items = ++this.listItems[top]!
    if (this.listSame[top] === 0) return
    if (items === 1) {
      this.listFirstEnd[top] = end
      if (!this.valuesOnly(start, end)) this.listSame[top] = 0
    } else {
      const firstStart = this.listOpen[top]! + 1
      if (!this.sameTokens(firstStart, this.listFirstEnd[top]!, start, end)) this.listSame[top] = 0
    }
  }

  /** The list `top` closes with the last token: `IN (?, ?, ?)` becomes `IN (?+)`. */
  private closeList(): void {
    const top = this.listTop--
    const close = this.count - 1
    if (this.listItemStart[top]! < close) this.endItem(top, close)
    const items = this.listItems[top]!
    if (this.listSame[top] === 0 || items === 0) return
    if (this.listKind[top] === LIST_IN && items > this.inListItems) this.inListItems = items
    if (this.listKind[top] === LIST_ARRAY && items > this.inListItems) this.inListItems = items
    // Keep the first item, then `+`, then the closing bracket.
    const firstEnd = this.listFirstEnd[top]!
    const closeKind = this.kinds[close]!
    const closeStart = this.starts[close]!
    this.count = firstEnd
    const itemEnd = this.ends[firstEnd - 1]!
    this.push(T_PLUS, itemEnd, itemEnd, 0, 0)
    this.push(closeKind, closeStart, closeStart + 1, 1, 0)
  }

  /** Tokens [start, end) are values only: `?`, `(?, ?)`, `?::int`. */
  private valuesOnly(start: number, end: number): boolean {
    if (start >= end) return false
    const kinds = this.kinds
    for (let t = start; t < end; t++) {
      const kind = kinds[t]
      if (
        kind === T_VALUE ||
        kind === T_OPEN ||
        kind === T_CLOSE ||
        kind === T_COMMA ||
        kind === T_CAST ||
        kind === T_LBRACKET ||
        kind === T_RBRACKET
      ) {
        continue
      }
      // The type after `::`.
      if ((kind === T_KEYWORD || kind === T_IDENT) && t > start && kinds[t - 1] === T_CAST) continue
      return false
    }
    return true
  }

  /** Token runs [a, aEnd) and [b, bEnd) render the same. */
  private sameTokens(a: number, aEnd: number, b: number, bEnd: number): boolean {
    if (aEnd - a !== bEnd - b) return false
    const { kinds, extras, verbatim, starts, ends, sql } = this
    for (let k = 0; k < aEnd - a; k++) {
      const x = a + k
      const y = b + k
      const kind = kinds[x]
      if (kind !== kinds[y]) return false
      if (kind === T_KEYWORD) {
        if (extras[x] !== extras[y]) return false
      } else if (kind !== T_VALUE && kind !== T_PLUS && verbatim[x] === 1) {
        const length = ends[x]! - starts[x]!
        if (length !== ends[y]! - starts[y]!) return false
        const xs = starts[x]!
        const ys = starts[y]!
        for (let c = 0; c < length; c++) {
          if (sql.charCodeAt(xs + c) !== sql.charCodeAt(ys + c)) return false
        }
      }
    }
    return true
  }

  /** Steps the VALUES clause on the token just pushed (at index `t`). */
  private valuesStep(kind: number, t: number): void {
    switch (this.valuesState) {
      case V_EXPECT_ROW:
      case V_AFTER_COMMA:
        if (kind === T_OPEN && this.depth === this.valuesDepth + 1) {
          this.valuesState = V_IN_ROW
          this.rowStart = t
        } else {
          this.finishValues()
        }
        break
      case V_IN_ROW:
        if (kind === T_CLOSE && this.depth === this.valuesDepth) this.endRow(t)
        break
      case V_AFTER_ROW:
        if (kind === T_COMMA && this.depth === this.valuesDepth) {
          this.valuesState = V_AFTER_COMMA
          this.rowComma = t
        } else {
          this.finishValues()
        }
        break
    }
  }

  /** A VALUES row ends at token `t`: the same row as the one before it is dropped. */
  private endRow(t: number): void {
    this.valuesState = V_AFTER_ROW
    const rows = ++this.valuesRows
    if (
      rows > 1 &&
      this.sameTokens(this.keptRowStart, this.keptRowEnd + 1, this.rowStart, t + 1) &&
      this.keptRowEnd < this.rowComma
    ) {
      this.count = this.rowComma
      return
    }
    this.keptRowStart = this.rowStart
    this.keptRowEnd = t
  }

  private finishValues(): void {
    if (this.valuesState === V_NONE) return
    this.valuesState = V_NONE
    if (this.valuesRows > this.collapsedRows) this.collapsedRows = this.valuesRows
  }

  /** A `;` between statements: what belongs to one statement ends. */
  private endStatement(): void {
    this.finishValues()
    this.listTop = -1
    this.depth = 0
    this.orderByDepth = -1
  }

  private lastKind(): number {
    return this.count > 0 ? this.kinds[this.count - 1]! : T_NONE
  }

  /** The last token ends an operand: after it `-` subtracts and PostgreSQL's `?` is jsonb. */
  private endsOperand(): boolean {
    const t = this.count - 1
    if (t < 0) return false
    switch (this.kinds[t]) {
      case T_IDENT:
      case T_QUOTED:
      case T_VALUE:
      case T_CLOSE:
      case T_RBRACKET:
        return true
      case T_KEYWORD:
        return KEYWORD_IS_CLAUSE[this.extras[t]!] === 0
      default:
        return false
    }
  }

  private push(kind: number, start: number, end: number, verbatim: number, extra: number): void {
    let t = this.count
    if (t === this.capacity) this.grow()
    this.kinds[t] = kind
    this.verbatim[t] = verbatim
    this.starts[t] = start
    this.ends[t] = end
    this.extras[t] = extra
    this.count = ++t
    if (this.valuesState !== V_NONE) this.valuesStep(kind, t - 1)
    if (this.pendingCompare >= 0 && kind !== T_OP && kind !== T_VALUE && kind !== T_OPEN)
      this.pendingCompare = -1
  }

  private grow(): void {
    const capacity = this.capacity * 2
    const kinds = new Uint8Array(capacity)
    kinds.set(this.kinds)
    const verbatim = new Uint8Array(capacity)
    verbatim.set(this.verbatim)
    const starts = new Int32Array(capacity)
    starts.set(this.starts)
    const ends = new Int32Array(capacity)
    ends.set(this.ends)
    const extras = new Int32Array(capacity)
    extras.set(this.extras)
    this.kinds = kinds
    this.verbatim = verbatim
    this.starts = starts
    this.ends = ends
    this.extras = extras
    this.capacity = capacity
  }

  /**
   * Releases the buffers a very long query grew, so one 10 MB statement does not keep
   * megabytes of typed arrays alive.
   */
  shrink(): void {
    if (this.capacity <= 4096) return
    this.capacity = 256
    this.kinds = new Uint8Array(256)
    this.verbatim = new Uint8Array(256)
    this.starts = new Int32Array(256)
    this.ends = new Int32Array(256)
    this.extras = new Int32Array(256)
  }

  private keysetNameMatches(): boolean {
    const compared = this.compareNames
    const ordered = this.orderNames
    for (let a = 0; a < compared.length; a++) {
      for (let b = 0; b < ordered.length; b++) {
        if (this.sameName(compared[a]!, ordered[b]!)) return true
      }
    }
    return false
  }

  /** Two identifier tokens name the same column: quotes, case and qualifiers aside. */
  private sameName(a: number, b: number): boolean {
    const sql = this.sql
    let aStart = this.starts[a]!
    let aEnd = this.ends[a]!
    let bStart = this.starts[b]!
    let bEnd = this.ends[b]!
    if (this.kinds[a] === T_QUOTED) {
      aStart = this.extras[a]! + 1
      aEnd--
    }
    if (this.kinds[b] === T_QUOTED) {
      bStart = this.extras[b]! + 1
      bEnd--
    }
    if (aEnd - aStart !== bEnd - bStart) return false
    for (let k = 0; aStart + k < aEnd; k++) {
      const x = sql.charCodeAt(aStart + k)
      const y = sql.charCodeAt(bStart + k)
      if (x !== y && ((x | 0x20) !== (y | 0x20) || (x | 0x20) < 97 || (x | 0x20) > 122))
        return false
    }
    return true
  }

  // ---------------------------------------------------------------- pass 2: text and id

  /** The canonical text; sets `id` to the hash of it. */
  private render(): string {
    const sql = this.sql
    const { kinds, verbatim, starts, ends, extras } = this
    const count = this.count
    let out = ''
    // Two 32-bit lanes of a cyrb53-style hash, fed every char of `out` as it is appended.
    let h1 = SEED_1
    let h2 = SEED_2
    let runStart = -1
    let runEnd = 0
    // The previous token's row in SPACE_BEFORE: its kind, or T_CLAUSE_KEYWORD.
    let previousRow = T_NONE * KINDS
    let previousEnd = -1
    for (let t = 0; t < count; t++) {
      const kind = kinds[t]!
      const space = SPACE_BEFORE[previousRow + kind] === 1
      const start = starts[t]!
      if (verbatim[t] === 1) {
        // Does the source put exactly the canonical separator between the two tokens?
        const gapIsCanonical = space
          ? start - previousEnd === 1 && sql.charCodeAt(previousEnd) === 32
          : start === previousEnd
        if (runStart >= 0 && gapIsCanonical) {
          runEnd = ends[t]!
        } else {
          if (runStart >= 0) {
            out += runStart === 0 && runEnd === sql.length ? sql : sql.slice(runStart, runEnd)
            for (let c = runStart; c < runEnd; c++) {
              const code = sql.charCodeAt(c)
              h1 = Math.imul(h1 ^ code, 2654435761)
              h2 = Math.imul(h2 ^ code, 1597334677)
            }
          }
          if (gapIsCanonical && previousEnd >= 0) {
            runStart = previousEnd
          } else {
            if (space) {
              out += ' '
              h1 = Math.imul(h1 ^ 32, 2654435761)
              h2 = Math.imul(h2 ^ 32, 1597334677)
            }
            runStart = start
          }
          runEnd = ends[t]!
        }
      } else {
        if (runStart >= 0) {
          out += sql.slice(runStart, runEnd)
          for (let c = runStart; c < runEnd; c++) {
            const code = sql.charCodeAt(c)
            h1 = Math.imul(h1 ^ code, 2654435761)
            h2 = Math.imul(h2 ^ code, 1597334677)
          }
          runStart = -1
        }
        const piece =
          kind === T_KEYWORD
            ? space
              ? KEYWORD_TEXT_SPACED[extras[t]!]!
              : KEYWORD_TEXT[extras[t]!]!
            : kind === T_VALUE
              ? space
                ? ' ?'
                : '?'
              : '+'
        out += piece
        for (let c = 0; c < piece.length; c++) {
          const code = piece.charCodeAt(c)
          h1 = Math.imul(h1 ^ code, 2654435761)
          h2 = Math.imul(h2 ^ code, 1597334677)
        }
      }
      previousEnd = ends[t]!
      previousRow =
        (kind === T_KEYWORD && KEYWORD_IS_CLAUSE[extras[t]!] === 1 ? T_CLAUSE_KEYWORD : kind) *
        KINDS
    }
    if (runStart >= 0) {
      out += runStart === 0 && runEnd === sql.length ? sql : sql.slice(runStart, runEnd)
      for (let c = runStart; c < runEnd; c++) {
        const code = sql.charCodeAt(c)
        h1 = Math.imul(h1 ^ code, 2654435761)
        h2 = Math.imul(h2 ^ code, 1597334677)
      }
    }
    this.id = idOf(h1, h2)
    return out
  }
}

const SEED_1 = 0xdeadbeef
const SEED_2 = 0x41c6ce57

/** The id from the two hash lanes after the last char: 48 bits as 12 hex digits. */
function idOf(h1: number, h2: number): string {
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507)
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507)
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return String.fromCharCode(
    HEX[(h2 >>> 12) & 15]!,
    HEX[(h2 >>> 8) & 15]!,
    HEX[(h2 >>> 4) & 15]!,
    HEX[h2 & 15]!,
    HEX[(h1 >>> 28) & 15]!,
    HEX[(h1 >>> 24) & 15]!,
    HEX[(h1 >>> 20) & 15]!,
    HEX[(h1 >>> 16) & 15]!,
    HEX[(h1 >>> 12) & 15]!,
    HEX[(h1 >>> 8) & 15]!,
    HEX[(h1 >>> 4) & 15]!,
    HEX[h1 & 15]!,
  )
}

/**
 * The id of a text: a cyrb53-style hash (two 32-bit multiply-xor lanes, mixed at the end),
 * 48 bits of it. `render` computes the same while it writes the text.
 */
export function textId(text: string): string {
  let h1 = SEED_1
  let h2 = SEED_2
  for (let c = 0; c < text.length; c++) {
    const code = text.charCodeAt(c)
    h1 = Math.imul(h1 ^ code, 2654435761)
    h2 = Math.imul(h2 ^ code, 1597334677)
  }
  return idOf(h1, h2)
}

/**
 * Whether the canonical text puts a space between two tokens: everywhere except inside
 * brackets' edges, around `.` and `::`, before `,` `;` and the collapse `+`, and between a
 * function, type or table name and its `(`.
 */
function spaceBetween(previous: number, previousClause: boolean, kind: number): boolean {
  switch (previous) {
    case T_NONE:
    case T_OPEN:
    case T_LBRACKET:
    case T_DOT:
    case T_CAST:
      return false
  }
  switch (kind) {
    case T_CLOSE:
    case T_RBRACKET:
    case T_COMMA:
    case T_DOT:
    case T_CAST:
    case T_SEMI:
    case T_PLUS:
      return false
    case T_OPEN:
      return !(
        previous === T_IDENT ||
        previous === T_QUOTED ||
        (previous === T_KEYWORD && !previousClause)
      )
    case T_LBRACKET:
      return !(
        previous === T_IDENT ||
        previous === T_QUOTED ||
        previous === T_CLOSE ||
        previous === T_RBRACKET ||
        previous === T_VALUE ||
        (previous === T_KEYWORD && !previousClause)
      )
  }
  return true
}

/** A keyword an operand follows (see keywords.ts), as a row of SPACE_BEFORE. */
const T_CLAUSE_KEYWORD = 15
const KINDS = 16
/**
 * `spaceBetween` as a table, by previous kind (or T_CLAUSE_KEYWORD) × 16 + kind: `render`
 * asks it for every token, and one load costs less than two switches.
 */
const SPACE_BEFORE = new Uint8Array(KINDS * KINDS)
for (let previous = 0; previous < KINDS; previous++) {
  for (let kind = 0; kind < KINDS; kind++) {
    const clause = previous === T_CLAUSE_KEYWORD
    const space = spaceBetween(clause ? T_KEYWORD : previous, clause, kind)
    SPACE_BEFORE[previous * KINDS + kind] = space ? 1 : 0
  }
}

/** The value of a string body with doubled quotes and, with `backslash`, `\` escapes. */
function unescape(
  sql: string,
  start: number,
  end: number,
  quote: number,
  backslash: boolean,
): string {
  let out = ''
  let from = start
  let i = start
  while (i < end) {
    const code = sql.charCodeAt(i)
    if (code === quote && i + 1 < end && sql.charCodeAt(i + 1) === quote) {
      out += sql.slice(from, i + 1)
      i += 2
      from = i
    } else if (code === 92 && backslash && i + 1 < end) {
      out += sql.slice(from, i)
      const next = sql.charCodeAt(i + 1)
      i += 2
      switch (next) {
        case 110:
          out += '\n'
          break
        case 116:
          out += '\t'
          break
        case 114:
          out += '\r'
          break
        case 98:
          out += '\b'
          break
        case 102:
          out += '\f'
          break
        case 48:
          out += '\0'
          break
        case 90:
          out += '\x1a'
          break
        case 37: // MySQL keeps `\%` and `\_` as written: they are LIKE escapes.
        case 95:
          out += sql.slice(i - 2, i)
          break
        default:
          out += String.fromCharCode(next)
      }
      from = i
    } else {
      i++
    }
  }
  return out + sql.slice(from, end)
}

const normaliser = new Normaliser()

/** Normalises one query; never throws on any input (a malformed query lexes as far as it can). */
export function normalise(sql: string, rules: DialectRules): FingerprintResult {
  const result = normaliser.run(sql, rules)
  normaliser.shrink()
  return result
}

/** Where the last `normalise` found its literals and block comments (read before the next call). */
export interface LiteralSpans {
  readonly starts: Int32Array
  readonly ends: Int32Array
  readonly count: number
  /** The first block comments (up to 8), but MySQL's executable ones (`/*! ... *\/`). */
  readonly commentStarts: Int32Array
  readonly commentEnds: Int32Array
  readonly commentCount: number
}

/**
 * The literals of the last `normalise`, or null when there are none to make a template of:
 * no literals (most bound-parameter SQL), or some went unkept (over MAX_LITERALS).
 */
export function lastLiteralSpans(): LiteralSpans | null {
  if (normaliser.literalCount === 0 || normaliser.literalsDropped) return null
  return {
    starts: normaliser.literalStarts,
    ends: normaliser.literalEnds,
    count: normaliser.literalCount,
    commentStarts: normaliser.commentStarts,
    commentEnds: normaliser.commentEnds,
    commentCount: normaliser.commentCount,
  }
}
