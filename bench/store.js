/**
 * The session library's insert rate: queries persisted per second by the recorder while the
 * core takes the ingest benchmark's load (same sender, same seeded workload, as fast as the
 * socket drains), against the rate the same core received them in the same trial. Persistence
 * keeps up when the two are close and nothing was evicted from the live session before it
 * was written. Also: what recording costs ingest (trials alternate with the library off), and
 * the writer alone (better-sqlite3 prepared statements, no ingest) as the ceiling.
 *
 * This file is also its own server process: forked with `server <mode> <events>` it starts the
 * built core (`mode` = `store` or `off`), and with `writer <events>` it times the writer alone.
 *
 * Settings (environment): BENCH_STORE_EVENTS (events per trial; default 1,000,000, 200,000
 * with --quick), BENCH_STORE_ROUNDS (trials per side, 3), BENCH_INGEST_BATCH (events per
 * message, 100), BENCH_CAPACITY (the live session's capacity; default the core's own).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { corePath, importCore, requireBuilt } from './lib/built.js'
import { envInt, spawnChild, withTimeout } from './lib/child.js'
import { figure, formatCount, formatNumber, median, target } from './lib/report.js'
import { queryEvents, seededRandom } from './lib/workload.js'

export const name = 'store'

const thisScript = fileURLToPath(import.meta.url)
const senderScript = fileURLToPath(new URL('./lib/ingest-sender.js', import.meta.url))
const SEED = 20251126
const BENCH_TOKEN = 'bench-token-0123456789abcdef'
const POLL_MS = 2

function settings(quick) {
  const batchSize = envInt('BENCH_INGEST_BATCH', 100)
  const requested = envInt('BENCH_STORE_EVENTS', quick ? 200_000 : 1_000_000)
  return {
    batchSize,
    events: Math.ceil(requested / batchSize) * batchSize,
    rounds: envInt('BENCH_STORE_ROUNDS', quick ? 2 : 3),
    capacity: process.env.BENCH_CAPACITY ? envInt('BENCH_CAPACITY', 0) : undefined,
  }
}

async function trial(mode, config) {
  const args = ['server', mode, String(config.events)]
  if (config.capacity !== undefined) args.push(String(config.capacity))
  const server = spawnChild(thisScript, args)
  let sender
  try {
    const { url, token } = await server.next('listening')
    sender = spawnChild(senderScript, [
      url,
      token,
      String(config.events),
      String(config.batchSize),
      String(SEED),
    ])
    await sender.next('ready')
    server.send({ type: 'start' })
    await server.next('started')
    sender.send({ type: 'go' })
    const limitMs = 60_000 + config.events / 5
    const done = await withTimeout(server.next('done'), limitMs, `the ${mode} trial`)
    await sender.next('sent')
    return done
  } finally {
    await Promise.all([sender?.stop(), server.stop()])
  }
}

export async function run({ quick, log }) {
  requireBuilt(corePath)
  const config = settings(quick)
  log(
    `${formatCount(config.events)} events per trial, ${config.batchSize} per message, ` +
      `${config.rounds} trials per side (library on / off), alternating`,
  )
  const trials = { store: [], off: [] }
  for (let round = 1; round <= config.rounds; round++) {
    for (const mode of ['off', 'store']) {
      const result = await trial(mode, config)
      trials[mode].push(result)
      let line = `round ${round} ${mode.padEnd(5)} received ${formatNumber(result.receivedPerSecond)} events/s`
      if (mode === 'store') {
        line +=
          `, persisted ${formatNumber(result.persistedPerSecond)} queries/s ` +
          `(all written ${formatNumber(result.lagMs)} ms after the last arrived; ` +
          `largest backlog ${formatCount(result.maxPending)}, not persisted ${formatCount(result.notPersisted)}, ` +
          `${formatNumber(result.bytesPerQuery)} bytes/query on disk)`
      }
      log(line)
    }
  }
  const writer = spawnChild(thisScript, ['writer', String(Math.min(config.events, 500_000))])
  const alone = await withTimeout(writer.next('done'), 120_000, 'the writer alone')
  await writer.stop()
  log(`writer alone: ${formatNumber(alone.perSecond)} queries/s in batches of 20,000`)

  const stored = trials.store
  const persisted = median(stored.map((t) => t.persistedPerSecond))
  const receivedWithStore = median(stored.map((t) => t.receivedPerSecond))
  const receivedWithout = median(trials.off.map((t) => t.receivedPerSecond))
  return [
    figure({
      name: 'store: queries persisted/s vs received/s, same trial',
      value: persisted,
      baseline: receivedWithStore,
      unit: 'queries/s',
      // Keeping up: everything is written within a few intervals of arriving.
      goal: target.ratioAtLeast(0.9),
    }),
    figure({
      name: 'store: queries evicted before written (worst trial)',
      value: Math.max(...stored.map((t) => t.notPersisted)),
      unit: 'queries',
      goal: target.atMost(0, 'queries'),
    }),
    figure({
      name: 'store: all written after the last arrived (median)',
      value: median(stored.map((t) => t.lagMs)),
      unit: 'ms',
      goal: target.atMost(1000, 'ms'),
    }),
    figure({
      name: 'store: ingest events/s, library on vs off',
      value: receivedWithStore,
      baseline: receivedWithout,
      unit: 'events/s',
    }),
    figure({
      name: 'store: writer alone (no ingest)',
      value: alone.perSecond,
      baseline: persisted,
      unit: 'queries/s',
    }),
    figure({
      name: 'store: database bytes per query on disk',
      value: median(stored.map((t) => t.bytesPerQuery)),
      unit: 'bytes',
    }),
  ]
}

// --- The server process --------------------------------------------------------------------

async function serverMain(mode, eventsArg, capacityArg) {
  const expected = Number(eventsArg)
  const { startCore } = await importCore()
  const dataDir = mkdtempSync(join(tmpdir(), 'fastorm-bench-store-'))
  const core = await startCore({
    port: 0,
    dataDir,
    uiDir: false,
    token: BENCH_TOKEN,
    capacity: capacityArg ? Number(capacityArg) : undefined,
    // No retention: the trial's session must stay whole, however large.
    store: mode === 'store' ? { retention: { maxAgeDays: null, maxTotalBytes: null } } : false,
  })
  if (mode === 'store' && !core.library) throw new Error(core.libraryError)
  process.on('message', async (message) => {
    if (message.type === 'start') {
      const startedAt = performance.now()
      let receivedAt
      let maxPending = 0
      const poll = setInterval(async () => {
        const { received } = core.profiler.counters()
        const now = performance.now()
        if (receivedAt === undefined && received >= expected) receivedAt = now
        const stats = core.library?.recorder.stats()
        if (stats) maxPending = Math.max(maxPending, stats.pending)
        const written = stats ? stats.persisted + stats.notPersisted : received
        if (receivedAt === undefined || written < expected) return
        clearInterval(poll)
        const storage = core.library ? await core.library.store.storage() : undefined
        process.send({
          type: 'done',
          receivedPerSecond: expected / ((receivedAt - startedAt) / 1000),
          persistedPerSecond: expected / ((now - startedAt) / 1000),
          lagMs: now - receivedAt,
          maxPending,
          notPersisted: stats?.notPersisted ?? 0,
          bytesPerQuery: storage ? storage.bytes / expected : 0,
        })
      }, POLL_MS)
      process.send({ type: 'started' })
    } else if (message.type === 'exit') {
      await core.close()
      rmSync(dataDir, { recursive: true, force: true })
      process.exit(0)
    }
  })
  process.send({ type: 'listening', url: core.agentUrl, token: core.token })
}

async function writerMain(eventsArg) {
  const count = Number(eventsArg)
  const { loadStore } = await importCore()
  const { SessionStore } = await loadStore()
  const dataDir = mkdtempSync(join(tmpdir(), 'fastorm-bench-writer-'))
  const store = await SessionStore.open({ file: join(dataDir, 'sessions.sqlite') })
  // The records as the live session hands them out: shared texts, contexts and stacks.
  const events = queryEvents(count, seededRandom(SEED))
  const shared = new Map()
  const share = (key, value) => {
    if (!shared.has(key)) shared.set(key, value)
    return shared.get(key)
  }
  const records = events.map((event, i) => ({
    id: i + 1,
    appId: 'app-1',
    sql: event['db.query.text'],
    params: event['db.query.parameters'],
    startTime: event.startTime,
    durationMs: event.durationMs,
    rows: event['db.response.returned_rows'],
    connectionId: event.connectionId,
    context: share(`context ${event.context.id}`, event.context),
    stack: share(`stack ${event.stack[0].file}:${event.stack[0].line}`, event.stack),
  }))
  const writer = store.beginSession({ id: 'bench', startedAt: Date.now() })
  const startedAt = performance.now()
  for (let i = 0; i < records.length; i += 20_000) writer.write(records.slice(i, i + 20_000), [])
  const seconds = (performance.now() - startedAt) / 1000
  await store.close()
  rmSync(dataDir, { recursive: true, force: true })
  process.send({ type: 'done', perSecond: count / seconds })
  process.on('message', (message) => {
    if (message.type === 'exit') process.exit(0)
  })
}

if (process.send && process.argv[2] === 'server') {
  serverMain(process.argv[3], process.argv[4], process.argv[5]).catch((error) => {
    console.error(error)
    process.exit(1)
  })
} else if (process.send && process.argv[2] === 'writer') {
  writerMain(process.argv[3]).catch((error) => {
    console.error(error)
    process.exit(1)
  })
}
