/**
 * The queries the benchmarks send.
 *
 * - `appRequests` (the ingest and analysis benchmarks): an app serving requests, each in a
 *   context of its own that is never seen again — a few queries each, a few dozen in some,
 *   with N+1 loops, duplicate lookups and write loops among them, and background work
 *   without a context. `ingestPool` serialises it into the ingest sender's batches.
 * - `queryEvents` / `QUERY_SHAPES` (the store, session-file and agent hot-path benchmarks):
 *   the older, simpler stream of a handful of shapes, every event with a call site.
 *
 * Everything comes from a seeded generator, so two processes given the same seed build
 * byte-identical batches: the core and the baseline server are fed exactly the same messages.
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

// --- An app serving requests: the ingest and analysis benchmarks' workload ------------------

/** When the workload's clock starts: a multiple of 10 s (see `ingestPool`). */
export const WORKLOAD_START = Date.UTC(2025, 10, 26, 9, 0, 0)
/** Requests in flight at once: their queries interleave in the stream, as in a real server. */
const CONCURRENT_REQUESTS = 4
/** Connections in the app's pool. */
const CONNECTIONS = 10

const ROUTER_FRAME = {
  function: 'Layer.handle',
  file: '/app/node_modules/express/lib/router/layer.js',
  line: 95,
  column: 5,
}

/** TypeORM-style SQL on PostgreSQL, each statement with the place in the app that issues it. */
const APP_SHAPES = {
  session: {
    sql: 'SELECT "Session"."id" AS "Session_id", "Session"."userId" AS "Session_userId" FROM "session" "Session" WHERE "Session"."token" = $1 LIMIT 1',
    site: { function: 'authenticate', file: '/app/src/auth/session.ts', line: 31, column: 18 },
  },
  user: {
    sql: 'SELECT "User"."id" AS "User_id", "User"."email" AS "User_email" FROM "user" "User" WHERE "User"."id" = $1 LIMIT 1',
    site: { function: 'findUser', file: '/app/src/users/users.service.ts', line: 42, column: 27 },
  },
  orders: {
    sql: 'SELECT "Order"."id" AS "Order_id", "Order"."total" AS "Order_total" FROM "order" "Order" WHERE "Order"."userId" = $1 ORDER BY "Order"."id" DESC LIMIT $2',
    site: {
      function: 'listOrders',
      file: '/app/src/orders/orders.service.ts',
      line: 118,
      column: 12,
    },
  },
  product: {
    sql: 'SELECT "Product"."id" AS "Product_id", "Product"."title" AS "Product_title" FROM "product" "Product" WHERE "Product"."id" = $1 LIMIT 1',
    site: { function: 'loadLine', file: '/app/src/orders/order-lines.ts', line: 64, column: 33 },
  },
  countInCategories: {
    sql: 'SELECT COUNT(1) AS "cnt" FROM "product" "Product" WHERE "Product"."categoryId" IN ($1, $2, $3)',
    site: {
      function: 'countProducts',
      file: '/app/src/catalog/catalog.service.ts',
      line: 57,
      column: 21,
    },
  },
  productPage: {
    sql: 'SELECT "Product"."id" AS "Product_id", "Product"."title" AS "Product_title" FROM "product" "Product" ORDER BY "Product"."id" ASC LIMIT 20 OFFSET $1',
    site: {
      function: 'listProducts',
      file: '/app/src/catalog/catalog.service.ts',
      line: 71,
      column: 9,
    },
  },
  cartUpdate: {
    sql: 'UPDATE "cart" SET "itemCount" = $1 WHERE "id" IN ($2)',
    site: { function: 'addItem', file: '/app/src/cart/cart.service.ts', line: 88, column: 9 },
  },
  audit: {
    sql: 'INSERT INTO "audit_log"("action", "userId") VALUES ($1, $2) RETURNING "id"',
    site: { function: 'audit', file: '/app/src/audit/audit.service.ts', line: 19, column: 5 },
  },
  begin: { sql: 'START TRANSACTION', site: undefined },
  commit: { sql: 'COMMIT', site: undefined },
}

const ROUTES = [
  {
    name: 'GET /users/:id',
    handler: 'UsersController.get',
    file: '/app/src/users/users.controller.ts',
  },
  {
    name: 'GET /orders',
    handler: 'OrdersController.list',
    file: '/app/src/orders/orders.controller.ts',
  },
  { name: 'GET /cart', handler: 'CartController.show', file: '/app/src/cart/cart.controller.ts' },
  {
    name: 'POST /cart/items',
    handler: 'CartController.add',
    file: '/app/src/cart/cart.controller.ts',
  },
  {
    name: 'GET /catalog',
    handler: 'CatalogController.list',
    file: '/app/src/catalog/catalog.controller.ts',
  },
  {
    name: 'POST /imports',
    handler: 'ImportsController.run',
    file: '/app/src/imports/imports.controller.ts',
  },
]

/** Shapes an ordinary request picks from. */
const ORDINARY = ['user', 'orders', 'product', 'countInCategories', 'productPage', 'cartUpdate']

/**
 * The kinds of request, by share: most are ordinary, a few dozen queries in some; the rest
 * hold what the findings look for. Every request with a context first looks up its session
 * (the same statement once per request: a hot shape, not a finding).
 */
const REQUEST_KINDS = [
  // 2-7 queries of random shapes.
  { share: 0.62, kind: 'ordinary' },
  // 20-40 queries of random shapes.
  { share: 0.04, kind: 'large' },
  // The user twice (a duplicate), a list of 5-20 orders, then one product per order (N+1).
  { share: 0.1, kind: 'n-plus-one' },
  // A list of 2-3 orders and one product each: a small N+1 that recurs across requests.
  { share: 0.09, kind: 'small-n-plus-one' },
  // A transaction of 5-12 single-row inserts (a write loop).
  { share: 0.05, kind: 'write-loop' },
  // Background work: 1-6 queries without a context (connection bursts).
  { share: 0.1, kind: 'no-context' },
]

/**
 * An endless stream of queries from an app under load, made as `next(count)` asks: plain
 * descriptions that `toQueryEvent` and `toQueryRecord` turn into what each benchmark feeds.
 * CONCURRENT_REQUESTS requests are in flight at once and their queries interleave; within
 * one request each query starts after the previous one ended. Durations 0.05-3 ms, mostly
 * well under 1 ms, with a rare slow query (150-450 ms) and a rare failure. `stack` is set where
 * the Node agent's default sampling would capture a call site (a failed query, one of 1 ms or
 * more, one in 256 of the rest).
 */
export function appRequests(seed) {
  const random = seededRandom(seed)
  const stacks = new Map()
  let clock = WORKLOAD_START
  let requests = 0
  const inFlight = []
  const pending = []

  const stackFor = (shapeName, route) => {
    const key = `${shapeName} ${route.name}`
    let stack = stacks.get(key)
    if (stack === undefined) {
      const handler = { function: route.handler, file: route.file, line: 20, column: 12 }
      stack = [APP_SHAPES[shapeName].site ?? handler, handler, ROUTER_FRAME]
      stacks.set(key, stack)
    }
    return stack
  }

  const ordinaryQuery = () => {
    const name = ORDINARY[int(random, ORDINARY.length)]
    switch (name) {
      case 'orders':
        return [name, [1 + int(random, 50_000), 20], int(random, 21)]
      case 'countInCategories':
        return [name, [1 + int(random, 90), 1 + int(random, 90), 1 + int(random, 90)], 1]
      case 'productPage':
        return [name, [20 * int(random, 400)], 20]
      case 'cartUpdate':
        return [name, [1 + int(random, 30), 1 + int(random, 20_000)], 1]
      default:
        return [name, [1 + int(random, name === 'product' ? 8_000 : 50_000)], 1]
    }
  }

  /** A new request: its route, context, connection and the queries it will run. */
  const newRequest = () => {
    requests++
    let pick = random()
    let kind = REQUEST_KINDS[REQUEST_KINDS.length - 1].kind
    for (const candidate of REQUEST_KINDS) {
      if (pick < candidate.share) {
        kind = candidate.kind
        break
      }
      pick -= candidate.share
    }
    const queries = []
    const route = ROUTES[int(random, ROUTES.length)]
    if (kind !== 'no-context') {
      const token = (0x10000000 + int(random, 0x7fffffff)).toString(16)
      queries.push(['session', [token], 1])
    }
    switch (kind) {
      case 'ordinary':
      case 'no-context':
      case 'large': {
        const count = kind === 'large' ? 20 + int(random, 21) : 1 + int(random, 6)
        for (let i = 0; i < count; i++) queries.push(ordinaryQuery())
        break
      }
      case 'n-plus-one':
      case 'small-n-plus-one': {
        const user = 1 + int(random, 50_000)
        if (kind === 'n-plus-one') queries.push(['user', [user], 1], ['user', [user], 1])
        const lines = kind === 'n-plus-one' ? 5 + int(random, 16) : 2 + int(random, 2)
        queries.push(['orders', [user, 20], lines])
        for (let i = 0; i < lines; i++) queries.push(['product', [1 + int(random, 8_000)], 1])
        break
      }
      case 'write-loop': {
        const user = 1 + int(random, 50_000)
        const rows = 5 + int(random, 8)
        queries.push(['begin', undefined, 0])
        for (let i = 0; i < rows; i++) queries.push(['audit', ['import.row', user], 1])
        queries.push(['commit', undefined, 0])
        break
      }
    }
    return {
      route,
      context:
        kind === 'no-context' ? undefined : { id: `r${requests.toString(36)}`, name: route.name },
      connectionId: `c${1 + int(random, CONNECTIONS)}`,
      queries,
      next: 0,
      readyAt: clock,
    }
  }

  const step = () => {
    while (inFlight.length < CONCURRENT_REQUESTS) inFlight.push(newRequest())
    const at = int(random, inFlight.length)
    const request = inFlight[at]
    const [shapeName, params, rows] = request.queries[request.next++]
    const last = request.next === request.queries.length
    if (last) inFlight.splice(at, 1)
    clock += random() * 0.5
    const startTime = Math.max(clock, request.readyAt)
    const slow = random() < 0.001
    // Mostly well under 1 ms, as on a local database: 1 ms or more one time in six.
    const durationMs = slow ? 150 + random() * 300 : 0.05 + 2.95 * random() ** 6
    request.readyAt = startTime + durationMs
    const failed = random() < 0.002
    const query = {
      sql: APP_SHAPES[shapeName].sql,
      params,
      rows,
      startTime: Math.round(startTime * 1000) / 1000,
      durationMs: Math.round(durationMs * 1000) / 1000,
      connectionId: request.connectionId,
      context: request.context,
      error: failed
        ? { type: '57014', message: 'canceling statement due to statement timeout' }
        : undefined,
      stack: undefined,
      // The request's last query: its context ends as it ends (the Node agent's withContext
      // says so when the request's function settles).
      endsContext: last && request.context !== undefined,
    }
    if (failed || durationMs >= 1 || random() < 1 / 256) {
      query.stack = stackFor(shapeName, request.route)
    }
    pending.push(query)
  }

  return {
    /** The next `count` queries. */
    next(count) {
      while (pending.length < count) step()
      return pending.splice(0, count)
    },
  }
}

/** A query of `appRequests` as an agent sends it (the Node agent's field order). */
export function toQueryEvent(query) {
  const event = {
    type: 'query',
    'db.query.text': query.sql,
    startTime: query.startTime,
    durationMs: query.durationMs,
  }
  if (query.params !== undefined) event['db.query.parameters'] = query.params
  event['db.response.returned_rows'] = query.rows
  if (query.error !== undefined) event.error = query.error
  event.connectionId = query.connectionId
  if (query.context !== undefined) event.context = query.context
  if (query.stack !== undefined) event.stack = query.stack
  return event
}

/** The context-end event after the last query of a request (the Node agent's). */
export function toContextEndEvent(query) {
  return {
    type: 'context-end',
    context: { id: query.context.id },
    time: Math.round((query.startTime + query.durationMs) * 1000) / 1000,
  }
}

/** A query of `appRequests` as the live session hands it to the analysis. */
export function toQueryRecord(query, id, appId) {
  const record = {
    id,
    appId,
    sql: query.sql,
    startTime: query.startTime,
    durationMs: query.durationMs,
    rows: query.rows,
    connectionId: query.connectionId,
  }
  if (query.params !== undefined) record.params = query.params
  if (query.error !== undefined) record.error = query.error
  if (query.context !== undefined) record.context = query.context
  if (query.stack !== undefined) record.stack = query.stack
  return record
}

/** Time between two passes over the ingest pool, and the digits it moves (see below). */
const CYCLE_MS = 10_000
const TIME_HIGH = String(WORKLOAD_START / CYCLE_MS)
/** What a pass moves in the text: start times, context ids, context ends' times. */
const HOLES = [`"startTime":${TIME_HIGH}`, '"context":{"id":"', `"time":${TIME_HIGH}`]

/**
 * The ingest sender's batches: `batchCount` distinct batches of `batchSize` events of
 * `appRequests(seed)`, serialised once, and `message(index)` for the `index`-th message of a
 * run of any length. Past the pool, the batches come round again as a later pass of the same
 * app: 10 s later (the pool spans about 6 s of the app's time, so its clock runs on with a
 * short pause, and contexts keep closing as they would) and with context ids of their own,
 * so every request's context is still new and never seen again. So that this
 * costs the sender no JSON work, each batch is kept as text cut at every `startTime`'s high
 * digits and every context id's start, and a pass fills those holes with its own.
 */
export function ingestPool(batchCount, batchSize, seed) {
  const requests = appRequests(seed)
  const templates = []
  let first = Infinity
  let last = -Infinity
  let events = 0
  for (let i = 0; i < batchCount; i++) {
    const batch = []
    for (const query of requests.next(batchSize)) {
      const event = toQueryEvent(query)
      batch.push(event)
      if (query.endsContext) batch.push(toContextEndEvent(query))
      first = Math.min(first, event.startTime)
      last = Math.max(last, event.startTime + event.durationMs)
    }
    events += batch.length
    templates.push({ ...template(JSON.stringify(batch)), events: batch.length })
  }
  if (first < WORKLOAD_START || last - WORKLOAD_START >= CYCLE_MS) {
    throw new Error('the ingest pool spans more than 10 s of queries: make it smaller')
  }
  return {
    size: templates.length,
    /** Events in the pool's batches: its queries and the context ends among them. */
    events,
    /** Events in the batch message with `seq` = `index`. */
    eventsIn(index) {
      return templates[index % templates.length].events
    },
    /** The batch message with `seq` = `index`. */
    message(index) {
      const cycle = Math.floor(index / templates.length)
      const { parts, holes } = templates[index % templates.length]
      const fills = [
        `"startTime":${Number(TIME_HIGH) + cycle}`,
        `${HOLES[1]}${cycle.toString(36)}-`,
        `"time":${Number(TIME_HIGH) + cycle}`,
      ]
      let events = parts[0]
      for (let i = 0; i < holes.length; i++) events += fills[holes[i]] + parts[i + 1]
      return batchMessage(index, events)
    },
  }
}

/** A batch's JSON cut at its holes: `parts[i]`, hole `holes[i]` (an index in HOLES), ... */
function template(json) {
  const parts = []
  const holes = []
  let from = 0
  for (;;) {
    let hole = -1
    let at = Infinity
    for (let h = 0; h < HOLES.length; h++) {
      const found = json.indexOf(HOLES[h], from)
      if (found >= 0 && found < at) {
        at = found
        hole = h
      }
    }
    if (hole < 0) break
    parts.push(json.slice(from, at))
    holes.push(hole)
    from = at + HOLES[hole].length
  }
  parts.push(json.slice(from))
  return { parts, holes }
}
