/**
 * Redaction before export: named parameters by key, positional ones by the column the SQL
 * binds them to, inlined values in the SQL text, drop-all, custom rules — on SQL captured from
 * real TypeORM and SQLAlchemy (test/fixtures/sessions/redaction/) and on TypeORM's SQL for
 * the servers these machines cannot run.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { AppInfo, QueryParams, QueryRecord } from '../../src/shared/domain'
import {
  createRedactor,
  DEFAULT_REDACTION_RULES,
  nameWords,
  redactQuery,
} from '../../src/main/session/redaction'
import { readSessionFile, writeSessionFile } from '../../src/main/session/session-file'

const FIXTURES = join(__dirname, '..', 'fixtures', 'sessions', 'redaction')
const M = '[REDACTED]'

const app = (id: string, dbSystem: string): AppInfo => ({
  id,
  name: id,
  dbSystem,
  connectedAt: 0,
  received: 0,
  droppedByAgent: 0,
})
const apps = [
  app('pg', 'postgresql'),
  app('my', 'mysql'),
  app('lite', 'sqlite'),
  app('ms', 'mssql'),
]

const query = (sql: string, params?: QueryParams, appId = 'pg'): QueryRecord => ({
  id: 1,
  appId,
  sql,
  ...(params === undefined ? {} : { params }),
  startTime: 1,
  durationMs: 1,
})

const redact = createRedactor({ apps })

/** Every value in `value` (params, nested), as strings. */
function values(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(values)
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(values)
  return value === null || value === undefined ? [] : [String(value)]
}

describe('parameters bound to secret columns, in SQL captured from real ORMs', () => {
  it('masks every secret TypeORM sent to SQLite and nothing else', () => {
    const captured = JSON.parse(readFileSync(join(FIXTURES, 'typeorm-sqlite.json'), 'utf8')) as {
      label: string
      sql: string
      parameters: unknown[]
    }[]
    const secrets = new Set([
      'hunter2',
      'sk_live_ann',
      '4111111111111111',
      'pw-bob',
      'sk_live_bob',
      'pw-cy',
      'tok-1',
      'tok-2',
      'tok-ann',
      'correct horse',
      'tok-gone',
    ])
    let masked = 0
    for (const { label, sql, parameters } of captured) {
      const out = redact(query(sql, parameters, 'lite'))
      const params = out.params as unknown[]
      parameters.forEach((value, i) => {
        const expected = typeof value === 'string' && secrets.has(value) ? M : value
        expect(params[i], `${label}: parameter ${i + 1}`).toBe(expected)
        if (expected === M) masked++
      })
      expect(out.sql).toBe(sql)
    }
    expect(masked).toBe(15) // 11 secrets; hunter2, sk_live_bob, pw-bob and tok-ann come twice
  })

  const sqlalchemy = JSON.parse(readFileSync(join(FIXTURES, 'sqlalchemy.json'), 'utf8')) as {
    label: string
    dialect: 'postgresql' | 'mysql' | 'sqlite'
    paramstyle: string
    sql: string
    params: QueryParams | null
  }[]
  const appOf = { postgresql: 'pg', mysql: 'my', sqlite: 'lite' }
  const secrets = [
    '$2b$12$ann',
    'sk_live_ann',
    '$2b$12$bob',
    'sk_bob',
    '$2b$12$cy',
    'sk_cy',
    'tok-1',
    'tok-2',
    '$2b$12$new',
    'sk_new',
    'sk_old',
    'tok-gone',
  ]
  const kept = ['ann@example.com', 'bob@example.com', 'cy@example.com', 'Ann', 'Bob', 'Cy', '7']

  for (const style of ['pyformat', 'format', 'qmark']) {
    it(`masks every secret SQLAlchemy binds (${style}) and nothing else`, () => {
      const entries = sqlalchemy.filter((entry) => entry.paramstyle === style)
      expect(entries.length).toBeGreaterThan(5)
      for (const { label, dialect, sql, params } of entries) {
        const out = redact(query(sql, params!, appOf[dialect]))
        const left = values(out.params)
        for (const secret of secrets) expect(left, `${label}: ${secret}`).not.toContain(secret)
        const before = values(params).filter((value) => kept.includes(value))
        expect(
          left.filter((value) => kept.includes(value)),
          label,
        ).toEqual(before)
        expect(out.sql).toBe(sql)
      }
    })
  }

  it('masks the values SQLAlchemy inlines (literal_binds) in the SQL text, and only those', () => {
    const entries = sqlalchemy.filter((entry) => entry.paramstyle === 'literal')
    for (const { label, dialect, sql } of entries) {
      const out = redact(query(sql, undefined, appOf[dialect]))
      for (const secret of secrets) expect(out.sql, label).not.toContain(secret)
      for (const value of kept.filter((value) => sql.includes(`'${value}'`))) {
        expect(out.sql, label).toContain(`'${value}'`)
      }
    }
    const login = entries.find((entry) => entry.label === 'log in' && entry.dialect === 'mysql')!
    expect(redact(query(login.sql, undefined, 'my')).sql).toBe(
      'SELECT accounts.id, accounts.email, accounts.password_hash, accounts.api_key, ' +
        'accounts.reset_token, accounts.name \nFROM accounts \nWHERE accounts.email = ' +
        "'ann@example.com' AND accounts.password_hash = '[REDACTED]'",
    )
  })
})

describe('positional parameters by the column they bind to', () => {
  const cases: [string, string, unknown[], unknown[], string?][] = [
    [
      'TypeORM INSERT on PostgreSQL ($n)',
      'INSERT INTO "user"("email", "password", "createdAt") VALUES ($1, $2, DEFAULT) RETURNING "id"',
      ['ann@example.com', 'hunter2'],
      ['ann@example.com', M],
    ],
    [
      'TypeORM UPDATE on PostgreSQL, parameters out of text order',
      'UPDATE "user" SET "token" = $2, "updatedAt" = CURRENT_TIMESTAMP WHERE "id" IN ($1)',
      [7, 'tok-secret'],
      [7, M],
    ],
    [
      'TypeORM on SQL Server (@0, OUTPUT before VALUES)',
      'INSERT INTO "account"("email", "password") OUTPUT INSERTED."id" VALUES (@0, @1)',
      ['ann@example.com', 'hunter2'],
      ['ann@example.com', M],
      'ms',
    ],
    [
      'TypeORM on MySQL (backticks)',
      'INSERT INTO `user`(`email`, `apiKey`) VALUES (?, ?)',
      ['a@b.c', 'sk_1'],
      ['a@b.c', M],
      'my',
    ],
    [
      'a call on either side',
      'SELECT * FROM "user" "User" WHERE lower("User"."email") = lower($1) AND lower($2) = lower("User"."apiKey")',
      ['A@B.C', 'SK_1'],
      ['A@B.C', M],
    ],
    ['the value first', 'DELETE FROM sessions WHERE $1 = session_token', ['tok'], [M]],
    [
      'IN, NOT IN, BETWEEN and LIKE',
      'SELECT 1 FROM t WHERE token NOT IN ($1, $2) AND card_number BETWEEN $3 AND $4 AND secret_note NOT LIKE $5 AND name LIKE $6',
      ['a', 'b', 'c', 'd', 'e', 'f'],
      [M, M, M, M, M, 'f'],
    ],
    [
      'ON CONFLICT DO UPDATE SET',
      'INSERT INTO keys (owner, api_key) VALUES ($1, $2) ON CONFLICT (owner) DO UPDATE SET api_key = $3, rotated = now()',
      ['ann', 'k1', 'k2'],
      ['ann', M, M],
    ],
    [
      "MySQL's ON DUPLICATE KEY UPDATE",
      'INSERT INTO users (email, pwd) VALUES (?, ?) ON DUPLICATE KEY UPDATE pwd = ?, email = VALUES(email)',
      ['a@b.c', 'p1', 'p2'],
      ['a@b.c', M, M],
      'my',
    ],
    [
      'numbered SQLite placeholders',
      'UPDATE accounts SET password = ?2 WHERE id = ?1',
      [3, 'pw'],
      [3, M],
      'lite',
    ],
    [
      'placeholders in comments and strings are not counted',
      "SELECT '?' AS q /* ? */ FROM t WHERE name = ? -- ?\n AND password = ?",
      ['ann', 'pw'],
      ['ann', M],
      'lite',
    ],
    [
      "PostgreSQL's jsonb ? operator is not a placeholder",
      "SELECT * FROM events WHERE data ? 'token' AND secret = $1",
      ['s'],
      [M],
    ],
    [
      'a null stays null',
      'UPDATE accounts SET reset_token = $1 WHERE id = $2',
      [null, 4],
      [null, 4],
    ],
    [
      'columns whose names only look alike are kept',
      'SELECT * FROM t WHERE tokenizer = $1 AND cardinality = $2 AND discard = $3',
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
    ],
  ]
  for (const [what, sql, params, expected, appId] of cases) {
    it(`masks ${what}`, () => {
      expect(redact(query(sql, params, appId ?? 'pg')).params).toEqual(expected)
    })
  }
})

describe('named parameters, nested values and messages', () => {
  it('masks named parameters by their key, whatever the SQL says', () => {
    const out = redact(
      query('SELECT * FROM users WHERE users.password = :pw AND id = :id', {
        pw: 'hunter2',
        id: 3,
        accessToken: 'at',
        'X-Api-Key': 'k',
        note: 'fine',
      }),
    )
    expect(out.params).toEqual({ pw: M, id: 3, accessToken: M, 'X-Api-Key': M, note: 'fine' })
  })

  it('masks secret keys inside object parameters (JSON columns)', () => {
    const out = redact(
      query('INSERT INTO events (data) VALUES ($1)', [
        { user: 'ann', credentials: { password: 'x', apiKey: 'y' }, tags: [{ token: 't' }] },
      ]),
    )
    expect(out.params).toEqual([
      { user: 'ann', credentials: { password: M, apiKey: M }, tags: [{ token: M }] },
    ])
  })

  it('masks the value a unique-violation message quotes when its key is secret', () => {
    const mysql = redact({
      ...query('INSERT INTO accounts (api_key) VALUES (?)', ['sk_1'], 'my'),
      error: { type: 'ER_DUP_ENTRY', message: "Duplicate entry 'sk_1' for key 'accounts.api_key'" },
    })
    expect(mysql.error).toEqual({
      type: 'ER_DUP_ENTRY',
      message: `Duplicate entry '${M}' for key 'accounts.api_key'`,
    })
    const postgres = redact({
      ...query('INSERT INTO accounts (email) VALUES ($1)', ['a@b.c']),
      error: { message: 'Key (reset_token)=(tok-1) already exists. Key (email)=(a@b.c) too.' },
    })
    expect(postgres.error!.message).toBe(
      `Key (reset_token)=(${M}) already exists. Key (email)=(a@b.c) too.`,
    )
  })

  it('returns the same object when nothing matched', () => {
    const plain = query('SELECT * FROM users WHERE id = $1', [1])
    expect(redact(plain)).toBe(plain)
  })
})

describe('options', () => {
  it('drops every parameter', () => {
    const out = redactQuery(query('SELECT * FROM t WHERE id = $1', [1]), { dropParams: true })
    expect(out).not.toHaveProperty('params')
    expect(out.sql).toBe('SELECT * FROM t WHERE id = $1')
  })

  it('takes its own rules: words or regular expressions', () => {
    const custom = createRedactor({ rules: ['email', /^internal_/], apps })
    const out = custom(
      query('UPDATE users SET email = $1, internal_flag = $2, password = $3', ['a', 'b', 'c']),
    )
    expect(out.params).toEqual([M, M, 'c'])
  })

  it('can leave the SQL text alone, and use another mask', () => {
    const sql = "SELECT * FROM users WHERE password = 'hunter2' AND id = $1"
    expect(createRedactor({ sqlLiterals: false })(query(sql, [1])).sql).toBe(sql)
    expect(createRedactor({ mask: "it's gone" })(query(sql, [1])).sql).toBe(
      "SELECT * FROM users WHERE password = 'it''s gone' AND id = $1",
    )
  })

  it('splits names into words the way the rules are matched', () => {
    expect(nameWords('userAPIKey_2')).toEqual(['user', 'api', 'key', '2'])
    expect(nameWords('X-Api-Key')).toEqual(['x', 'api', 'key'])
    const matches = createRedactor().matches
    for (const name of ['password_hash', 'apikey', 'API_KEY', 'client_secret', 'cvv2', 'SSN'])
      expect(matches(name), name).toBe(true)
    for (const name of ['tokenizer', 'cardinality', 'author', 'passage', 'email'])
      expect(matches(name), name).toBe(false)
    expect(DEFAULT_REDACTION_RULES).toContain('authorization')
  })
})

describe('on export', () => {
  const folders: string[] = []
  afterEach(() => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true })
  })

  it('writes the session with secrets masked, its findings found from the real values', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'fop-redaction-'))
    folders.push(folder)
    const file = join(folder, 'export.json')
    const context = { id: 'req-1' }
    const queries: QueryRecord[] = [
      {
        ...query("SELECT id FROM accounts WHERE api_key = 'sk_live_1'"),
        id: 1,
        context,
      },
      // The same user looked up with the same password 5 times: a duplicate, not an N+1.
      ...Array.from({ length: 5 }, (_, i) => ({
        ...query('SELECT * FROM users WHERE email = $1 AND password = $2', ['a@b.c', 'pw']),
        id: i + 2,
        context,
      })),
    ]
    await writeSessionFile(
      file,
      {
        session: { id: 's', startedAt: 0, endedAt: 1 },
        apps,
        counters: { received: 6, stored: 6, evicted: 0, rejected: 0, droppedByAgents: 0 },
      },
      queries,
      { redact: { apps } },
    )
    const text = readFileSync(file, 'utf8')
    expect(text).not.toContain('sk_live_1')
    expect(text).not.toContain('"pw"')
    const saved = await readSessionFile(file)
    expect(saved.queries[0]!.sql).toBe(`SELECT id FROM accounts WHERE api_key = '${M}'`)
    expect(saved.queries[1]!.params).toEqual(['a@b.c', M])
    expect(saved.findings.map((finding) => [finding.kind, finding.count])).toEqual([
      ['duplicate', 5],
    ])
    const withoutParams = join(folder, 'no-params.json')
    await writeSessionFile(withoutParams, saved, saved.queries, { redact: { dropParams: true } })
    expect((await readSessionFile(withoutParams)).queries.every((q) => !('params' in q))).toBe(true)
  })
})
