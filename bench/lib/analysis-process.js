/**
 * The analysis benchmark's worker, in a process of its own (run with --expose-gc, so its heap
 * can be measured after a full collection). Forked with `<queries> <capacity> <seed>`.
 *
 * It builds an Analyzer as the Profiler does (the timeline indexing the latest `capacity`
 * queries), then feeds it `queries` query records made on the fly in chunks, so that the
 * records themselves are never all alive at once: what stays on the heap is the analysis.
 * It reports the heap the Analyzer holds (after a full GC, minus the heap before it was
 * made), the time and CPU time per query, and what it found, then waits for `exit`.
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
  process.send({
    type: 'done',
    heapBytes: after - before,
    usPerQuery: (elapsedMs * 1000) / total,
    // The process's CPU time, garbage collector threads included: steadier on a busy machine.
    cpuUsPerQuery: cpuUs / total,
    summary: analyzer.summary(),
    findingsListed: findings.length,
  })
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
