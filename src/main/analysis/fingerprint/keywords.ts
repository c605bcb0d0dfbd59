/**
 * The words whose case the fingerprint folds (to upper case), found without allocating: the
 * lexer hashes a word's lower-cased char codes while it scans it, and `lookupKeyword` probes
 * an open-addressed table with that hash, comparing char codes.
 *
 * A word not listed here is an identifier and keeps its case. Folding a listed word that is
 * used as an identifier (`date`, `count`) is harmless: unquoted identifiers are
 * case-insensitive in every supported dialect (MySQL table names aside, which no schema
 * spells both ways).
 *
 * Clause words are the ones an operand follows (`WHERE`, `=`-like `LIKE`, `THEN`, `LIMIT`):
 * after them `-1` is a negative number and, in PostgreSQL, `?` is a placeholder. Every other
 * word ends an operand like an identifier does (`END`, `NULL`, type and function names), so
 * `x -1` and `END -1` subtract. Clause words also keep a space before `(` (`IN (`, `VALUES (`,
 * `EXISTS (`), where function and type names do not (`COUNT(`, `varchar(`).
 */

const CLAUSE_WORDS = `
  SELECT FROM WHERE AND OR NOT XOR THEN WHEN ELSE CASE ON SET BY LIMIT OFFSET IN IS LIKE ILIKE
  BETWEEN VALUES RETURNING DEFAULT ESCAPE INTERVAL DISTINCT EXISTS HAVING JOIN USING AS INTO
  TOP FETCH FIRST NEXT WITH UNION INTERSECT EXCEPT MINUS ALL OVER FILTER RETURN DIV MOD REGEXP
  RLIKE SIMILAR GLOB MATCH AGAINST UPDATE TABLE FOR DO OF TO LATERAL WINDOW PARTITION GROUP
  CONFLICT ELSIF ELSEIF WHILE COLLATE OUTPUT
`

const OTHER_WORDS = `
  NULL TRUE FALSE UNKNOWN END ASC DESC NULLS LAST ONLY ROWS ROW ORDER ANY SOME ARRAY
  INSERT DELETE REPLACE MERGE UPSERT CREATE DROP ALTER TRUNCATE RENAME ADD COLUMN INDEX VIEW
  TEMPORARY TEMP IF PRIMARY KEY FOREIGN REFERENCES UNIQUE CHECK CONSTRAINT CASCADE RESTRICT
  BEGIN COMMIT ROLLBACK SAVEPOINT RELEASE START TRANSACTION ISOLATION LEVEL READ WRITE
  COMMITTED UNCOMMITTED REPEATABLE SERIALIZABLE WORK EXPLAIN ANALYZE SHOW DESCRIBE PRAGMA USE
  GRANT REVOKE VACUUM CALL EXEC EXECUTE DECLARE PREPARE DEALLOCATE LOCK UNLOCK TABLES
  INNER LEFT RIGHT FULL OUTER CROSS NATURAL STRAIGHT_JOIN RECURSIVE MATERIALIZED
  NOTHING IGNORE DUPLICATE EXCLUDED SHARE NOWAIT SKIP LOCKED WITHIN TIES PERCENT
  INSERTED DELETED AT ZONE NO ACTION HIGH_PRIORITY LOW_PRIORITY DELAYED QUICK
  SQL_CALC_FOUND_ROWS SQL_NO_CACHE SQL_CACHE SQL_SMALL_RESULT SQL_BIG_RESULT
  COUNT SUM AVG MIN MAX COALESCE NULLIF LOWER UPPER LENGTH CHAR_LENGTH SUBSTRING SUBSTR TRIM
  LTRIM RTRIM CONCAT CONCAT_WS NOW CAST CONVERT EXTRACT ROUND ABS FLOOR CEIL CEILING GREATEST
  LEAST IFNULL ISNULL IIF STRING_AGG ARRAY_AGG JSON_AGG JSONB_AGG GROUP_CONCAT ROW_NUMBER RANK
  DENSE_RANK LAG LEAD DATE_TRUNC TO_CHAR UNNEST POSITION RANDOM RAND
  CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP LOCALTIME LOCALTIMESTAMP CURRENT_USER SESSION_USER
  INT INTEGER BIGINT SMALLINT TINYINT MEDIUMINT INT2 INT4 INT8 TEXT VARCHAR CHAR CHARACTER
  VARYING NVARCHAR NCHAR BOOLEAN BOOL NUMERIC DECIMAL REAL FLOAT FLOAT4 FLOAT8 DOUBLE PRECISION
  JSON JSONB UUID BYTEA BLOB DATE TIME TIMESTAMP TIMESTAMPTZ DATETIME DATETIME2 REGCLASS
  SIGNED UNSIGNED BINARY VARBINARY SERIAL BIGSERIAL
`

const splitWords = (list: string) => list.split(/\s+/).filter((word) => word.length > 0)
const clauseWords = splitWords(CLAUSE_WORDS)

/** Upper-case text of each keyword, by id. */
export const KEYWORD_TEXT: readonly string[] = [...clauseWords, ...splitWords(OTHER_WORDS)]
/** The same with a space in front: the form the fingerprint appends most often. */
export const KEYWORD_TEXT_SPACED: readonly string[] = KEYWORD_TEXT.map((word) => ` ${word}`)
/** 1 where an operand follows the keyword (see the module comment), by id. */
export const KEYWORD_IS_CLAUSE: Uint8Array = Uint8Array.from(KEYWORD_TEXT, (_word, id) =>
  id < clauseWords.length ? 1 : 0,
)

const LOWER: readonly string[] = KEYWORD_TEXT.map((word) => word.toLowerCase())
/** Longest keyword: longer words are identifiers without a lookup. */
export const MAX_KEYWORD_LENGTH = Math.max(...KEYWORD_TEXT.map((word) => word.length))

/** The lexer's hash step for one char code of a word (A-Z folded to a-z). */
export function hashStep(hash: number, lowerCode: number): number {
  return (Math.imul(hash, 31) + lowerCode) | 0
}

const TABLE_BITS = 11
const TABLE_MASK = (1 << TABLE_BITS) - 1
/** Keyword id + 1 per slot, 0 for empty. */
const TABLE = new Int16Array(1 << TABLE_BITS)

const slotOf = (hash: number) => (hash ^ (hash >>> TABLE_BITS) ^ (hash >>> 22)) & TABLE_MASK

for (let id = 0; id < LOWER.length; id++) {
  const word = LOWER[id]!
  let hash = 0
  for (let i = 0; i < word.length; i++) hash = hashStep(hash, word.charCodeAt(i))
  let slot = slotOf(hash)
  while (TABLE[slot] !== 0) {
    if (LOWER[TABLE[slot]! - 1] === word) throw new Error(`keyword listed twice: ${word}`)
    slot = (slot + 1) & TABLE_MASK
  }
  TABLE[slot] = id + 1
}

/**
 * The keyword id of `sql[start, end)`, or -1. `hash` is the word's hash from `hashStep` over
 * its lower-cased char codes; the word holds only ASCII letters, digits and `_`.
 */
export function lookupKeyword(sql: string, start: number, end: number, hash: number): number {
  const length = end - start
  let slot = slotOf(hash)
  for (;;) {
    const entry = TABLE[slot]!
    if (entry === 0) return -1
    const word = LOWER[entry - 1]!
    if (word.length === length) {
      let i = 0
      while (i < length) {
        const code = sql.charCodeAt(start + i)
        const want = word.charCodeAt(i)
        if (code !== want && (code | 0x20) !== want) break
        i++
      }
      if (i === length) return entry - 1
    }
    slot = (slot + 1) & TABLE_MASK
  }
}

const id = (word: string): number => {
  const found = KEYWORD_TEXT.indexOf(word)
  if (found < 0) throw new Error(`not a keyword: ${word}`)
  return found
}

/** Ids of the keywords the normaliser acts on. */
export const KW = {
  SELECT: id('SELECT'),
  INSERT: id('INSERT'),
  REPLACE: id('REPLACE'),
  UPSERT: id('UPSERT'),
  UPDATE: id('UPDATE'),
  DELETE: id('DELETE'),
  WITH: id('WITH'),
  IN: id('IN'),
  VALUES: id('VALUES'),
  ARRAY: id('ARRAY'),
  TRUE: id('TRUE'),
  FALSE: id('FALSE'),
  LIMIT: id('LIMIT'),
  OFFSET: id('OFFSET'),
  TOP: id('TOP'),
  FETCH: id('FETCH'),
  ORDER: id('ORDER'),
  BY: id('BY'),
  ASC: id('ASC'),
  DESC: id('DESC'),
  NULLS: id('NULLS'),
  FIRST: id('FIRST'),
  LAST: id('LAST'),
  COLLATE: id('COLLATE'),
} as const
