/**
 * Redaction: taking secrets out of queries before a session leaves the machine (export).
 *
 * A value is secret when the name it goes by matches a rule: the key of a named parameter
 * (`{ password }`, `%(password_1)s`, `:token`), or the column a positional parameter or an
 * inlined literal is bound to in the SQL. The binding is read from the SQL with a small lexer
 * (strings, quoted names, comments and every placeholder style, per dialect):
 *
 *   WHERE "User"."password" = $2            comparison: =, <>, <, LIKE, ... either side
 *   WHERE lower(email) = lower(?)           ... through a function call on either side
 *   WHERE token IN (?, ?) / BETWEEN ? AND ?
 *   INSERT INTO users (email, password) VALUES (?, ?), (?, ?)   by position in each row
 *   UPDATE users SET password = %s, ...     assignments (also ON DUPLICATE KEY UPDATE)
 *
 * Matching parameters become the mask (a null stays null: it hides nothing, and says the
 * value was not set); matching literals in the SQL text become the mask as
 * a SQL string (`'[REDACTED]'`) when `sqlLiterals` is on (default). Also masked: keys that
 * match inside object parameters (a JSON column's value), and the value in MySQL's
 * "Duplicate entry '…' for key '…'" and PostgreSQL's "Key (col)=(…)" error messages when the
 * key or column matches. `dropParams` removes every parameter instead.
 *
 * Not covered (use `dropParams`): a secret bound to a column whose name does not say so,
 * secrets in SQL the lexer cannot tie to a column (`VALUES` without a column list, `INSERT
 * ... SELECT`, row-value comparisons), and in context names or stack frames.
 *
 * What a text binds is worked out once per (dialect, text) and cached.
 */
import type { AppInfo, QueryParams, QueryRecord } from '../../shared/domain'
import { dialectFor, type Dialect } from '../analysis/fingerprint'

/**
 * The default rules: names that hold secrets. A rule matches a name when its words, run
 * together, equal a run of the name's words (split at `_`, `-`, `.`, spaces, camelCase and
 * between letters and digits, case ignored): `api_key` matches `apiKey`, `X-Api-Key`, `apikey`
 * and `user_api_key_2`; `token` matches `access_token` but not `tokenizer`.
 */
export const DEFAULT_REDACTION_RULES: readonly string[] = [
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'token',
  'authorization',
  'api_key',
  'access_key',
  'private_key',
  'card',
  'card_number',
  'cvv',
  'cvc',
  'ssn',
]

export const DEFAULT_MASK = '[REDACTED]'

export interface RedactionOptions {
  /** Names to redact: words as above, or a RegExp tested on the whole name. */
  rules?: readonly (string | RegExp)[]
  /** Remove every query's parameters. */
  dropParams?: boolean
  /** Also mask values inlined in the SQL text for matching columns (default true). */
  sqlLiterals?: boolean
  /** What a redacted value becomes (default `[REDACTED]`). */
  mask?: string
  /** The session's apps, for each query's SQL dialect (unknown apps: a generic dialect). */
  apps?: readonly AppInfo[]
}

/** Redacts one query (returns it unchanged when nothing matched, a copy otherwise). */
export interface Redactor {
  (query: QueryRecord): QueryRecord
  /** A SQL text with the matching inlined values masked. */
  sql(text: string, appId?: string): string
  /** Whether a parameter or column name matches the rules. */
  matches(name: string): boolean
}

export function createRedactor(options: RedactionOptions = {}): Redactor {
  const matcher = new NameMatcher(options.rules ?? DEFAULT_REDACTION_RULES)
  const mask = options.mask ?? DEFAULT_MASK
  const sqlMask = `'${mask.replace(/'/g, "''")}'`
  const sqlLiterals = options.sqlLiterals !== false
  const dialects = new Map<string, Dialect>()
  for (const app of options.apps ?? []) dialects.set(app.id, dialectFor(app.dbSystem))
  const plans = new PlanCache()

  const planFor = (sql: string, appId: string | undefined): Plan => {
    const dialect = (appId !== undefined && dialects.get(appId)) || 'generic'
    let plan = plans.get(dialect, sql)
    if (plan === undefined) {
      plan = makePlan(sql, dialect, matcher, sqlLiterals ? sqlMask : undefined)
      plans.set(dialect, sql, plan)
    }
    return plan
  }

  const redactor = ((query: QueryRecord): QueryRecord => {
    const plan = typeof query.sql === 'string' ? planFor(query.sql, query.appId) : EMPTY_PLAN
    let out: QueryRecord | undefined
    const copy = () => (out ??= { ...query })

    if (plan.sql !== undefined) copy().sql = plan.sql
    if (query.params !== undefined) {
      if (options.dropParams) {
        delete copy().params
      } else {
        const params = redactParams(query.params, plan, matcher, mask)
        if (params !== query.params) copy().params = params
      }
    }
    const message = query.error?.message
    if (typeof message === 'string') {
      const redacted = redactErrorMessage(message, matcher, mask)
      if (redacted !== message) copy().error = { ...query.error!, message: redacted }
    }
    return out ?? query
  }) as Redactor
  redactor.sql = (text, appId) => planFor(text, appId).sql ?? text
  redactor.matches = (name) => matcher.matches(name)
  return redactor
}

/** One query, with the default rules unless told otherwise. */
export function redactQuery(query: QueryRecord, options: RedactionOptions = {}): QueryRecord {
  return createRedactor(options)(query)
}

// --- names --------------------------------------------------------------------------------

/** A name's words, lower case: `userAPIKey_2` → user, api, key, 2; `cvv2` → cvv, 2. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/([A-Za-z])([0-9])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '')
}

class NameMatcher {
  private readonly joined: Set<string>
  private readonly patterns: RegExp[]
  private readonly longest: number
  private cache = new Map<string, boolean>()

  constructor(rules: readonly (string | RegExp)[]) {
    this.joined = new Set()
    this.patterns = []
    let longest = 1
    for (const rule of rules) {
      if (rule instanceof RegExp) {
        this.patterns.push(rule)
      } else {
        const words = nameWords(rule)
        if (words.length === 0) continue
        this.joined.add(words.join(''))
        longest = Math.max(longest, words.length)
      }
    }
    // A rule of n words can be written as up to n name words (or as one).
    this.longest = longest
  }

  matches(name: string): boolean {
    let found = this.cache.get(name)
    if (found !== undefined) return found
    found = this.compute(name)
    if (this.cache.size > 10_000) this.cache.clear()
    this.cache.set(name, found)
    return found
  }

  private compute(name: string): boolean {
    for (const pattern of this.patterns) {
      pattern.lastIndex = 0
      if (pattern.test(name)) return true
    }
    const words = nameWords(name)
    for (let from = 0; from < words.length; from++) {
      let run = ''
      for (let to = from; to < words.length && to - from < Math.max(this.longest, 3); to++) {
        run += words[to]
        if (this.joined.has(run)) return true
      }
    }
    return false
  }
}

// --- parameters and messages --------------------------------------------------------------

function redactParams(
  params: QueryParams,
  plan: Plan,
  matcher: NameMatcher,
  mask: string,
): QueryParams {
  if (Array.isArray(params)) {
    let out: unknown[] | undefined
    for (let i = 0; i < params.length; i++) {
      const value = params[i]
      const redacted =
        plan.positions.has(i) && value != null ? mask : redactNested(value, matcher, mask, 0)
      if (redacted !== value) (out ??= params.slice())[i] = redacted
    }
    return out ?? params
  }
  if (typeof params !== 'object' || params === null) return params
  let out: Record<string, unknown> | undefined
  for (const key of Object.keys(params)) {
    const value = params[key]
    const redacted =
      (plan.names.has(key) || matcher.matches(key)) && value != null
        ? mask
        : redactNested(value, matcher, mask, 0)
    if (redacted !== value) (out ??= { ...params })[key] = redacted
  }
  return out ?? params
}

/** Object parameters (JSON columns): keys that match are masked, at any depth up to 8. */
function redactNested(value: unknown, matcher: NameMatcher, mask: string, depth: number): unknown {
  if (typeof value !== 'object' || value === null || depth > 8) return value
  if (Array.isArray(value)) {
    let out: unknown[] | undefined
    for (let i = 0; i < value.length; i++) {
      const redacted = redactNested(value[i], matcher, mask, depth + 1)
      if (redacted !== value[i]) (out ??= value.slice())[i] = redacted
    }
    return out ?? value
  }
  let out: Record<string, unknown> | undefined
  const record = value as Record<string, unknown>
  for (const key of Object.keys(record)) {
    const redacted =
      matcher.matches(key) && record[key] != null
        ? mask
        : redactNested(record[key], matcher, mask, depth + 1)
    if (redacted !== record[key]) (out ??= { ...record })[key] = redacted
  }
  return out ?? value
}

const MYSQL_DUPLICATE = /(Duplicate entry ')((?:[^']|'')*)(' for key '([^']*)')/g
const POSTGRES_KEY = /(Key \()([^)]*)(\)=\()(.*?)(\))/g

/** Values quoted by MySQL's and PostgreSQL's unique-violation messages, when the key matches. */
function redactErrorMessage(message: string, matcher: NameMatcher, mask: string): string {
  if (!message.includes('Duplicate entry') && !message.includes('Key (')) return message
  return message
    .replace(MYSQL_DUPLICATE, (all, open: string, _value: string, close: string, key: string) =>
      matcher.matches(key) ? `${open}${mask}${close}` : all,
    )
    .replace(
      POSTGRES_KEY,
      (all, open: string, columns: string, middle: string, _values: string, close: string) =>
        columns.split(',').some((column) => matcher.matches(column.trim().replace(/"/g, '')))
          ? `${open}${columns}${middle}${mask}${close}`
          : all,
    )
}

// --- what a SQL text binds ----------------------------------------------------------------

interface Plan {
  /** Positional parameter indexes (0-based) bound to matching columns. */
  positions: ReadonlySet<number>
  /** Named parameters bound to matching columns. */
  names: ReadonlySet<string>
  /** The text with matching literals masked; undefined when none. */
  sql?: string
}

const EMPTY_PLAN: Plan = { positions: new Set(), names: new Set() }

class PlanCache {
  private maps = new Map<Dialect, Map<string, Plan>>()

  get(dialect: Dialect, sql: string): Plan | undefined {
    return this.maps.get(dialect)?.get(sql)
  }

  set(dialect: Dialect, sql: string, plan: Plan): void {
    if (sql.length > 16_384) return
    let map = this.maps.get(dialect)
    if (map === undefined) this.maps.set(dialect, (map = new Map()))
    // Texts with inlined values are all different: a bounded cache, emptied when full.
    if (map.size >= 5_000) map.clear()
    map.set(sql, plan)
  }
}

// Token kinds.
const WORD = 1
const QUOTED = 2
const STRING = 3
const NUMBER = 4
const PARAM = 5
const OPEN = 6
const CLOSE = 7
const COMMA = 8
const DOT = 9
const OPERATOR = 10
const SEMICOLON = 11
const OTHER = 12

interface Token {
  kind: number
  start: number
  end: number
  /** WORD: lower case; QUOTED: the name without quotes; OPERATOR: the operator. */
  text: string
  /** PARAM: 0-based position, when the placeholder has one (`?`, `$2`, `@0`, `%s`). */
  position?: number
  /** PARAM: the name, when it has one (`:name`, `%(name)s`, `@name`, `$name`). */
  name?: string
  /** OPEN: index of the matching CLOSE (or the last token). */
  match?: number
}

const COMPARISONS = new Set(['=', '==', '!=', '<>', '<', '>', '<=', '>='])
const COMPARISON_WORDS = new Set(['like', 'ilike', 'glob', 'regexp', 'rlike'])
/** Words that end a SET list's expression. */
const CLAUSE_WORDS = new Set([
  'where',
  'from',
  'returning',
  'output',
  'on',
  'order',
  'limit',
  'group',
  'having',
  'union',
  'select',
])

const isDigit = (code: number) => code >= 48 && code <= 57
const isWordStart = (code: number) =>
  (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code >= 128
const isWordPart = (code: number) => isWordStart(code) || isDigit(code) || code === 36

/** Reads a SQL text into tokens (comments and whitespace dropped). Never throws. */
export function lexSql(sql: string, dialect: Dialect): Token[] {
  const tokens: Token[] = []
  const n = sql.length
  const mysql = dialect === 'mysql'
  const postgres = dialect === 'postgresql'
  let positional = 0
  let i = 0
  const push = (kind: number, start: number, end: number, text = '') => {
    const token: Token = { kind, start, end, text }
    tokens.push(token)
    return token
  }
  const lastIsOperand = () => {
    const last = tokens[tokens.length - 1]
    return (
      last !== undefined &&
      (last.kind === WORD ||
        last.kind === QUOTED ||
        last.kind === STRING ||
        last.kind === NUMBER ||
        last.kind === PARAM ||
        last.kind === CLOSE)
    )
  }
  /** A quoted run from `i` (at the opening quote) to past the closing one. */
  const quoted = (close: number, backslash: boolean): number => {
    let j = i + 1
    while (j < n) {
      const c = sql.charCodeAt(j)
      if (backslash && c === 92) {
        j += 2
        continue
      }
      if (c === close) {
        if (sql.charCodeAt(j + 1) === close) {
          j += 2
          continue
        }
        return j + 1
      }
      j++
    }
    return n
  }

  while (i < n) {
    const c = sql.charCodeAt(i)
    // Whitespace.
    if (c <= 32) {
      i++
      continue
    }
    // Comments.
    if (c === 45 && sql.charCodeAt(i + 1) === 45) {
      const eol = sql.indexOf('\n', i)
      i = eol < 0 ? n : eol + 1
      continue
    }
    if (c === 35 && mysql) {
      const eol = sql.indexOf('\n', i)
      i = eol < 0 ? n : eol + 1
      continue
    }
    if (c === 47 && sql.charCodeAt(i + 1) === 42) {
      const close = sql.indexOf('*/', i + 2)
      i = close < 0 ? n : close + 2
      continue
    }
    // Strings and quoted names.
    if (c === 39) {
      const end = quoted(39, mysql)
      push(STRING, i, end)
      i = end
      continue
    }
    if (c === 34) {
      const end = quoted(34, mysql)
      if (mysql) push(STRING, i, end)
      else push(QUOTED, i, end, sql.slice(i + 1, end - 1).replace(/""/g, '"'))
      i = end
      continue
    }
    if (c === 96) {
      const end = quoted(96, false)
      push(QUOTED, i, end, sql.slice(i + 1, end - 1).replace(/``/g, '`'))
      i = end
      continue
    }
    if (c === 91 && dialect !== 'postgresql' && dialect !== 'mysql') {
      const close = sql.indexOf(']', i + 1)
      const end = close < 0 ? n : close + 1
      push(QUOTED, i, end, sql.slice(i + 1, end - 1))
      i = end
      continue
    }
    // Placeholders.
    if (c === 63) {
      // `?` after an operand is PostgreSQL's jsonb operator.
      if (postgres && lastIsOperand()) {
        let j = i + 1
        if (sql.charCodeAt(j) === 124 || sql.charCodeAt(j) === 38) j++
        push(OPERATOR, i, j, sql.slice(i, j))
        i = j
        continue
      }
      let j = i + 1
      while (j < n && isDigit(sql.charCodeAt(j))) j++
      const token = push(PARAM, i, j)
      token.position = j > i + 1 ? Number(sql.slice(i + 1, j)) - 1 : positional++
      i = j
      continue
    }
    if (c === 36) {
      const next = sql.charCodeAt(i + 1)
      if (isDigit(next)) {
        let j = i + 1
        while (j < n && isDigit(sql.charCodeAt(j))) j++
        const token = push(PARAM, i, j)
        token.position = Number(sql.slice(i + 1, j)) - 1
        token.name = sql.slice(i + 1, j)
        i = j
        continue
      }
      // A dollar-quoted string: $$...$$ or $tag$...$tag$.
      const tagEnd = sql.indexOf('$', i + 1)
      const tag = tagEnd > i ? sql.slice(i, tagEnd + 1) : ''
      if (postgres && /^\$[A-Za-z_]?[A-Za-z0-9_]*\$$/.test(tag)) {
        const close = sql.indexOf(tag, tagEnd + 1)
        const end = close < 0 ? n : close + tag.length
        push(STRING, i, end)
        i = end
        continue
      }
      if (isWordStart(next)) {
        let j = i + 1
        while (j < n && isWordPart(sql.charCodeAt(j))) j++
        push(PARAM, i, j).name = sql.slice(i + 1, j)
        i = j
        continue
      }
    }
    if (c === 58) {
      const next = sql.charCodeAt(i + 1)
      if (next === 58) {
        push(OPERATOR, i, i + 2, '::')
        i += 2
        continue
      }
      if (isWordStart(next) || isDigit(next)) {
        let j = i + 1
        while (j < n && isWordPart(sql.charCodeAt(j))) j++
        const token = push(PARAM, i, j)
        const name = sql.slice(i + 1, j)
        token.name = name
        if (/^\d+$/.test(name)) token.position = Number(name) - 1
        i = j
        continue
      }
    }
    if (c === 64 && dialect !== 'mysql' && dialect !== 'postgresql') {
      let j = i + 1
      while (j < n && isWordPart(sql.charCodeAt(j))) j++
      if (j > i + 1) {
        const token = push(PARAM, i, j)
        const name = sql.slice(i + 1, j)
        token.name = name
        // SQL Server drivers number from @0 (TypeORM) or @p1 (others).
        if (/^\d+$/.test(name)) token.position = Number(name)
        else if (/^p\d+$/i.test(name)) token.position = Number(name.slice(1)) - 1
        i = j
        continue
      }
    }
    if (c === 37) {
      const next = sql.charCodeAt(i + 1)
      if (next === 40) {
        const close = sql.indexOf(')', i + 2)
        if (close > 0 && /^[sbt]$/.test(sql.charAt(close + 1))) {
          push(PARAM, i, close + 2).name = sql.slice(i + 2, close)
          i = close + 2
          continue
        }
      } else if (next === 115 || next === 98 || next === 116) {
        push(PARAM, i, i + 2).position = positional++
        i += 2
        continue
      } else if (next === 37) {
        push(OPERATOR, i, i + 2, '%')
        i += 2
        continue
      }
    }
    // Numbers.
    if (isDigit(c) || (c === 46 && isDigit(sql.charCodeAt(i + 1)))) {
      let j = i + 1
      while (j < n) {
        const d = sql.charCodeAt(j)
        if (isDigit(d) || d === 46 || d === 95 || (d >= 97 && d <= 122) || (d >= 65 && d <= 90)) {
          // Exponent signs: 1e-5.
          if (
            (d === 101 || d === 69) &&
            (sql.charCodeAt(j + 1) === 43 || sql.charCodeAt(j + 1) === 45)
          )
            j++
          j++
        } else break
      }
      push(NUMBER, i, j)
      i = j
      continue
    }
    // Words (a prefix letter glued to a quote is a string: N'', E'', X'', B'').
    if (isWordStart(c)) {
      let j = i + 1
      while (j < n && isWordPart(sql.charCodeAt(j))) j++
      if (sql.charCodeAt(j) === 39 && j - i <= 2 && /^(n|e|x|b|u&?)$/i.test(sql.slice(i, j))) {
        const start = i
        i = j
        const end = quoted(39, mysql || /e/i.test(sql.slice(start, j)))
        push(STRING, start, end)
        i = end
        continue
      }
      push(WORD, i, j, sql.slice(i, j).toLowerCase())
      i = j
      continue
    }
    switch (c) {
      case 40:
        push(OPEN, i, i + 1, '(')
        break
      case 41:
        push(CLOSE, i, i + 1, ')')
        break
      case 44:
        push(COMMA, i, i + 1, ',')
        break
      case 46:
        push(DOT, i, i + 1, '.')
        break
      case 59:
        push(SEMICOLON, i, i + 1, ';')
        break
      default: {
        if ('=<>!'.includes(sql.charAt(i))) {
          let j = i + 1
          while (j < n && '=<>'.includes(sql.charAt(j))) j++
          push(OPERATOR, i, j, sql.slice(i, j))
          i = j
          continue
        }
        push('+-*/|&^~%'.includes(sql.charAt(i)) ? OPERATOR : OTHER, i, i + 1, sql.charAt(i))
      }
    }
    i++
  }
  matchParentheses(tokens)
  return tokens
}

function matchParentheses(tokens: Token[]): void {
  const open: number[] = []
  for (let i = 0; i < tokens.length; i++) {
    const kind = tokens[i]!.kind
    if (kind === OPEN) open.push(i)
    else if (kind === CLOSE && open.length > 0) tokens[open.pop()!]!.match = i
  }
  for (const index of open) tokens[index]!.match = tokens.length - 1
}

const isValue = (token: Token | undefined) =>
  token !== undefined && (token.kind === PARAM || token.kind === STRING || token.kind === NUMBER)
const isName = (token: Token | undefined) =>
  token !== undefined && (token.kind === WORD || token.kind === QUOTED)

/**
 * Which values of a SQL text are bound to matching columns: their placeholders' positions
 * and names, and the text with the matching literals masked (when `sqlMask` is given).
 */
function makePlan(
  sql: string,
  dialect: Dialect,
  matcher: NameMatcher,
  sqlMask: string | undefined,
): Plan {
  const tokens = lexSql(sql, dialect)
  const column: (string | undefined)[] = new Array(tokens.length)
  bindInsertRows(tokens, column)
  bindAssignments(tokens, column)
  for (let i = 0; i < tokens.length; i++) {
    if (isValue(tokens[i]) && column[i] === undefined) column[i] = comparedColumn(tokens, i)
  }

  const positions = new Set<number>()
  const names = new Set<string>()
  const literals: Token[] = []
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    if (token.kind === PARAM && token.name !== undefined && matcher.matches(token.name)) {
      names.add(token.name)
      if (token.position !== undefined) positions.add(token.position)
    }
    const name = column[i]
    if (name === undefined || !matcher.matches(name)) continue
    if (token.kind === PARAM) {
      if (token.position !== undefined) positions.add(token.position)
      if (token.name !== undefined) names.add(token.name)
    } else if (sqlMask !== undefined) {
      literals.push(token)
    }
  }
  if (positions.size === 0 && names.size === 0 && literals.length === 0) return EMPTY_PLAN
  let masked: string | undefined
  if (literals.length > 0) {
    masked = ''
    let from = 0
    for (const literal of literals) {
      masked += sql.slice(from, literal.start) + sqlMask
      from = literal.end
    }
    masked += sql.slice(from)
  }
  return { positions, names, sql: masked }
}

/** `INSERT INTO t (a, b) VALUES (x, y), (z, w)`: every value in item k of a row → column k. */
function bindInsertRows(tokens: Token[], column: (string | undefined)[]): void {
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.text !== 'into' || tokens[i]!.kind !== WORD) continue
    // The table name: names and dots, then the column list.
    let j = i + 1
    while (j < tokens.length && (isName(tokens[j]) || tokens[j]!.kind === DOT)) j++
    const list = tokens[j]
    if (list?.kind !== OPEN || list.match === undefined) continue
    const columns = itemsOf(tokens, j).map(([from, to]) => lastName(tokens, from, to))
    // Then VALUES (TypeORM puts `OUTPUT INSERTED...` in between on SQL Server).
    let k = list.match + 1
    while (k < tokens.length && tokens[k]!.kind !== SEMICOLON) {
      const word = tokens[k]!.text
      if (tokens[k]!.kind === WORD && (word === 'values' || word === 'value')) break
      if (tokens[k]!.kind === WORD && word === 'select') {
        k = tokens.length
        break
      }
      k++
    }
    k++
    while (tokens[k]?.kind === OPEN) {
      const row = tokens[k]!
      itemsOf(tokens, k).forEach(([from, to], index) => {
        const name = columns[index]
        if (name === undefined) return
        for (let v = from; v < to; v++) if (isValue(tokens[v])) column[v] ??= name
      })
      k = row.match! + 1
      if (tokens[k]?.kind !== COMMA) break
      k++
    }
  }
}

/** `SET a = expr, b = expr` (and MySQL's `ON DUPLICATE KEY UPDATE a = expr`). */
function bindAssignments(tokens: Token[], column: (string | undefined)[]): void {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    if (token.kind !== WORD) continue
    const starts =
      token.text === 'set' ||
      (token.text === 'update' &&
        tokens[i - 1]?.text === 'key' &&
        tokens[i - 2]?.text === 'duplicate')
    if (!starts) continue
    let j = i + 1
    let depth = 0
    let target: string | undefined
    let expecting = true
    for (; j < tokens.length; j++) {
      const t = tokens[j]!
      if (t.kind === OPEN) depth++
      else if (t.kind === CLOSE) {
        if (depth === 0) break
        depth--
      } else if (depth === 0 && t.kind === SEMICOLON) break
      else if (depth === 0 && t.kind === WORD && CLAUSE_WORDS.has(t.text) && !expecting) break
      if (depth === 0 && t.kind === COMMA) {
        target = undefined
        expecting = true
        continue
      }
      if (expecting) {
        // The target: a (qualified) name, then `=`.
        if (depth === 0 && t.kind === OPERATOR && t.text === '=') {
          target = lastName(tokens, i + 1, j, j)
          expecting = false
        }
        continue
      }
      if (target !== undefined && isValue(t)) column[j] ??= target
    }
    i = j - 1
  }
}

/** The column a value is compared with: `col = v`, `v = col`, `col IN (v, ...)`, `col BETWEEN v AND v`. */
function comparedColumn(tokens: Token[], i: number): string | undefined {
  // A value alone in a call (`lower(?)`, `ANY($1)`) stands for the call.
  let first = i
  let last = i
  while (
    tokens[first - 1]?.kind === OPEN &&
    tokens[first - 1]!.match === last + 1 &&
    isName(tokens[first - 2])
  ) {
    first -= 2
    last += 1
  }
  const before = tokens[first - 1]
  const after = tokens[last + 1]
  if (before && isComparison(tokens, first - 1)) {
    const operand = operandBefore(tokens, comparisonStart(tokens, first - 1))
    if (operand !== undefined) return operand
  }
  if (after && isComparison(tokens, last + 1)) {
    const operand = operandAfter(tokens, last + 2)
    if (operand !== undefined) return operand
  }
  // IN (v, v, ...): the value's own parentheses follow IN.
  for (let j = i - 1, depth = 0; j >= 0; j--) {
    const t = tokens[j]!
    if (t.kind === CLOSE) depth++
    else if (t.kind === OPEN) {
      if (depth > 0) {
        depth--
        continue
      }
      if (tokens[j - 1]?.kind === WORD && tokens[j - 1]!.text === 'in') {
        const at = tokens[j - 2]?.text === 'not' ? j - 3 : j - 2
        return operandBefore(tokens, at + 1)
      }
      break
    } else if (depth === 0 && t.kind !== COMMA && !isValue(t) && t.kind !== OPERATOR) break
  }
  // BETWEEN v AND v.
  if (before?.kind === WORD && before.text === 'between') return operandBefore(tokens, first - 1)
  if (
    before?.kind === WORD &&
    before.text === 'and' &&
    isValue(tokens[first - 2]) &&
    tokens[first - 3]?.text === 'between'
  ) {
    return operandBefore(tokens, first - 3)
  }
  return undefined
}

function isComparison(tokens: Token[], i: number): boolean {
  const t = tokens[i]!
  if (t.kind === OPERATOR) return COMPARISONS.has(t.text)
  return t.kind === WORD && COMPARISON_WORDS.has(t.text)
}

/** Index of the first token of the comparison ending at `i` (`NOT LIKE` starts at NOT). */
function comparisonStart(tokens: Token[], i: number): number {
  return tokens[i]!.kind === WORD && tokens[i - 1]?.text === 'not' ? i - 1 : i
}

/** The column just before index `end`: a name, or the last name inside a call `f(col)`. */
function operandBefore(tokens: Token[], end: number): string | undefined {
  const t = tokens[end - 1]
  if (t === undefined) return undefined
  if (isName(t)) return t.text
  if (t.kind === CLOSE) {
    let open = end - 2
    for (let depth = 0; open >= 0; open--) {
      const k = tokens[open]!.kind
      if (k === CLOSE) depth++
      else if (k === OPEN) {
        if (depth === 0) break
        depth--
      }
    }
    return lastName(tokens, open + 1, end - 1)
  }
  return undefined
}

/** The column starting at index `start`: a (qualified) name, or a call's last name. */
function operandAfter(tokens: Token[], start: number): string | undefined {
  let j = start
  while (isName(tokens[j]) && tokens[j + 1]?.kind === DOT) j += 2
  const t = tokens[j]
  if (!isName(t)) return undefined
  const next = tokens[j + 1]
  if (next?.kind === OPEN && next.match !== undefined) return lastName(tokens, j + 2, next.match)
  return t!.text
}

/** The last name token in [from, to), not followed by `(` (a call), before `stop`. */
function lastName(tokens: Token[], from: number, to: number, stop = to): string | undefined {
  for (let j = Math.min(to, stop) - 1; j >= from; j--) {
    const t = tokens[j]!
    if (isName(t) && tokens[j + 1]?.kind !== OPEN) return t.text
  }
  return undefined
}

/** The comma-separated items inside the parentheses opening at `open`: [from, to) each. */
function itemsOf(tokens: Token[], open: number): [number, number][] {
  const close = tokens[open]!.match!
  const items: [number, number][] = []
  let from = open + 1
  let depth = 0
  for (let j = open + 1; j < close; j++) {
    const kind = tokens[j]!.kind
    if (kind === OPEN) depth++
    else if (kind === CLOSE) depth--
    else if (kind === COMMA && depth === 0) {
      items.push([from, j])
      from = j + 1
    }
  }
  if (close > open + 1) items.push([from, close])
  return items
}
