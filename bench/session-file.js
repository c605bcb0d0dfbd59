/**
 * Session files at 1,000,000 queries: save, load, and what each costs in memory.
 *
 * - save: `writeSessionFile` from a generator (queries made on the fly, stacks and contexts
 *   shared as the live session shares them), the findings worked out as it writes, as
 *   `record` does. Time and MB/s.
 * - load: `loadSessionFile` into a sink that counts (what feeding the store, a live session
 *   or an analyzer costs the loader itself): MB/s against the same file read the old way
 *   (`readFile` + `JSON.parse` of the whole text, when the text fits in a string), its peak
 *   memory, and the longest the event loop waited while it ran. Targets: at least 50 MB/s,
 *   at most 1.5 GiB.
 * - read: `readSessionFile`, every query held in memory (what `report` uses).
 * - import: `SessionStore.importSessionFile` into an empty library (what `import FILE` and the
 *   UI's import use): the same streamed load, written in batches to SQLite. MB/s of the
 *   file, peak memory, longest event-loop wait, and bytes on disk per query.
 *
 * Each step runs in a fresh process (this file, forked with `<step> <file> [queries]`), so
 * its peak RSS (`process.resourceUsage().maxRSS`) is its own. Settings (environment):
 * BENCH_SESSION_QUERIES (default 1,000,000; 200,000 with --quick).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { corePath, importCore, requireBuilt } from './lib/built.js'
import { envInt, spawnChild, withTimeout } from './lib/child.js'
import { figure, formatCount, formatNumber, target } from './lib/report.js'
import { queryEvents, seededRandom } from './lib/workload.js'

export const name = 'session-file'

const thisScript = fileURLToPath(import.meta.url)
const SEED = 20251126
const MB = 1_000_000
const MIB = 1024 * 1024
const atLeast = (limit, unit) => ({
  text: `≥ ${formatNumber(limit)} ${unit}`,
  met: (row) => row.value >= limit,
})

export async function run({ quick, log }) {
  requireBuilt(corePath)
  const queries = envInt('BENCH_SESSION_QUERIES', quick ? 200_000 : 1_000_000)
  const folder = mkdtempSync(join(tmpdir(), 'fop-bench-session-'))
  const file = join(folder, 'session.json')
  try {
    const save = await step('write', file, queries)
    const bytes = statSync(file).size
    log(
      `saved ${formatCount(queries)} queries (${formatNumber(bytes / MB)} MB, ${save.findings} findings) ` +
        `in ${formatNumber(save.ms / 1000)} s, peak RSS ${formatNumber(save.maxRss / MIB)} MiB`,
    )
    const load = await step('load', file)
    log(
      `loaded in ${formatNumber(load.ms / 1000)} s (CPU ${formatNumber(load.cpuMs / 1000)} s), ` +
        `${load.progress} progress reports, longest event-loop wait ${formatNumber(load.maxLagMs)} ms`,
    )
    const read = await step('read', file)
    log(`readSessionFile held every query: ${formatNumber(read.ms / 1000)} s`)
    const imported = await step('import', file)
    log(
      `imported into the library in ${formatNumber(imported.ms / 1000)} s ` +
        `(CPU ${formatNumber(imported.cpuMs / 1000)} s), ${formatCount(imported.queries)} queries, ` +
        `${formatNumber(imported.diskBytes / imported.queries)} bytes per query on disk, ` +
        `longest event-loop wait ${formatNumber(imported.maxLagMs)} ms`,
    )
    const old = await step('baseline', file)
    if (old.error) log(`the old reader (readFile + JSON.parse) could not: ${old.error}`)
    else log(`the old reader (readFile + JSON.parse): ${formatNumber(old.ms / 1000)} s`)

    const rate = (ms) => bytes / MB / (ms / 1000)
    return [
      figure({
        name: `session file: save ${formatCount(queries)} queries`,
        value: rate(save.ms),
        unit: 'MB/s',
      }),
      figure({
        name: 'session file: load, streamed and validated',
        value: rate(load.ms),
        baseline: old.error ? undefined : rate(old.ms),
        unit: 'MB/s',
        goal: atLeast(50, 'MB/s'),
      }),
      figure({
        name: 'session file: load, per CPU second (less sensitive to neighbours)',
        value: rate(load.cpuMs),
        unit: 'MB/s',
      }),
      figure({
        name: 'session file: load peak memory (RSS)',
        value: load.maxRss / MIB,
        baseline: old.error ? undefined : old.maxRss / MIB,
        unit: 'MiB',
        goal: target.atMost(1536, 'MiB'),
      }),
      figure({
        name: 'session file: longest event-loop wait during the load',
        value: load.maxLagMs,
        unit: 'ms',
      }),
      figure({
        name: 'session file: import into the library (streamed, SQLite)',
        value: rate(imported.ms),
        unit: 'MB/s',
      }),
      figure({
        name: 'session file: import peak memory (RSS)',
        value: imported.maxRss / MIB,
        unit: 'MiB',
        goal: target.atMost(1536, 'MiB'),
      }),
      figure({
        name: 'session file: longest event-loop wait during the import',
        value: imported.maxLagMs,
        unit: 'ms',
      }),
      figure({
        name: 'session file: readSessionFile (all queries in memory) peak RSS',
        value: read.maxRss / MIB,
        unit: 'MiB',
      }),
      figure({
        name: 'session file: save peak memory (RSS)',
        value: save.maxRss / MIB,
        unit: 'MiB',
      }),
    ]
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}

async function step(kind, file, queries) {
  const child = spawnChild(thisScript, [kind, file, String(queries ?? 0)])
  try {
    return await withTimeout(child.next('done'), 15 * 60_000, `the ${kind} step`)
  } finally {
    await child.stop()
  }
}

// --- the child processes ----------------------------------------------------------------

const app = {
  id: 'app-1',
  name: 'bench',
  runtime: { name: 'node', version: process.versions.node },
  orm: { name: 'typeorm' },
  dbSystem: 'postgresql',
  connectedAt: Date.UTC(2025, 10, 26, 9, 0, 0),
  received: 0,
  droppedByAgent: 0,
}

/** Query records from the ingest workload, with three-frame stacks shared per call site. */
function* records(total) {
  const random = seededRandom(SEED)
  const stacks = new Map()
  let id = 0
  while (id < total) {
    for (const event of queryEvents(Math.min(10_000, total - id), random)) {
      const site = event.stack[0]
      let stack = stacks.get(site.file + site.line)
      if (stack === undefined) {
        stack = [
          site,
          { function: 'handle', file: '/app/src/server/router.ts', line: 212, column: 14 },
          {
            function: 'processTicksAndRejections',
            file: 'node:internal/process/task_queues',
            line: 95,
            column: 5,
          },
        ]
        stacks.set(site.file + site.line, stack)
      }
      yield {
        id: ++id,
        appId: app.id,
        sql: event['db.query.text'],
        params: event['db.query.parameters'],
        startTime: event.startTime,
        durationMs: event.durationMs,
        rows: event['db.response.returned_rows'],
        connectionId: event.connectionId,
        context: event.context,
        stack,
      }
    }
  }
}

async function child(kind, file, total) {
  const core = await importCore()
  const start = performance.now()
  const cpu = process.cpuUsage()
  const result = {}
  if (kind === 'write') {
    const counters = { received: total, stored: total, evicted: 0, rejected: 0, droppedByAgents: 0 }
    const session = { id: 'bench', startedAt: app.connectedAt, endedAt: app.connectedAt + 1 }
    await core.writeSessionFile(
      file,
      { session, apps: [{ ...app, received: total }], counters },
      records(total),
    )
  } else if (kind === 'load') {
    const lag = monitorEventLoopDelay({ resolution: 10 })
    lag.enable()
    let seen = 0
    let progress = 0
    await core.loadSessionFile(file, {
      onProgress: () => progress++,
      sink: {
        queries(batch) {
          seen += batch.length
        },
      },
    })
    lag.disable()
    Object.assign(result, { queries: seen, progress, maxLagMs: lag.max / 1e6 })
  } else if (kind === 'import') {
    const { SessionStore } = await core.loadStore()
    const folder = mkdtempSync(join(tmpdir(), 'fop-bench-import-'))
    const library = join(folder, 'sessions.sqlite')
    const store = await SessionStore.open({ file: library })
    const lag = monitorEventLoopDelay({ resolution: 10 })
    lag.enable()
    const importStart = performance.now()
    const id = await store.importSessionFile(file)
    // The import alone (not opening, closing and measuring the library).
    result.ms = performance.now() - importStart
    lag.disable()
    const stored = await store.get(id)
    await store.close()
    const diskBytes = ['', '-wal', '-shm'].reduce((sum, end) => {
      try {
        return sum + statSync(library + end).size
      } catch {
        return sum
      }
    }, 0)
    rmSync(folder, { recursive: true, force: true })
    Object.assign(result, { queries: stored.queryCount, maxLagMs: lag.max / 1e6, diskBytes })
  } else if (kind === 'read') {
    const session = await core.readSessionFile(file)
    result.queries = session.queries.length
  } else if (kind === 'baseline') {
    try {
      const session = JSON.parse(await readFile(file, 'utf8'))
      result.queries = session.queries.length
    } catch (error) {
      result.error = error.message
    }
  }
  const elapsed = process.cpuUsage(cpu)
  const ms = performance.now() - start
  const maxRss = process.resourceUsage().maxRSS * 1024
  if (kind === 'write') {
    // Measured above: this check reads the file back after the figures are taken.
    const loaded = await core.loadSessionFile(file, { sink: { queries() {} } })
    result.findings = loaded.header.findings.length
  }
  process.send({
    type: 'done',
    ms,
    cpuMs: (elapsed.user + elapsed.system) / 1000,
    maxRss,
    ...result,
  })
}

if (process.send && process.argv[1] === thisScript) {
  const [kind, file, total] = process.argv.slice(2)
  process.on('message', (message) => {
    if (message.type === 'exit') process.exit(0)
  })
  child(kind, file, Number(total)).catch((error) => {
    console.error(error)
    process.exit(1)
  })
}
