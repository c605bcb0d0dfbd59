import { describe, expect, it } from 'vitest'
import { ormFamily, severityOf, suggestionFor, targetOf } from '../../src/main/analysis/suggestions'

const TYPEORM_LOOKUP =
  'SELECT "Product"."id" AS "Product_id", "Product"."name" AS "Product_name" FROM "products" "Product" WHERE (("Product"."id" = ?)) LIMIT ?'

describe('severity', () => {
  it('rises with the count against the threshold', () => {
    expect(severityOf(5, 1, 5, 100)).toBe('warning')
    expect(severityOf(15, 1, 5, 100)).toBe('error')
    expect(severityOf(50, 1, 5, 100)).toBe('critical')
  })

  it('rises with the time against the slow-query threshold, whatever the count', () => {
    expect(severityOf(5, 99, 5, 100)).toBe('warning')
    expect(severityOf(5, 100, 5, 100)).toBe('error')
    expect(severityOf(2, 1000, 2, 100)).toBe('critical')
  })
})

describe('suggestions', () => {
  it('recognises the ORM from the name the agent reported', () => {
    expect(ormFamily({ orm: { name: 'typeorm' } })).toBe('typeorm')
    expect(ormFamily({ orm: { name: 'SQLAlchemy' } })).toBe('sqlalchemy')
    expect(ormFamily({ orm: { name: 'fastorm' } })).toBe('sqlalchemy')
    expect(ormFamily({})).toBe('generic')
    expect(ormFamily(undefined)).toBe('generic')
  })

  it('finds the table and the filtered column of TypeORM SQL', () => {
    expect(targetOf(TYPEORM_LOOKUP)).toEqual({ table: 'products', column: 'id' })
    expect(targetOf('select * from app.users where email = ?')).toEqual({
      table: 'users',
      column: 'email',
    })
    expect(targetOf('INSERT INTO `audit` (a) VALUES (?)')).toEqual({ table: 'audit' })
  })

  it('phrases an N+1 for TypeORM with relations, leftJoinAndSelect and In(ids)', () => {
    const text = suggestionFor('n-plus-one', 'select', TYPEORM_LOOKUP, { orm: { name: 'typeorm' } })
    expect(text).toContain('`products`')
    expect(text).toContain('relations: [...]')
    expect(text).toContain('leftJoinAndSelect')
    expect(text).toContain('findBy({ id: In(ids) })')
  })

  it('phrases an N+1 for SQLAlchemy with selectinload and joinedload', () => {
    const text = suggestionFor('n-plus-one', 'select', 'SELECT * FROM items WHERE order_id = ?', {
      orm: { name: 'sqlalchemy' },
    })
    expect(text).toMatch(/selectinload\(.*joinedload\(/)
  })

  it('phrases an N+1 for an unknown ORM as one WHERE ... IN (...)', () => {
    const text = suggestionFor('n-plus-one', 'select', 'SELECT * FROM items WHERE sku = $1', {})
    expect(text).toContain('WHERE sku IN (...)')
  })

  it('phrases write loops as bulk writes for each ORM', () => {
    const insert = 'INSERT INTO "audit"("action") VALUES (?)'
    const typeorm = suggestionFor('write-loop', 'insert', insert, { orm: { name: 'typeorm' } })
    expect(typeorm).toMatch(/^One INSERT per row into `audit`: /)
    expect(typeorm).toContain('repository.insert([...])')
    expect(typeorm).toContain('`save([...])` still inserts row by row')
    expect(suggestionFor('write-loop', 'insert', insert, { orm: { name: 'sqlalchemy' } })).toMatch(
      /bulk_save_objects.*insert\(Model\)\.values\(\[\.\.\.\]\)/,
    )
    expect(suggestionFor('write-loop', 'insert', insert, {})).toContain('multi-row')
    expect(
      suggestionFor('write-loop', 'update', 'UPDATE carts SET n = ? WHERE id = ?', {}),
    ).toContain('WHERE id IN (...)')
  })

  it('suggests reusing the result for duplicates', () => {
    expect(
      suggestionFor('duplicate', 'select', TYPEORM_LOOKUP, { orm: { name: 'typeorm' } }),
    ).toMatch(/memoise the lookup per request/)
  })
})
