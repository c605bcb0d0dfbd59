/**
 * The analysis benchmark's worker, in a process of its own (run with --expose-gc, so its heap
 * can be measured after a full collection). Forked with `<queries> <capacity> <seed>`.
 *
 * It builds an Analyzer as the Profiler does (the timeline indexing the latest `capacity`
 * queries), then feeds it `queries` query records made on the fly in chunks, so that the
 * records themselves are never all alive at once: what stays on the heap is the analysis.
 * It reports the heap the Analyzer holds (after a full GC, minus the heap before it was
 * made), the time and CPU time per query, and what it found; then what the timeline's
 * catch-up costs when its view first asks (see `timelineCatchUp`), and waits for `exit`.
 */
import { performance } from 'node:perf_hooks'
import { importCore } from './built.js'
import { appRequests, toQueryRecord } from './workload.js'

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
  const { Analyzer, Profiler } = await importCore()
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
  let cpuUs = 0
  let done = 0
  while (done < total) {
    const { chunk, ends } = records.next(Math.min(CHUNK, total - done))
    // Only the analysis is timed, not making the records.
    const start = performance.now()
    const cpuAtStart = process.cpuUsage()
    for (let i = 0; i < chunk.length; i++) {
      const record = chunk[i]
      analyzer.handleQuery(record, app)
      // The request's last query: its agent says its context ended, as the Node agent does.
      if (ends[i]) analyzer.endContext(app, record.context.id)
    }
    const cpu = process.cpuUsage(cpuAtStart)
    elapsedMs += performance.now() - start
    cpuUs += cpu.user + cpu.system
    done += chunk.length
  }
  const after = heapAfterGc()
  const { findings } = analyzer.findingsResult()
  const timeline = await timelineCatchUp(Profiler, app, Number(seedArg))
  process.send({
    type: 'done',
    timeline,
    heapBytes: after - before,
    usPerQuery: (elapsedMs * 1000) / total,
    // The process's CPU time, garbage collector threads included: steadier on a busy machine.
    cpuUsPerQuery: cpuUs / total,
    summary: analyzer.summary(),
    findingsListed: findings.length,
  })
}

/**
 * The timeline index is built when the Timeline view first asks for a window, from the live
 * session's columns. A Profiler (live session + Analyzer, wired as in the app) is filled to
 * its capacity as ingest fills it; then the first window's time (the whole catch-up), the
 * heap the index then holds, and the next window's after 2,000 more queries (some evicted).
 */
async function timelineCatchUp(Profiler, app, seed) {
  const profiler = new Profiler({ capacity })
  const records = analysisRecords(seed)
  let from = Infinity
  let to = -Infinity
  const feed = (count) => {
    for (let fed = 0; fed < count;) {
      const { chunk, ends } = records.next(Math.min(CHUNK, count - fed))
      for (let i = 0; i < chunk.length; i++) {
        const record = chunk[i]
        // What Profiler.addQueries does with each event.
        record.id = profiler.session.add(record)
        profiler.analyzer.handleQuery(record, app)
        if (ends[i]) profiler.analyzer.endContext(app, record.context.id)
        from = Math.min(from, record.startTime)
        to = Math.max(to, record.startTime + record.durationMs)
      }
      fed += chunk.length
    }
  }
  // What the Timeline view asks first: the whole span, the first 50 lanes.
  const window = () => {
    const start = performance.now()
    const cpuAtStart = process.cpuUsage()
    const answer = profiler.analyzer.timelineWindow({
      from,
      to,
      laneOffset: 0,
      laneLimit: 50,
      maxBars: 2000,
    })
    const cpu = process.cpuUsage(cpuAtStart)
    return { ms: performance.now() - start, cpuMs: (cpu.user + cpu.system) / 1000, answer }
  }
  feed(capacity)
  const before = heapAfterGc()
  const first = window()
  const lanes = first.answer.totalLanes
  first.answer = undefined
  const indexBytes = heapAfterGc() - before
  feed(2000)
  const next = window()
  return {
    queries: capacity,
    lanes,
    firstMs: first.ms,
    firstCpuMs: first.cpuMs,
    indexBytes,
    nextMs: next.ms,
  }
}

/** Query records of the ingest benchmark's app (workload.js), numbered as the live session does. */
function analysisRecords(seed) {
  const requests = appRequests(seed)
  let id = 0
  return {
    /** The next `count` records, and whether each ends its request's context. */
    next(count) {
      const queries = requests.next(count)
      return {
        chunk: queries.map((query) => toQueryRecord(query, ++id, 'app-1')),
        ends: queries.map((query) => query.endsContext),
      }
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
