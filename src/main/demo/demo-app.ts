/**
 * The demo app: a small shop on TypeORM + SQLite, profiled exactly as a user's app would be,
 * through the public API of `fastorm-profiler-agent` (URL and token come from
 * FASTORM_PROFILER_URL / FASTORM_PROFILER_TOKEN, which the profiler sets when it starts it).
 *
 * It seeds a few tables, then serves simulated `GET /users/:id/orders` requests, each in its
 * own context, with the problems the profiler is built to find, all of them real queries:
 *   - an N+1 loop: the user's orders, then one product lookup per order (lazy loading);
 *   - duplicate lookups: the same user loaded twice with the same id in one request;
 *   - a slow reporting query, every other request (a recursive CTE that really takes well
 *     over 100 ms);
 *   - a failing query (a table that does not exist), caught by the app.
 * Then it flushes, closes the agent and exits 0.
 *
 * Env: DEMO_REQUESTS (default 20) requests spread over DEMO_DURATION_MS (default 10,000).
 * A plain Node module (no electron): the profiler runs it with the user's node.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DataSource, EntitySchema } from 'typeorm'
import { startAgent } from 'fastorm-profiler-agent'

interface User {
  id: number
  name: string
  email: string
}

interface Product {
  id: number
  name: string
  priceCents: number
}

interface Order {
  id: number
  userId: number
  productId: number
  quantity: number
  createdAt: string
}

const UserEntity = new EntitySchema<User>({
  name: 'User',
  tableName: 'users',
  columns: {
    id: { type: Number, primary: true, generated: true },
    name: { type: String },
    email: { type: String, unique: true },
  },
})

const ProductEntity = new EntitySchema<Product>({
  name: 'Product',
  tableName: 'products',
  columns: {
    id: { type: Number, primary: true, generated: true },
    name: { type: String },
    priceCents: { type: Number, name: 'price_cents' },
  },
})

const OrderEntity = new EntitySchema<Order>({
  name: 'Order',
  tableName: 'orders',
  columns: {
    id: { type: Number, primary: true, generated: true },
    userId: { type: Number, name: 'user_id' },
    productId: { type: Number, name: 'product_id' },
    quantity: { type: Number },
    createdAt: { type: String, name: 'created_at' },
  },
  indices: [{ name: 'orders_by_user', columns: ['userId'] }],
})

const USERS = 40
const PRODUCTS = 25
const ORDERS_PER_USER = 8
/**
 * Rows the slow report walks: about 0.5 s on a small VM, and still well over 100 ms on a
 * fast laptop. Real work in SQLite, not a sleep.
 */
const SLOW_REPORT_ROWS = 1_500_000

function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name])
  return Number.isFinite(value) && value > 0 ? value : fallback
}

const requests = Math.floor(envNumber('DEMO_REQUESTS', 20))
const durationMs = envNumber('DEMO_DURATION_MS', 10_000)

const profiler = startAgent({ appName: 'fastorm-demo-shop' })

const dir = mkdtempSync(join(tmpdir(), 'fastorm-demo-'))
const dataSource = new DataSource({
  type: 'better-sqlite3',
  database: join(dir, 'shop.sqlite'),
  entities: [UserEntity, ProductEntity, OrderEntity],
  synchronize: true,
})
profiler.instrumentTypeORM(dataSource)

const users = dataSource.getRepository(UserEntity)
const products = dataSource.getRepository(ProductEntity)
const orders = dataSource.getRepository(OrderEntity)

async function seed(): Promise<void> {
  await dataSource.transaction(async (manager) => {
    await manager.save(
      UserEntity,
      Array.from({ length: USERS }, (_, i) => ({
        name: `User ${i + 1}`,
        email: `user${i + 1}@example.com`,
      })),
    )
    await manager.save(
      ProductEntity,
      Array.from({ length: PRODUCTS }, (_, i) => ({
        name: `Product ${i + 1}`,
        priceCents: 500 + ((i * 137) % 5000),
      })),
    )
    const rows: Omit<Order, 'id'>[] = []
    for (let user = 1; user <= USERS; user++) {
      for (let n = 0; n < ORDERS_PER_USER; n++) {
        rows.push({
          userId: user,
          productId: 1 + ((user * 7 + n * 3) % PRODUCTS),
          quantity: 1 + ((user + n) % 4),
          createdAt: new Date(Date.UTC(2024, 0, 1 + n, user % 24)).toISOString(),
        })
      }
    }
    // Chunks keep each INSERT under SQLite's bound-parameter limit.
    await manager.save(OrderEntity, rows, { chunk: 50 })
  })
}

/** Loads the user the way an auth middleware would; the handler loads it again. */
function loadUser(id: number): Promise<User | null> {
  return users.findOneBy({ id })
}

/** `GET /users/:id/orders`, written the way that makes the profiler useful. */
async function userOrdersRequest(userId: number, withReport: boolean): Promise<number> {
  await loadUser(userId) // "authentication"
  const user = await loadUser(userId) // the handler: same query, same params
  if (!user) return 0

  // Lazy loading: one query for the list, then one per order for its product.
  const list = await orders.find({ where: { userId }, order: { createdAt: 'DESC' } })
  let totalCents = 0
  for (const order of list) {
    const product = await products.findOneBy({ id: order.productId })
    totalCents += (product?.priceCents ?? 0) * order.quantity
  }

  if (withReport) {
    // A "sales statistics" query nobody bounded: a recursive CTE over a million rows.
    await dataSource.query(
      `WITH RECURSIVE ticks(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM ticks WHERE n < ?)
       SELECT count(*) AS samples, sum(n % 97) AS checksum FROM ticks`,
      [SLOW_REPORT_ROWS],
    )
  }

  try {
    // A feature flag points at a table that was never migrated: the query fails.
    const [coupon] = await dataSource.query(
      'SELECT discount_cents FROM coupons WHERE user_id = ?',
      [userId],
    )
    totalCents -= Number(coupon?.discount_cents ?? 0)
  } catch {
    // No coupons then: the order total stands, and the request still succeeds.
  }
  return totalCents
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function main(): Promise<void> {
  await dataSource.initialize()
  await seed()
  console.log(`demo: serving ${requests} requests over ${durationMs} ms`)

  const interval = requests > 1 ? durationMs / requests : 0
  const started = Date.now()
  for (let i = 0; i < requests; i++) {
    const wait = started + i * interval - Date.now()
    if (wait > 0) await sleep(wait)
    const userId = 1 + ((i * 11) % USERS)
    // One request at a time: better-sqlite3 is synchronous, so an overlapping request's slow
    // query would block this one's awaits and make its fast queries look slow too.
    await profiler.withContext('GET /users/:id/orders', () =>
      userOrdersRequest(userId, i % 2 === 0),
    )
  }

  await profiler.flush()
  const stats = profiler.stats()
  console.log(
    `demo: done; ${stats.sent} queries sent, ${stats.dropped} dropped, ${stats.queued} left` +
      (stats.connected ? '' : ' (profiler not connected)'),
  )
}

main()
  .then(
    () => 0,
    (error: unknown) => {
      console.error('demo failed:', error)
      return 1
    },
  )
  .then(async (code) => {
    await profiler.close()
    if (dataSource.isInitialized) await dataSource.destroy()
    rmSync(dir, { recursive: true, force: true })
    process.exit(code)
  })
