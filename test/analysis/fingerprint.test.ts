import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  type Dialect,
  clearFingerprintCache,
  dialectFor,
  fingerprint,
  MAX_LITERALS,
  textId,
} from '../../src/main/analysis/fingerprint'
import { seededRandom } from '../helpers/random'

const fixtures = join(__dirname, '..', 'fixtures', 'sql')
const text = (sql: string, dialect?: Dialect) => fingerprint(sql, dialect).text
const id = (sql: string, dialect?: Dialect) => fingerprint(sql, dialect).id
const DIALECTS: Dialect[] = ['postgresql', 'mysql', 'sqlite', 'mssql', 'generic']

describe('fingerprint: literals and placeholders', () => {
  it('turns every placeholder style into one ?', () => {
    const styles = ['?', '?7', '$1', ':name', ':1', '@p1', '%s', '%(name)s']
    for (const style of styles) {
      const found = fingerprint(`SELECT * FROM t WHERE a = ${style}`)
      expect(found.text, style).toBe('SELECT * FROM t WHERE a = ?')
      expect(found.placeholders, style).toBe(1)
      expect(found.literals, style).toEqual([])
    }
  })

  it('turns strings with doubled or escaped quotes into one ?', () => {
    expect(text("SELECT * FROM t WHERE a = 'it''s' AND b = 'x'")).toBe(
      'SELECT * FROM t WHERE a = ? AND b = ?',
    )
    expect(text("SELECT * FROM t WHERE a = 'it\\'s' AND b = 'x'", 'mysql')).toBe(
      'SELECT * FROM t WHERE a = ? AND b = ?',
    )
    expect(text("SELECT 'a\\\\', 'b'", 'mysql')).toBe('SELECT ?, ?')
  })

  it("keeps standard SQL's backslash literal outside MySQL, so 'C:\\' ends the string", () => {
    expect(text("SELECT 'C:\\', x FROM t", 'postgresql')).toBe('SELECT ?, x FROM t')
    expect(text("SELECT 'C:\\', x FROM t", 'sqlite')).toBe('SELECT ?, x FROM t')
  })

  it("reads E'', N'', X'', B'' and U&'' strings as one literal each", () => {
    expect(text("SELECT E'it\\'s', N'n', X'ff', B'0101', U&'d\\0061t' FROM t", 'postgresql')).toBe(
      'SELECT ?, ?, ?, ?, ? FROM t',
    )
    expect(text("SELECT N'n', x'ff', b'01', _utf8mb4'u' FROM t", 'mysql')).toBe(
      'SELECT ?, ?, ?, ? FROM t',
    )
    expect(text("SELECT N'n', 0x1F FROM t", 'mssql')).toBe('SELECT ?, ? FROM t')
  })

  it('reads dollar-quoted strings, with quotes, semicolons and other tags inside, as one literal', () => {
    const found = fingerprint(
      "SELECT $$it's; a $x$ b$$, $tag$ with $$ inside; 'q' $tag$ FROM t",
      'postgresql',
    )
    expect(found.text).toBe('SELECT ?, ? FROM t')
    expect(found.literals).toEqual(["it's; a $x$ b", " with $$ inside; 'q' "])
  })

  it('reads numbers of every form as one literal: negative, decimal, exponent, hex, binary', () => {
    expect(
      text('SELECT 1, -2, 3.5, .5, 6., 1e5, 1.5E-3, 0x1F, 0b101, 1_000 FROM t', 'postgresql'),
    ).toBe('SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM t')
  })

  it('reads -1 after an operator, ( or , as a negative number, and a-1 as a minus', () => {
    expect(text('SELECT * FROM t WHERE a = -1 AND b IN (-1, -2) AND c > (-3)')).toBe(
      'SELECT * FROM t WHERE a = ? AND b IN (?+) AND c > (?)',
    )
    expect(text('SELECT a-1, a - 1, a - -1, a*-1, f(x)-1 FROM t')).toBe(
      'SELECT a - ?, a - ?, a - ?, a * ?, f(x) - ? FROM t',
    )
    expect(fingerprint('SELECT a-1 FROM t').literals).toEqual(['1'])
    expect(fingerprint('SELECT * FROM t WHERE a = -1').literals).toEqual(['-1'])
  })

  it('turns TRUE and FALSE into ?, and keeps NULL (IS NULL stays as written)', () => {
    expect(
      text('SELECT * FROM t WHERE a = TRUE AND b = false AND c IS NULL AND d IS NOT NULL'),
    ).toBe('SELECT * FROM t WHERE a = ? AND b = ? AND c IS NULL AND d IS NOT NULL')
    expect(text('INSERT INTO t (a, b) VALUES (NULL, 1)')).toBe(
      'INSERT INTO t(a, b) VALUES (NULL, ?)',
    )
    expect(id('SELECT * FROM t WHERE a IS NULL')).not.toBe(id('SELECT * FROM t WHERE a IS ?'))
  })

  it('turns LIMIT and OFFSET numbers into ?', () => {
    expect(text('SELECT * FROM t LIMIT 10 OFFSET 20')).toBe('SELECT * FROM t LIMIT ? OFFSET ?')
    expect(text('SELECT * FROM t LIMIT 20, 10', 'mysql')).toBe('SELECT * FROM t LIMIT ?, ?')
    expect(text('SELECT TOP 5 * FROM t', 'mssql')).toBe('SELECT TOP ? * FROM t')
  })

  it('merges the same shape whatever its values, bound or inlined', () => {
    const shapes = [
      "SELECT * FROM users WHERE id = 7 AND name = 'ann'",
      "SELECT * FROM users WHERE id = -12 AND name = 'o''brien'",
      'SELECT * FROM users WHERE id = ? AND name = ?',
      'SELECT * FROM users WHERE id = $1 AND name = $2',
      'SELECT * FROM users WHERE id = :id AND name = :name',
      'SELECT * FROM users WHERE id = %s AND name = %(name)s',
    ]
    expect(new Set(shapes.map((sql) => id(sql))).size).toBe(1)
  })
})

describe('fingerprint: lists and rows', () => {
  it('collapses IN lists of any length to IN (?+) and keeps the largest count', () => {
    const one = fingerprint('SELECT * FROM t WHERE id IN (1)')
    const many = fingerprint('SELECT * FROM t WHERE id IN (1, 2, 3) AND k NOT IN ($1, $2)')
    expect(one.text).toBe('SELECT * FROM t WHERE id IN (?+)')
    expect(one.inListItems).toBe(1)
    expect(many.text).toBe('SELECT * FROM t WHERE id IN (?+) AND k NOT IN (?+)')
    expect(many.inListItems).toBe(3)
    expect(id('SELECT * FROM t WHERE id IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')).toBe(one.id)
    expect(fingerprint('SELECT * FROM t WHERE id = 1').inListItems).toBe(0)
  })

  it('collapses an IN list of tuples, and of casts, item by item', () => {
    const tuples = fingerprint('SELECT * FROM t WHERE (a, b) IN ((1, 2), (3, 4), (5, 6))')
    expect(tuples.text).toBe('SELECT * FROM t WHERE (a, b) IN ((?, ?)+)')
    expect(tuples.inListItems).toBe(3)
    expect(text('SELECT * FROM t WHERE a IN ($1::int, $2::int)', 'postgresql')).toBe(
      'SELECT * FROM t WHERE a IN (?::INT+)',
    )
  })

  it('keeps IN lists that are not plain values: subqueries, columns, NULL', () => {
    expect(text('SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE x = 1)')).toBe(
      'SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE x = ?)',
    )
    expect(text('SELECT * FROM t WHERE a IN (1, b, 3)')).toBe(
      'SELECT * FROM t WHERE a IN (?, b, ?)',
    )
    expect(text('SELECT * FROM t WHERE a IN (NULL)')).toBe('SELECT * FROM t WHERE a IN (NULL)')
    expect(fingerprint('SELECT * FROM t WHERE a IN (1, b, 3)').inListItems).toBe(0)
  })

  it('collapses ARRAY[...] of values like an IN list', () => {
    const found = fingerprint('SELECT * FROM t WHERE id = ANY(ARRAY[1, 2, 3])', 'postgresql')
    expect(found.text).toBe('SELECT * FROM t WHERE id = ANY(ARRAY[?+])')
    expect(found.inListItems).toBe(3)
  })

  it('collapses a multi-row VALUES to one row and counts the rows', () => {
    const three = fingerprint("INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (3, 'z')")
    const one = fingerprint('INSERT INTO t (a, b) VALUES (?, ?)')
    expect(three.text).toBe('INSERT INTO t(a, b) VALUES (?, ?)')
    expect(three.collapsedRows).toBe(3)
    expect(one.collapsedRows).toBe(1)
    expect(three.id).toBe(one.id)
    expect(fingerprint('SELECT 1').collapsedRows).toBe(0)
  })

  it('keeps rows of another shape next to each other, counting every row', () => {
    const found = fingerprint('INSERT INTO t VALUES (1, 2), (3, 4), (5, DEFAULT), (6, DEFAULT)')
    expect(found.text).toBe('INSERT INTO t VALUES (?, ?), (?, DEFAULT)')
    expect(found.collapsedRows).toBe(4)
  })

  it("does not take MySQL's VALUES(col) in ON DUPLICATE KEY UPDATE for rows", () => {
    const found = fingerprint(
      'INSERT INTO t (a, b) VALUES (1, 2), (3, 4) ON DUPLICATE KEY UPDATE b = VALUES(b)',
      'mysql',
    )
    expect(found.text).toBe(
      'INSERT INTO t(a, b) VALUES (?, ?) ON DUPLICATE KEY UPDATE b = VALUES (b)',
    )
    expect(found.collapsedRows).toBe(2)
    expect(fingerprint('INSERT INTO t DEFAULT VALUES').collapsedRows).toBe(0)
  })

  it('collapses 100,000 rows and a 50,000-item IN list without growing the text', () => {
    const rows = Array.from({ length: 100_000 }, (_v, i) => `(${i}, 'name ${i}')`).join(', ')
    const insert = fingerprint(`INSERT INTO t (id, name) VALUES ${rows}`)
    expect(insert.text).toBe('INSERT INTO t(id, name) VALUES (?, ?)')
    expect(insert.collapsedRows).toBe(100_000)
    expect(insert.literals).toHaveLength(MAX_LITERALS)
    const items = Array.from({ length: 50_000 }, (_v, i) => `$${i + 1}`).join(', ')
    const select = fingerprint(`SELECT * FROM t WHERE id IN (${items})`, 'postgresql')
    expect(select.text).toBe('SELECT * FROM t WHERE id IN (?+)')
    expect(select.inListItems).toBe(50_000)
    expect(select.placeholders).toBe(50_000)
  })
})

describe('fingerprint: comments, whitespace and case', () => {
  it('drops -- and /* */ comments and every kind of whitespace', () => {
    const sql = 'SELECT /* hint */ id,\n\tname -- the name\r\nFROM   t\u00a0WHERE a = 1 /* end'
    expect(text(sql)).toBe('SELECT id, name FROM t WHERE a = ?')
  })

  it('nests block comments in PostgreSQL', () => {
    expect(text('SELECT 1 /* a /* b */ c */ FROM t', 'postgresql')).toBe('SELECT ? FROM t')
  })

  it('reads # as a comment in MySQL only (an operator in PostgreSQL, a temp table in SQL Server)', () => {
    expect(text('SELECT a # comment\nFROM t', 'mysql')).toBe('SELECT a FROM t')
    expect(text('SELECT a # b FROM t', 'postgresql')).toBe('SELECT a # b FROM t')
    expect(text('SELECT * FROM #tmp', 'mssql')).toBe('SELECT * FROM #tmp')
  })

  it("needs whitespace after MySQL's --, where 3--4 subtracts", () => {
    expect(text('SELECT 3--4 FROM t', 'mysql')).toBe('SELECT ? - ? FROM t')
    expect(text('SELECT 3 -- 4\nFROM t', 'mysql')).toBe('SELECT ? FROM t')
  })

  it("reads MySQL's /*! ... */ content as SQL and drops /*+ hints */", () => {
    expect(text('SELECT /*!40001 SQL_NO_CACHE */ id FROM t', 'mysql')).toBe(
      'SELECT SQL_NO_CACHE id FROM t',
    )
    expect(text('SELECT /*+ INDEX(t i) */ id FROM t', 'mysql')).toBe('SELECT id FROM t')
  })

  it('folds keywords to upper case and merges queries that differ only in that', () => {
    expect(text("select count(*) from t where a = 1 and b like 'x' order by c desc")).toBe(
      'SELECT COUNT(*) FROM t WHERE a = ? AND b LIKE ? ORDER BY c DESC',
    )
    expect(id('select * from t where a = 1')).toBe(id('SELECT * FROM t WHERE a = 1'))
  })

  it('prints canonical spacing, so the same query spaced two ways merges', () => {
    expect(id('SELECT a,b FROM t WHERE x=1 AND f( y )>2')).toBe(
      id('SELECT a, b\n  FROM t\n  WHERE x = 1\n    AND f(y) > 2'),
    )
    expect(text('SELECT a,b FROM t WHERE x=1 AND f( y )>2')).toBe(
      'SELECT a, b FROM t WHERE x = ? AND f(y) > ?',
    )
  })

  it('drops trailing semicolons and keeps those between statements', () => {
    expect(text('SELECT 1;')).toBe('SELECT ?')
    expect(text('SELECT 1; SELECT 2;')).toBe('SELECT ?; SELECT ?')
  })
})

describe('fingerprint: identifiers', () => {
  it('never merges different tables or columns', () => {
    const queries = [
      'SELECT * FROM users WHERE id = 1',
      'SELECT * FROM orders WHERE id = 1',
      'SELECT * FROM users WHERE email = 1',
      'SELECT id FROM users WHERE id = 1',
      'SELECT * FROM users2 WHERE id = 1',
      'SELECT * FROM users u WHERE id = 1',
      'SELECT * FROM "users" WHERE id = 1',
      'SELECT * FROM `users` WHERE id = 1',
      'SELECT * FROM [users] WHERE id = 1',
      'INSERT INTO users (id) VALUES (1)',
      'INSERT INTO users (email) VALUES (1)',
      'UPDATE users SET a = 1',
      'UPDATE users SET b = 1',
    ]
    expect(new Set(queries.map((sql) => id(sql))).size).toBe(queries.length)
  })

  it('keeps the case of identifiers, quoted or not', () => {
    expect(text('SELECT "User"."firstName" FROM "User"', 'postgresql')).toBe(
      'SELECT "User"."firstName" FROM "User"',
    )
    expect(id('SELECT * FROM "User"', 'postgresql')).not.toBe(
      id('SELECT * FROM "user"', 'postgresql'),
    )
    expect(id('SELECT * FROM Users', 'mysql')).not.toBe(id('SELECT * FROM users', 'mysql'))
  })

  it('keeps quoted identifiers with doubled quotes, spaces and keywords inside', () => {
    expect(text('SELECT "a ""b""", `select`, [order id] FROM t', 'sqlite')).toBe(
      'SELECT "a ""b""", `select`, [order id] FROM t',
    )
  })

  it('keeps variables that are not parameters: @@system and MySQL @user variables', () => {
    expect(text('SELECT @@version, @total FROM dual', 'mysql')).toBe(
      'SELECT @@version, @total FROM dual',
    )
    expect(fingerprint('SELECT @@version', 'mssql').placeholders).toBe(0)
  })

  it('writes a qualified name the same whether or not its dots are spaced', () => {
    expect(text('SELECT "u"."id", "u" . "name", `t`.`c`, [s].[t].[c] FROM u', 'sqlite')).toBe(
      'SELECT "u"."id", "u"."name", `t`.`c`, [s].[t].[c] FROM u',
    )
    expect(id('SELECT "u"."id" FROM u')).toBe(id('SELECT "u" .\n"id" FROM u'))
    expect(text('SELECT "u"."id FROM u')).toBe('SELECT "u"."id FROM u')
  })

  it('keeps non-ASCII identifiers and reads an identifier that starts with digits as one', () => {
    expect(text("SELECT café FROM tàble WHERE x = 'é'")).toBe('SELECT café FROM tàble WHERE x = ?')
    expect(text('SELECT 1abc FROM t', 'mysql')).toBe('SELECT 1abc FROM t')
  })
})

describe('fingerprint: dialects', () => {
  it('reads "x" as a string in MySQL and as an identifier elsewhere', () => {
    expect(text('SELECT * FROM t WHERE a = "x"', 'mysql')).toBe('SELECT * FROM t WHERE a = ?')
    for (const dialect of ['postgresql', 'sqlite', 'mssql', 'generic'] as const) {
      expect(text('SELECT * FROM t WHERE a = "x"', dialect)).toBe('SELECT * FROM t WHERE a = "x"')
    }
  })

  it('reads [x] as an identifier in SQL Server and SQLite, and as a subscript in PostgreSQL', () => {
    expect(text('SELECT [x] FROM [t]', 'mssql')).toBe('SELECT [x] FROM [t]')
    expect(text('SELECT arr[1] FROM t', 'postgresql')).toBe('SELECT arr[?] FROM t')
    expect(text('SELECT [x], arr[1] FROM t', 'generic')).toBe('SELECT [x], arr[?] FROM t')
  })

  it("reads SQL Server's @p1, SQLite's ?NNN, $name and @name as placeholders", () => {
    expect(fingerprint('SELECT * FROM t WHERE a = @p1 AND b = @p2', 'mssql').placeholders).toBe(2)
    // TypeORM's SQL Server driver numbers them: @0, @1.
    expect(text('SELECT * FROM [user] WHERE [id] = @0 AND [name] = @1', 'mssql')).toBe(
      'SELECT * FROM [user] WHERE [id] = ? AND [name] = ?',
    )
    const sqlite = fingerprint('SELECT * FROM t WHERE a = ?12 AND b = $b AND c = @c', 'sqlite')
    expect(sqlite.text).toBe('SELECT * FROM t WHERE a = ? AND b = ? AND c = ?')
    expect(sqlite.placeholders).toBe(3)
  })

  it("keeps PostgreSQL's @> and #> operators, which are no placeholders", () => {
    expect(text("SELECT * FROM t WHERE a @> '{}' AND b #> '{a}' = c", 'postgresql')).toBe(
      'SELECT * FROM t WHERE a @> ? AND b #> ? = c',
    )
  })
})

describe('fingerprint: PostgreSQL ? and ::', () => {
  it('reads ? right after an operand as the jsonb operator, and elsewhere as a placeholder', () => {
    // A placeholder cannot follow an operand in valid SQL, so after an identifier, a value or
    // a `)`, `?` is the operator, whatever follows it; after an operator, a keyword like
    // WHERE / THEN / LIMIT, `(` or `,` it is a placeholder.
    const found = fingerprint(
      "SELECT * FROM t WHERE data ? 'key' AND (doc->'a') ? $1 AND x = ? LIMIT ?",
      'postgresql',
    )
    expect(found.text).toBe('SELECT * FROM t WHERE data ? ? AND (doc -> ?) ? ? AND x = ? LIMIT ?')
    expect(found.placeholders).toBe(3)
    expect(found.literals).toEqual(['key', 'a'])
  })

  it('reads ?| and ?& after an operand as jsonb operators', () => {
    const found = fingerprint(
      "SELECT * FROM t WHERE a ?| array['x', 'y'] AND b ?& $1",
      'postgresql',
    )
    expect(found.text).toBe('SELECT * FROM t WHERE a ?| ARRAY[?+] AND b ?& ?')
    expect(found.placeholders).toBe(1)
  })

  it("reads JDBC's ?? as the escaped jsonb ? operator", () => {
    expect(text("SELECT * FROM t WHERE data ?? 'k' AND id = ?", 'postgresql')).toBe(
      'SELECT * FROM t WHERE data ?? ? AND id = ?',
    )
  })

  it('reads ? as a placeholder in every other dialect, even after an operand', () => {
    expect(fingerprint('SELECT * FROM t WHERE data ? 1', 'mysql').placeholders).toBe(1)
  })

  it('keeps ::type casts, which are neither placeholders nor literals', () => {
    const found = fingerprint("SELECT $1::int, '2025-01-01'::date, x :: text FROM t", 'postgresql')
    expect(found.text).toBe('SELECT ?::INT, ?::DATE, x::TEXT FROM t')
    expect(found.placeholders).toBe(1)
    expect(found.literals).toEqual(['2025-01-01'])
  })

  it('tells :name placeholders from :: casts and := assignments', () => {
    expect(text('SELECT :a::int, :b', 'postgresql')).toBe('SELECT ?::INT, ?')
    expect(text('SET @x := :v', 'mysql')).toBe('SET @x := ?')
  })
})

describe('fingerprint: statement kind', () => {
  it.each([
    ['SELECT 1', 'select'],
    ['(SELECT 1) UNION (SELECT 2)', 'select'],
    ['INSERT INTO t VALUES (1)', 'insert'],
    ['REPLACE INTO t VALUES (1)', 'insert'],
    ['UPDATE t SET a = 1', 'update'],
    ['DELETE FROM t', 'delete'],
    ['WITH a AS (SELECT 1) SELECT * FROM a', 'select'],
    ['WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a', 'insert'],
    ['WITH a AS (DELETE FROM q RETURNING *) INSERT INTO t SELECT * FROM a', 'insert'],
    [
      'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) UPDATE t SET x = 1',
      'update',
    ],
    ['with a as (insert into t values (1) returning id) delete from u', 'delete'],
    ['EXPLAIN SELECT 1', 'other'],
    ['BEGIN', 'other'],
    ['CREATE TABLE t (a int)', 'other'],
    ['', 'other'],
  ] as const)('reads %j as %s', (sql, statement) => {
    expect(fingerprint(sql).statement).toBe(statement)
  })
})

describe('fingerprint: pagination', () => {
  it.each([
    ['SELECT * FROM t ORDER BY id LIMIT 10 OFFSET 20', true],
    ['SELECT * FROM t ORDER BY id OFFSET 10 ROWS FETCH NEXT 10 ROWS ONLY', true],
    ['SELECT * FROM t WHERE id > ? ORDER BY id LIMIT 10', true],
    ['SELECT * FROM t WHERE "t"."id" < $1 ORDER BY "t"."id" DESC LIMIT 10', true],
    ['SELECT * FROM t WHERE (created, id) > (?, ?) ORDER BY created, id LIMIT 10', true],
    ['SELECT TOP 10 * FROM t WHERE id > @p1 ORDER BY id', true],
    ['SELECT * FROM t ORDER BY id LIMIT 10', false],
    ['SELECT * FROM t WHERE id > ? LIMIT 10', false],
    ['SELECT * FROM t WHERE id > ? ORDER BY id', false],
    ['SELECT * FROM t WHERE age > ? ORDER BY name LIMIT 10', false],
    ['SELECT * FROM t WHERE a.x > b.y ORDER BY a.x LIMIT 10', false],
    ['SELECT * FROM t WHERE "t"."id" > ? ORDER BY "id" LIMIT 10', true],
    ['SELECT * FROM t WHERE `t`.`id` > ? ORDER BY `t`.`name`, `t`.`id` LIMIT 10', true],
    ['SELECT * FROM t WHERE "id" > ? ORDER BY "id"."name" LIMIT 10', false],
  ] as const)('reads %j as paginated: %s', (sql, paginated) => {
    expect(fingerprint(sql, sql.includes('@p1') ? 'mssql' : 'generic').paginated).toBe(paginated)
  })

  it("reads MySQL's LIMIT offset, count as paginated", () => {
    expect(fingerprint('SELECT * FROM t LIMIT 20, 10', 'mysql').paginated).toBe(true)
    expect(fingerprint('SELECT * FROM t LIMIT 10', 'mysql').paginated).toBe(false)
  })
})

describe('fingerprint: literal values', () => {
  it('lists the literals in order, strings unquoted and unescaped, numbers as written', () => {
    const found = fingerprint(
      "SELECT * FROM t WHERE a = 'it''s' AND b = -1.5 AND c IN (1, 2) AND d = TRUE AND e = ?",
    )
    expect(found.literals).toEqual(["it's", '-1.5', '1', '2', 'TRUE'])
  })

  it('unescapes backslash escapes where the dialect has them', () => {
    expect(fingerprint('SELECT \'a\\\'b\\n\', "c\\"d"', 'mysql').literals).toEqual(["a'b\n", 'c"d'])
    expect(fingerprint("SELECT E'tab\\there', 'back\\slash'", 'postgresql').literals).toEqual([
      'tab\there',
      'back\\slash',
    ])
  })

  it('tells a repeat of the same inlined query from the same shape with other values', () => {
    const a = fingerprint('SELECT * FROM "user" WHERE "id" = 7', 'sqlite')
    const b = fingerprint('SELECT * FROM "user" WHERE "id" = 8', 'sqlite')
    expect(a.id).toBe(b.id)
    expect(a.literals).not.toEqual(b.literals)
  })

  it(`keeps at most ${MAX_LITERALS} literals`, () => {
    const found = fingerprint(`SELECT ${Array.from({ length: 80 }, (_v, i) => i).join(', ')}`)
    expect(found.literals).toHaveLength(MAX_LITERALS)
    expect(found.literals.at(-1)).toBe(String(MAX_LITERALS - 1))
  })
})

describe('fingerprint: ids and cache', () => {
  it('gives 12 hex digits, a hash of the text, the same in every process', () => {
    const found = fingerprint('SELECT * FROM users WHERE id = $1', 'postgresql')
    expect(found.id).toMatch(/^[0-9a-f]{12}$/)
    expect(found.id).toBe(textId(found.text))
    // Fixed: an id computed anywhere, any day, for this text.
    expect(textId('SELECT * FROM users WHERE id = ?')).toBe('d8ad002d86db')
    expect(textId('')).toBe('dcb81aee8d83')
  })

  it('gives the same id for the same text whatever the dialect it was read in', () => {
    const ids = DIALECTS.map((dialect) => fingerprint('SELECT a FROM t WHERE b = ?', dialect).id)
    expect(new Set(ids).size).toBe(1)
  })

  it('returns the cached fingerprint for a text it has seen, per dialect', () => {
    const sql = 'SELECT * FROM cache_probe WHERE a = "x"'
    const first = fingerprint(sql, 'mysql')
    expect(fingerprint(sql.slice(0), 'mysql')).toBe(first)
    expect(fingerprint(`${sql} `.trimEnd(), 'mysql')).toBe(first)
    expect(fingerprint(sql, 'postgresql').text).not.toBe(first.text)
  })

  it('stays bounded: a text seen long ago is fingerprinted again, to the same result', () => {
    clearFingerprintCache()
    const first = fingerprint('SELECT * FROM evicted WHERE a = 1')
    // Texts without values, so no shape template stands in for the cache.
    for (let i = 0; i < 3_000; i++) fingerprint(`SELECT * FROM filler WHERE a = b${i}`)
    const again = fingerprint('SELECT * FROM evicted WHERE a = 1')
    expect(again).not.toBe(first)
    expect(again).toEqual(first)
  })
})

describe('fingerprint: malformed and hostile input', () => {
  it('fingerprints unterminated strings, comments and quoted identifiers', () => {
    expect(text("SELECT * FROM t WHERE a = 'open")).toBe('SELECT * FROM t WHERE a = ?')
    expect(text('SELECT 1 /* open')).toBe('SELECT ?')
    expect(text('SELECT "open')).toBe('SELECT "open')
    expect(text('SELECT $tag$ open', 'postgresql')).toBe('SELECT ?')
  })

  it('fingerprints unbalanced brackets and stray punctuation', () => {
    expect(fingerprint('SELECT ((( FROM t WHERE a IN (1, 2').text).toBe(
      'SELECT (((FROM t WHERE a IN (?, ?',
    )
    expect(fingerprint(')))) ]]] ,,, ;;; SELECT x').text).toBe('))))]]],,,;;; SELECT x')
  })

  it('never throws, and always answers the same, on random text in every dialect', () => {
    const random = seededRandom(20251126)
    const alphabet = [
      ...`'"\`[]()$?:@%#-/*+=<>!|&^~.,;\\ \t\n0123456789abcxyzSELECTFROMINVALUES_`,
      'é',
      '\u00a0',
      '\u3000',
      '$$',
      '$a$',
      '/*',
      '*/',
      '--',
      '::',
      'IN (',
      'VALUES (',
      'ARRAY[',
      "E'",
      '/*!',
    ]
    for (let round = 0; round < 3_000; round++) {
      let sql = ''
      const length = Math.floor(random() * 60)
      for (let i = 0; i < length; i++) sql += alphabet[Math.floor(random() * alphabet.length)]
      for (const dialect of DIALECTS) {
        const found = fingerprint(sql, dialect)
        expect(found.id).toMatch(/^[0-9a-f]{12}$/)
        expect(found.id).toBe(textId(found.text))
        clearFingerprintCache()
        expect(fingerprint(sql, dialect)).toEqual(found)
      }
    }
  })

  it('fingerprints every prefix of the corpus without throwing', () => {
    const corpus = readFileSync(join(fixtures, 'corpus-postgresql.sql'), 'utf8')
    for (let end = 0; end <= corpus.length; end += 7) {
      for (const dialect of DIALECTS)
        expect(fingerprint(corpus.slice(0, end), dialect).text).toBeTypeOf('string')
    }
  })
})

describe('fingerprint: real ORM output', () => {
  interface Captured {
    label: string
    sql: string
  }
  const typeorm = JSON.parse(
    readFileSync(join(fixtures, 'typeorm-sqlite.json'), 'utf8'),
  ) as Captured[]

  it('merges TypeORM calls that differ only in values, inlined or bound', () => {
    const byLabel = (label: string) =>
      typeorm.filter((q) => q.label === label).map((q) => fingerprint(q.sql, 'sqlite'))
    const [first, second] = byLabel('findOneBy id')
    // TypeORM inlines the id on SQLite: `WHERE (("User"."id" = 1))` with no parameters.
    expect(first!.id).toBe(second!.id)
    expect(first!.literals).not.toEqual(second!.literals)
    expect(first!.placeholders).toBe(0)
    for (const label of ['find page', 'update by id', 'findBy id In', 'save one user']) {
      const found = byLabel(label)
      const half = found.length / 2
      for (let i = 0; i < half; i++) expect(found[i]!.id, label).toBe(found[i + half]!.id)
    }
  })

  it("reads TypeORM's multi-row insert as the single-row insert with a row count", () => {
    const inserts = typeorm
      .filter((q) => q.sql.startsWith('INSERT INTO "user"'))
      .map((q) => fingerprint(q.sql, 'sqlite'))
    expect(new Set(inserts.map((f) => f.id)).size).toBe(1)
    expect(inserts.map((f) => f.collapsedRows)).toEqual([1, 1, 3, 2])
  })

  it('gives different TypeORM calls different fingerprints', () => {
    const shapes = new Map<string, Set<string>>()
    for (const q of typeorm) {
      const found = fingerprint(q.sql, 'sqlite')
      if (!shapes.has(found.id)) shapes.set(found.id, new Set())
      shapes.get(found.id)!.add(q.label)
    }
    const shared = [...shapes.values()].filter((labels) => labels.size > 1).map((l) => [...l])
    // Only the transaction statements and the user INSERT (one row or many) are shared.
    expect(shared).toEqual([
      ['save one user', 'save post'],
      ['save one user', 'insert three users', 'insert two users'],
      ['save one user', 'save post'],
    ])
  })

  it("reads TypeORM's keyset and offset pages as paginated", () => {
    const find = (label: string) =>
      fingerprint(typeorm.find((q) => q.label === label)!.sql, 'sqlite')
    expect(find('find page').paginated).toBe(true)
    expect(find('query builder keyset').paginated).toBe(true)
    expect(find('findOneBy id').paginated).toBe(false)
    expect(find('query builder join').inListItems).toBe(4)
  })

  const sqlalchemy = JSON.parse(readFileSync(join(fixtures, 'sqlalchemy.json'), 'utf8')) as {
    queries: (Captured & { dialect: Dialect; paramstyle: string; literalBinds: boolean })[]
  }

  it('merges every SQLAlchemy paramstyle and literal_binds form of a statement into one shape', () => {
    const shapes = new Map<string, Set<string>>()
    for (const q of sqlalchemy.queries) {
      const key = `${q.dialect}: ${q.label}`
      if (!shapes.has(key)) shapes.set(key, new Set())
      shapes.get(key)!.add(fingerprint(q.sql, q.dialect).text)
    }
    const split = [...shapes].filter(([, texts]) => texts.size > 1)
    expect(split).toEqual([])
  })

  it('gives different SQLAlchemy statements different shapes in each dialect', () => {
    for (const dialect of ['postgresql', 'mysql', 'sqlite'] as const) {
      const labels = new Map<string, string>()
      for (const q of sqlalchemy.queries.filter((q) => q.dialect === dialect)) {
        const found = fingerprint(q.sql, dialect)
        // One row or many is the same INSERT, told apart by collapsedRows.
        if (q.label === 'insert many') expect(found.collapsedRows).toBeGreaterThan(1)
        else labels.set(q.label, found.id)
      }
      expect(new Set(labels.values()).size, dialect).toBe(labels.size)
    }
  })

  it('gives the values SQLAlchemy inlined as the literals', () => {
    const inlined = sqlalchemy.queries.find(
      (q) => q.dialect === 'postgresql' && q.literalBinds && q.label === 'select join page',
    )!
    expect(fingerprint(inlined.sql, 'postgresql').literals).toEqual(['true', "O'Hare", '10', '20'])
  })

  it('reads Sequelize, Knex and Django SQL of one statement as one shape', () => {
    const mysql = [
      // Sequelize: backquotes, no space after commas, DEFAULT for the id, a trailing `;`
      'INSERT INTO `users` (`id`,`email`,`name`) VALUES (DEFAULT,?,?);',
      // Knex: lower-case keywords
      'insert into `users` (`id`, `email`, `name`) values (DEFAULT, ?, ?)',
      // Django on MySQL: %s
      'INSERT INTO `users` (`id`, `email`, `name`) VALUES (DEFAULT, %s, %s)',
    ]
    expect(new Set(mysql.map((sql) => id(sql, 'mysql'))).size).toBe(1)
    const postgres = [
      'SELECT "users"."id", "users"."name" FROM "users" WHERE "users"."id" IN ($1, $2, $3) LIMIT 21',
      'select "users"."id", "users"."name" from "users" where "users"."id" in ($1) limit $2',
      'SELECT "users"."id", "users"."name" FROM "users" WHERE "users"."id" IN (%(id_1)s, %(id_2)s) LIMIT 21',
    ]
    expect(new Set(postgres.map((sql) => id(sql, 'postgresql'))).size).toBe(1)
    expect(text(postgres[0]!, 'postgresql')).toBe(
      'SELECT "users"."id", "users"."name" FROM "users" WHERE "users"."id" IN (?+) LIMIT ?',
    )
  })
})

describe('dialectFor', () => {
  it.each([
    ['postgresql', 'postgresql'],
    ['cockroachdb', 'postgresql'],
    ['mysql', 'mysql'],
    ['mariadb', 'mysql'],
    ['sqlite', 'sqlite'],
    ['microsoft.sql_server', 'mssql'],
    ['mssql', 'mssql'],
    [' PostgreSQL ', 'postgresql'],
    ['oracle.db', 'generic'],
    ['something-new', 'generic'],
    [undefined, 'generic'],
  ] as const)('maps %j to %s', (system, dialect) => {
    expect(dialectFor(system)).toBe(dialect)
  })
})
