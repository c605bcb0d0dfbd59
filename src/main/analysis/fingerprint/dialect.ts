/**
 * Which SQL dialect a query is read in, and the lexical rules that differ between them.
 * Only what changes how text splits into tokens lives here (quotes, comments, placeholder
 * spellings); everything else is the same for every dialect.
 */

export type Dialect = 'postgresql' | 'mysql' | 'sqlite' | 'mssql' | 'generic'

/**
 * Maps an agent's `db.system.name` (OpenTelemetry's names, plus the driver names an agent may
 * pass through) to a dialect. Unknown or missing systems read as `generic`.
 */
export function dialectFor(dbSystem: string | undefined): Dialect {
  if (typeof dbSystem !== 'string') return 'generic'
  switch (dbSystem.trim().toLowerCase()) {
    case 'postgresql':
    case 'postgres':
    case 'pg':
    case 'cockroachdb':
    case 'aws.redshift':
    case 'redshift':
    case 'yugabytedb':
      return 'postgresql'
    case 'mysql':
    case 'mariadb':
    case 'tidb':
    case 'singlestore':
    case 'memsql':
      return 'mysql'
    case 'sqlite':
    case 'sqlite3':
    case 'better-sqlite3':
    case 'libsql':
      return 'sqlite'
    case 'microsoft.sql_server':
    case 'mssql':
    case 'sqlserver':
    case 'sql_server':
      return 'mssql'
    default:
      return 'generic'
  }
}

/**
 * How `[` reads: never an identifier quote (`arr[1]`), always (`[order id]`), or by context:
 * a quote where no operand precedes it (`SELECT [x]`), a subscript after one (`arr[1]`).
 */
export type BracketRule = 'subscript' | 'identifier' | 'by-context'

/** The lexical rules of one dialect. */
export interface DialectRules {
  /** `\'` and `\\` escape inside every string (MySQL's default sql_mode). */
  readonly backslashEscapes: boolean
  /** `"x"` is a string, not an identifier (MySQL without ANSI_QUOTES). */
  readonly doubleQuotedStrings: boolean
  /** `#` starts a comment to the end of the line (MySQL). */
  readonly hashComments: boolean
  /** `--` starts a comment only when whitespace follows it (MySQL). */
  readonly dashCommentNeedsSpace: boolean
  /** `/*! ... *\/` holds SQL that MySQL runs: its content is read as SQL. */
  readonly executableComments: boolean
  /** `/* /* *\/ *\/` nests (PostgreSQL, SQL Server). */
  readonly nestedComments: boolean
  /** `$$...$$` and `$tag$...$tag$` strings. */
  readonly dollarQuotes: boolean
  /** `E'...'` strings with backslash escapes. */
  readonly escapeStrings: boolean
  /** `?`, `?|`, `?&` after an operand are jsonb operators; `@` is an operator character. */
  readonly postgresOperators: boolean
  /** `@name` and `@@name` are variables, not operators. */
  readonly atVariables: boolean
  /**
   * `@name` is a bound parameter (SQL Server's `@p1`, SQLite's `@name`); where it is not
   * (MySQL's user variables), it stays as written, like `@@name` everywhere.
   */
  readonly atPlaceholders: boolean
  /** `#temp` and `##temp` are table names (SQL Server). */
  readonly hashIdentifiers: boolean
  /** `$name` is a placeholder (SQLite). */
  readonly dollarNamePlaceholders: boolean
  /** `:1` is a placeholder (Oracle's positional binds). */
  readonly colonNumberPlaceholders: boolean
  /** `$` may start an unquoted identifier (MySQL, SQL Server's `$action`). */
  readonly dollarIdentifiers: boolean
  readonly brackets: BracketRule
}

const POSTGRESQL: DialectRules = {
  backslashEscapes: false,
  doubleQuotedStrings: false,
  hashComments: false,
  dashCommentNeedsSpace: false,
  executableComments: false,
  nestedComments: true,
  dollarQuotes: true,
  escapeStrings: true,
  postgresOperators: true,
  atVariables: false,
  atPlaceholders: false,
  hashIdentifiers: false,
  dollarNamePlaceholders: false,
  colonNumberPlaceholders: false,
  dollarIdentifiers: false,
  brackets: 'subscript',
}

const MYSQL: DialectRules = {
  backslashEscapes: true,
  doubleQuotedStrings: true,
  hashComments: true,
  dashCommentNeedsSpace: true,
  executableComments: true,
  nestedComments: false,
  dollarQuotes: false,
  escapeStrings: false,
  postgresOperators: false,
  atVariables: true,
  atPlaceholders: false,
  hashIdentifiers: false,
  dollarNamePlaceholders: false,
  colonNumberPlaceholders: false,
  dollarIdentifiers: true,
  brackets: 'subscript',
}

const SQLITE: DialectRules = {
  backslashEscapes: false,
  doubleQuotedStrings: false,
  hashComments: false,
  dashCommentNeedsSpace: false,
  executableComments: false,
  nestedComments: false,
  dollarQuotes: false,
  escapeStrings: false,
  postgresOperators: false,
  atVariables: true,
  atPlaceholders: true,
  hashIdentifiers: false,
  dollarNamePlaceholders: true,
  colonNumberPlaceholders: false,
  dollarIdentifiers: false,
  brackets: 'identifier',
}

const MSSQL: DialectRules = {
  backslashEscapes: false,
  doubleQuotedStrings: false,
  hashComments: false,
  dashCommentNeedsSpace: false,
  executableComments: false,
  nestedComments: true,
  dollarQuotes: false,
  escapeStrings: false,
  postgresOperators: false,
  atVariables: true,
  atPlaceholders: true,
  hashIdentifiers: true,
  dollarNamePlaceholders: false,
  colonNumberPlaceholders: false,
  dollarIdentifiers: true,
  brackets: 'identifier',
}

/** Standard SQL, plus the placeholder spellings of every driver: used when the system is unknown. */
const GENERIC: DialectRules = {
  backslashEscapes: false,
  doubleQuotedStrings: false,
  hashComments: false,
  dashCommentNeedsSpace: false,
  executableComments: false,
  nestedComments: false,
  dollarQuotes: true,
  escapeStrings: true,
  postgresOperators: false,
  atVariables: true,
  atPlaceholders: true,
  hashIdentifiers: false,
  dollarNamePlaceholders: true,
  colonNumberPlaceholders: true,
  dollarIdentifiers: false,
  brackets: 'by-context',
}

export function rulesFor(dialect: Dialect): DialectRules {
  switch (dialect) {
    case 'postgresql':
      return POSTGRESQL
    case 'mysql':
      return MYSQL
    case 'sqlite':
      return SQLITE
    case 'mssql':
      return MSSQL
    default:
      return GENERIC
  }
}
