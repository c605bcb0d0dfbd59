import { describe, expect, it } from 'vitest'
import { LiveSession, type NewQuery } from '../../src/main/session/live-session'

const query = (sql: string, extra: Partial<NewQuery> = {}): NewQuery => ({
  appId: 'app-1',
  sql,
  startTime: 1000,
  durationMs: 1,
  ...extra,
})
const names = (id: string) => (id === 'app-1' ? 'shop-api' : id)

describe('LiveSession', () => {
  it('gives ids from 1 without gaps and returns records by id', () => {
    const session = new LiveSession(10)
    expect(session.add(query('SELECT 1'))).toBe(1)
    expect(session.add(query('SELECT 2'))).toBe(2)
    expect(session.get(2)?.sql).toBe('SELECT 2')
    expect(session.get(3)).toBeUndefined()
    expect(session.get(0)).toBeUndefined()
  })

  it('evicts the oldest past capacity and counts each eviction', () => {
    const session = new LiveSession(3)
    for (let i = 1; i <= 5; i++) session.add(query(`SELECT ${i}`))
    expect(session.size).toBe(3)
    expect(session.evicted).toBe(2)
    expect(session.firstId).toBe(3)
    expect(session.get(2)).toBeUndefined()
    expect([...session.records()].map((r) => r.sql)).toEqual(['SELECT 3', 'SELECT 4', 'SELECT 5'])
  })

  it('pages oldest first, starting at the oldest held record', () => {
    const session = new LiveSession(4)
    for (let i = 1; i <= 6; i++) session.add(query(`SELECT ${i}`))
    const page = session.page(1, 2, undefined, names)
    expect(page.total).toBe(4)
    expect(page.rows.map((r) => r.id)).toEqual([4, 5])
    expect(session.page(3, 10, undefined, names).rows.map((r) => r.id)).toEqual([6])
  })

  it('filters by SQL, app name and context name, case-insensitively, and extends the match as queries arrive', () => {
    const session = new LiveSession(100)
    session.add(query('SELECT * FROM orders'))
    session.add(query('SELECT * FROM users', { context: { id: 'r1', name: 'GET /Orders' } }))
    session.add(query('UPDATE stock SET n = 1'))
    expect(session.page(0, 10, 'ORDERS', names).rows.map((r) => r.id)).toEqual([1, 2])
    expect(session.page(0, 10, 'shop', names).total).toBe(3)
    session.add(query('DELETE FROM orders'))
    expect(session.page(0, 10, 'orders', names).rows.map((r) => r.id)).toEqual([1, 2, 4])
  })

  it('drops evicted records from a filter that was built before they were evicted', () => {
    const session = new LiveSession(3)
    session.add(query('SELECT a'))
    session.add(query('SELECT b'))
    expect(session.page(0, 10, 'select', names).total).toBe(2)
    session.add(query('SELECT c'))
    session.add(query('SELECT d'))
    const page = session.page(0, 10, 'select', names)
    expect(page.total).toBe(3)
    expect(page.rows.map((r) => r.sql)).toEqual(['SELECT b', 'SELECT c', 'SELECT d'])
  })

  it('marks failed queries and shows the context name in rows', () => {
    const session = new LiveSession(10)
    session.add(
      query('SELECT x', {
        error: { message: 'no such table: x' },
        context: { id: 'r9', name: 'job:sync' },
      }),
    )
    expect(session.page(0, 1, undefined, names).rows[0]).toMatchObject({
      failed: true,
      contextName: 'job:sync',
    })
  })

  it('gives back every field of a query as it was added', () => {
    const session = new LiveSession(10)
    const full: NewQuery = {
      appId: 'app-2',
      sql: 'SELECT * FROM t WHERE a = ? AND b = ?',
      params: [1, { nested: true }],
      startTime: 1764145657123.456,
      durationMs: 0.875,
      rows: 0,
      error: { type: 'E1', message: 'boom' },
      connectionId: 'c7',
      context: { id: 'r1', name: 'GET /t' },
      stack: [{ file: '/app/t.ts', line: 3, column: 9, function: 'load' }],
    }
    const id = session.add(full)
    expect(session.get(id)).toEqual({ id, ...full })
    const bare = session.add(query('SELECT 1'))
    expect(session.get(bare)).toEqual({
      id: bare,
      appId: 'app-1',
      sql: 'SELECT 1',
      startTime: 1000,
      durationMs: 1,
    })
  })

  it('gives back parameters exactly, whether a few numbers or anything else', () => {
    const session = new LiveSession(4)
    const cases: (NewQuery['params'] | undefined)[] = [
      [7],
      [1.5, -0, 2 ** 53 + 2],
      [],
      [1, 2, 3, 4],
      ['7'],
      [1, null],
      { id: 7 },
      undefined,
    ]
    for (const params of cases) {
      const id = session.add(query('SELECT ?', params === undefined ? {} : { params }))
      const back = session.get(id)!
      if (params === undefined) expect(back).not.toHaveProperty('params')
      else expect(back.params).toStrictEqual(params)
    }
    // The first four were evicted: their slots now hold the last four's parameters only.
    expect(session.get(session.firstId)!.params).toStrictEqual(['7'])
    expect(session.get(session.lastId)).not.toHaveProperty('params')
  })

  it('keeps one copy of a repeated stack and context, without the extra keys agents sent', () => {
    const session = new LiveSession(10)
    const frame = () => ({ file: '/app/a.ts', line: 1, column: 2, junk: 'x'.repeat(100) })
    const a = session.add(
      query('SELECT 1', { stack: [frame()], context: { id: 'r', name: 'GET /' } }),
    )
    const b = session.add(
      query('SELECT 2', { stack: [frame()], context: { id: 'r', name: 'GET /' } }),
    )
    const c = session.add(query('SELECT 3', { stack: [{ file: '/app/a.ts', line: 9, column: 2 }] }))
    expect(session.get(a)!.stack).toBe(session.get(b)!.stack)
    expect(session.get(a)!.context).toBe(session.get(b)!.context)
    expect(session.get(c)!.stack).not.toBe(session.get(a)!.stack)
    expect(session.get(a)!.stack).toEqual([{ file: '/app/a.ts', line: 1, column: 2 }])
  })

  it('overwrites every field of an evicted query, leaving nothing of it behind', () => {
    const session = new LiveSession(1)
    session.add(
      query('SELECT 1', { params: [1], error: { message: 'x' }, rows: 3, connectionId: 'c' }),
    )
    const id = session.add(query('SELECT 2'))
    expect(session.get(id)).toEqual({
      id,
      appId: 'app-1',
      sql: 'SELECT 2',
      startTime: 1000,
      durationMs: 1,
    })
  })

  it('starts again from id 1 after clear', () => {
    const session = new LiveSession(2)
    for (let i = 0; i < 5; i++) session.add(query('SELECT'))
    session.clear()
    expect(session.size).toBe(0)
    expect(session.evicted).toBe(0)
    expect(session.add(query('SELECT'))).toBe(1)
  })

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new LiveSession(0)).toThrow(RangeError)
    expect(() => new LiveSession(1.5)).toThrow(RangeError)
  })
})
