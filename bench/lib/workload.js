/**
 * The queries the benchmarks send: ORM-style SQL with `$n` placeholders, from a handful of
 * shapes, as an app repeats the same few statements with different parameters, request
 * contexts and call sites. Everything comes from a seeded generator, so
 * two processes given the same seed build byte-identical batches: the core and the baseline
 * server are fed exactly the same messages.
 */

/** Small, fast, seedable PRNG (mulberry32): the same seed gives the same workload. */
export function seededRandom(seed) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const int = (random, below) => Math.floor(random() * below)

/** The statements, each with the route that issues it, its call site and its parameters. */
const SHAPES = [
  {
    sql: 'SELECT id, email FROM users WHERE id = $1',
    route: 'GET /users/:id',
    site: { file: '/app/src/users.ts', line: 42, column: 27, function: 'findUser' },
    params: (r) => [1 + int(r, 50_000)],
    rows: () => 1,
  },
  {
    sql: 'SELECT id, total FROM orders WHERE user_id = $1 ORDER BY id DESC LIMIT $2',
    route: 'GET /users/:id/orders',
    site: { file: '/app/src/orders.ts', line: 118, column: 12, function: 'listOrders' },
    params: (r) => [1 + int(r, 50_000), 20],
    rows: (r) => int(r, 21),
  },
  {
    sql: 'SELECT id, title, price FROM products WHERE id = $1',
    route: 'GET /cart',
    site: { file: '/app/src/cart.ts', line: 64, column: 33, function: 'loadLine' },
    params: (r) => [1 + int(r, 8_000)],
    rows: () => 1,
  },
  {
    sql: 'INSERT INTO audit_log (action, user_id) VALUES ($1, $2)',
    route: 'POST /orders',
    site: { file: '/app/src/audit.ts', line: 19, column: 5, function: 'audit' },
    params: (r) => [['order.create', 'order.pay', 'cart.update'][int(r, 3)], 1 + int(r, 50_000)],
    rows: () => 1,
  },
  {
    sql: 'UPDATE carts SET item_count = $1 WHERE id = $2',
    route: 'POST /cart/items',
    site: { file: '/app/src/cart.ts', line: 88, column: 9, function: 'addItem' },
    params: (r) => [1 + int(r, 30), 1 + int(r, 20_000)],
    rows: () => 1,
  },
  {
    sql: 'SELECT count(*) FROM products WHERE category_id IN ($1, $2, $3)',
    route: 'GET /categories/:id',
    site: { file: '/app/src/catalog.ts', line: 57, column: 21, function: 'countProducts' },
    params: (r) => [1 + int(r, 90), 1 + int(r, 90), 1 + int(r, 90)],
    rows: () => 1,
  },
]

/** The statements as an app would pass them to an agent or a tracer. */
export const QUERY_SHAPES = SHAPES.map(({ sql, route, params, rows }) => ({
  sql,
  route,
  params,
  rows,
}))

/**
 * `count` protocol query events, as plain objects. Consecutive events share a request
 * context (a request issues a few queries), as they would from a real app.
 */
export function queryEvents(count, random) {
  const events = new Array(count)
  let time = Date.UTC(2025, 10, 26, 9, 0, 0)
  let requestNumber = 0
  let requestLeft = 0
  let context
  for (let i = 0; i < count; i++) {
    const shape = SHAPES[int(random, SHAPES.length)]
    if (requestLeft === 0) {
      requestNumber++
      requestLeft = 1 + int(random, 6)
      context = { id: `r${requestNumber.toString(36)}`, name: shape.route }
    }
    requestLeft--
    time += random() * 2
    events[i] = {
      type: 'query',
      'db.query.text': shape.sql,
      'db.query.parameters': shape.params(random),
      startTime: Math.round(time * 1000) / 1000,
      durationMs: Math.round((0.05 + random() * 3) * 1000) / 1000,
      'db.response.returned_rows': shape.rows(random),
      connectionId: `c${1 + int(random, 10)}`,
      context,
      stack: [shape.site],
    }
  }
  return events
}

/**
 * The `events` arrays of `batchCount` batches of `batchSize` events, each already
 * serialised to JSON: a sender wraps them in an envelope with its own `seq`.
 */
export function serialisedEventArrays(batchCount, batchSize, seed) {
  const random = seededRandom(seed)
  const arrays = new Array(batchCount)
  for (let i = 0; i < batchCount; i++) arrays[i] = JSON.stringify(queryEvents(batchSize, random))
  return arrays
}

/** The batch message for `seq`, around an already-serialised events array. */
export function batchMessage(seq, eventsJson) {
  return `{"type":"batch","seq":${seq},"events":${eventsJson}}`
}
