/**
 * The analysis benchmark's worker, in a process of its own (run with --expose-gc, so its heap
 * can be measured after a full collection). Forked with `<queries> <capacity> <seed>`.
 *
 * It builds an Analyzer as the Profiler does (the timeline indexing the latest `capacity`
 * queries), then feeds it `queries` query records made on the fly in chunks, so that the
 * records themselves are never all alive at once: what stays on the heap is the analysis.
 * It reports the heap the Analyzer holds (after a full GC, minus the heap before it was
 * made), the time per query, and what it found, then waits for `exit`.
 */
import { performance } from 'node:perf_hooks'
import { importCore } from './built.js'
import { seededRandom } from './workload.js'

const [queriesArg, capacityArg, seedArg] = process.argv.slice(2)
const total = Number(queriesArg)
const capacity = Number(capacityArg)
const CHUNK = 10_000

function heapAfterGc() {
  globalThis.gc()
  globalThis.gc()
  return process.memoryUsage().heapUsed
}

async function main() {
  const { Analyzer } = await importCore()
  const app = {
    id: 'app-1',
    name: 'bench',
    orm: { name: 'typeorm' },
    dbSystem: 'postgresql',
    connectedAt: 0,
    received: 0,
    droppedByAgent: 0,
  }
  const records = analysisRecords(Number(seedArg))
  // Warm the generator and the fingerprint cache's code paths before measuring the heap.
  records.next(CHUNK)
  const before = heapAfterGc()
  const analyzer = new Analyzer({ capacity, lookup: () => undefined })
  let elapsedMs = 0
  let done = 0
  while (done < total) {
    const chunk = records.next(Math.min(CHUNK, total - done))
    // Only the analysis is timed, not making the records.
    const start = performance.now()
    for (const record of chunk) analyzer.handleQuery(record, app)
    elapsedMs += performance.now() - start
    done += chunk.length
  }
  const after = heapAfterGc()
  const { findings } = analyzer.findingsResult()
  process.send({
    type: 'done',
    heapBytes: after - before,
    usPerQuery: (elapsedMs * 1000) / total,
    summary: analyzer.summary(),
    findingsListed: findings.length,
  })
}

const SHAPES = [
  { sql: 'SELECT "u"."id", "u"."email" FROM "users" "u" WHERE "u"."id" = $1 LIMIT 1', line: 42 },
  {
    sql: 'SELECT "o"."id", "o"."total" FROM "orders" "o" WHERE "o"."user_id" = $1 ORDER BY "o"."id" DESC',
    line: 118,
  },
  {
    sql: 'SELECT "p"."id", "p"."title", "p"."price" FROM "products" "p" WHERE "p"."id" = $1 LIMIT 1',
    line: 64,
  },
  { sql: 'INSERT INTO "audit_log"("action", "user_id") VALUES ($1, $2)', line: 19 },
  { sql: 'UPDATE "carts" SET "item_count" = $1 WHERE "id" = $2', line: 88 },
  { sql: 'SELECT count(*) FROM "products" WHERE "category_id" IN ($1, $2, $3)', line: 57 },
  { sql: 'SELECT "p"."id" FROM "products" "p" ORDER BY "p"."id" LIMIT $1 OFFSET $2', line: 71 },
]
const [USER, ORDERS, PRODUCT, AUDIT] = SHAPES
const FRAMES = SHAPES.map((shape) => [
  { file: '/app/src/routes.ts', line: shape.line, column: 9, function: 'handler' },
])

/**
 * Query records as an app with request contexts sends them: most requests issue a few
 * queries of random shapes; one in ten loads a list then one product per row (an N+1) and the
 * same user twice (a duplicate); one in twenty writes an audit row per item (a write loop);
 * one in twenty runs outside any context (connection bursts). Durations 0.05-3 ms, with a
 * rare slow query and a rare failure; one query in 16 carries a call site.
 */
function analysisRecords(seed) {
  const random = seededRandom(seed)
  const int = (below) => Math.floor(random() * below)
  let id = 0
  let clock = Date.UTC(2025, 10, 26, 9, 0, 0)
  let request = 0
  const pending = []
  const push = (shape, params, context, connectionId) => {
    clock += 0.05 + random() * 0.5
    const durationMs = random() < 0.001 ? 150 + random() * 300 : 0.05 + random() * 3
    const record = {
      id: ++id,
      appId: 'app-1',
      sql: shape.sql,
      params,
      startTime: clock,
      durationMs,
      rows: 1,
      connectionId,
    }
    if (context) record.context = context
    if (random() < 1 / 16) record.stack = FRAMES[SHAPES.indexOf(shape)]
    if (random() < 0.002)
      record.error = { type: '57014', message: 'canceling statement due to statement timeout' }
    clock += durationMs
    pending.push(record)
  }
  const nextRequest = () => {
    request++
    clock += random() * 2
    const connection = `c${1 + int(10)}`
    const kind = random()
    const context = kind < 0.95 ? { id: `r${request.toString(36)}`, name: 'GET /route' } : undefined
    if (kind < 0.1) {
      const user = 1 + int(50_000)
      push(USER, [user], context, connection)
      push(USER, [user], context, connection)
      push(ORDERS, [user], context, connection)
      for (let i = 0; i < 8; i++) push(PRODUCT, [1 + int(8_000)], context, connection)
    } else if (kind < 0.15) {
      for (let i = 0; i < 6; i++) push(AUDIT, ['import', 1 + int(50_000)], context, connection)
    } else {
      const count = 1 + int(6)
      for (let i = 0; i < count; i++) {
        const shape = SHAPES[int(SHAPES.length)]
        push(shape, [1 + int(50_000), 1 + int(20)], context, connection)
      }
    }
  }
  return {
    next(count) {
      while (pending.length < count) nextRequest()
      return pending.splice(0, count)
    },
  }
}

process.on('message', (message) => {
  if (message.type === 'exit') process.exit(0)
})

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
