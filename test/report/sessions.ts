/**
 * Sessions for the report, check and diff tests, written as real session files with the
 * real writer and read back with the real reader.
 *
 * The shop: two `GET /orders` requests, each listing a user's orders then looking up six
 * products one by one (an N+1), a coupon query that fails, and a monthly total. `fixed`: the
 * same requests loading the products with one `IN (...)` query (the N+1 gone) — and a new
 * audit query that takes 300 ms (a new slow query).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readSessionFile, writeSessionFile } from '../../src/main/session/session-file'
import type { AppInfo, QueryRecord } from '../../src/shared/domain'

export const T = Date.UTC(2025, 10, 26, 9, 0, 0)

export const ORDERS =
  'SELECT "Order"."id" AS "Order_id" FROM "orders" "Order" WHERE (("Order"."user_id" = ?))'
export const LOOKUP =
  'SELECT "Product"."id" AS "Product_id", "Product"."name" AS "Product_name" FROM "products" "Product" WHERE (("Product"."id" = ?)) LIMIT 1'
export const LOOKUP_ALL =
  'SELECT "Product"."id" AS "Product_id", "Product"."name" AS "Product_name" FROM "products" "Product" WHERE "Product"."id" IN (?, ?, ?, ?, ?, ?)'
export const COUPONS = 'SELECT * FROM coupons WHERE user_id = ?'
export const MONTHLY = 'SELECT sum(total) FROM orders'
export const AUDIT = 'SELECT * FROM audit_log WHERE user_id = ? ORDER BY created_at DESC'

export const LOOP_SITE = { file: '/app/src/orders.ts', line: 31, column: 9, function: 'totals' }
export const AUDIT_SITE = { file: '/app/src/audit.ts', line: 12, column: 5, function: 'history' }

export function shopApp(name = 'shop'): AppInfo {
  return {
    id: 'app-1',
    name,
    runtime: { name: 'node', version: '22.0.0' },
    orm: { name: 'typeorm', version: '1.1.1' },
    dbSystem: 'sqlite',
    pid: 4242,
    connectedAt: T,
    received: 0,
    droppedByAgent: 0,
  }
}

export interface ShopOptions {
  /** Load each request's products with one query instead of one per product. */
  fixed?: boolean
  /** Add the 300 ms audit query. */
  audit?: boolean
  app?: AppInfo
  /** Replaces the monthly total's SQL and params (for the escaping tests). */
  extra?: Omit<QueryRecord, 'id' | 'appId' | 'startTime'>
}

export function shopQueries({
  fixed = false,
  audit = false,
  extra,
}: ShopOptions = {}): QueryRecord[] {
  const queries: QueryRecord[] = []
  const add = (query: Omit<QueryRecord, 'id' | 'appId'>) =>
    queries.push({ id: queries.length + 1, appId: 'app-1', ...query })
  for (const request of [1, 2]) {
    const context = { id: `ctx-${request}`, name: 'GET /orders' }
    let t = T + request * 1000
    add({ sql: ORDERS, params: [request], startTime: t++, durationMs: 1, rows: 6, context })
    if (fixed) {
      const ids = [1, 2, 3, 4, 5, 6].map((i) => i * request)
      add({ sql: LOOKUP_ALL, params: ids, startTime: t, durationMs: 0.8, rows: 6, context })
    } else {
      for (let i = 1; i <= 6; i++) {
        add({
          sql: LOOKUP,
          params: [i * request],
          startTime: t++,
          durationMs: 0.5,
          rows: 1,
          context,
          stack: [LOOP_SITE],
        })
      }
    }
  }
  add({ sql: MONTHLY, startTime: T + 5000, durationMs: 250, rows: 1, ...extra })
  add({
    sql: COUPONS,
    params: [1],
    startTime: T + 6000,
    durationMs: 0.2,
    error: { type: 'SQLITE_ERROR', message: 'no such table: coupons' },
    stack: [{ file: '/app/src/coupons.ts', line: 8, column: 3 }],
  })
  if (audit) {
    add({
      sql: AUDIT,
      params: [1],
      startTime: T + 7000,
      durationMs: 300,
      rows: 40,
      stack: [AUDIT_SITE],
    })
  }
  return queries
}

/** A temp folder for one test file, removed by `cleanup`. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Writes a session file with the real writer; returns its path. */
export async function writeShopSession(
  dir: string,
  name: string,
  options: ShopOptions = {},
  queries: QueryRecord[] = shopQueries(options),
): Promise<string> {
  const file = join(dir, `${name}.json`)
  await writeSessionFile(
    file,
    {
      session: { id: `session-${name}`, name, startedAt: T, endedAt: T + 10_000 },
      apps: [options.app ?? shopApp()],
      counters: {
        received: queries.length,
        stored: queries.length,
        evicted: 0,
        rejected: 0,
        droppedByAgents: 0,
      },
    },
    queries,
  )
  return file
}

/** Writes a session file and reads it back, as the CLI would get it. */
export async function shopSession(dir: string, name: string, options: ShopOptions = {}) {
  return readSessionFile(await writeShopSession(dir, name, options))
}
