/**
 * The analysis: what it costs per query and what it holds at 1,000,000 queries.
 *
 * - detector memory: the heap an Analyzer holds (after a full GC) once 1,000,000 query
 *   records have gone through it — statistics, open scopes, findings and their groups, the
 *   slow / failed lists and the timeline's marks (one byte and one id per query of the
 *   latest 200,000, the live session's default capacity). Target: at most 64 MiB.
 * - the timeline's index, built only when the Timeline view asks: the first window's time
 *   over 200,000 held queries (the whole catch-up) and the heap the index then holds.
 * - time per query through `Analyzer.handleQuery` (fingerprint cached, scope, every handler);
 *   the whole ingest pipeline with the analysis on is the `ingest` benchmark.
 *
 * The queries come from bench/lib/analysis-process.js: requests with N+1 loops, duplicates,
 * write loops and connection bursts among ordinary ones. It runs in its own process with
 * --expose-gc. Settings (environment): BENCH_ANALYSIS_QUERIES (default 1,000,000; 200,000
 * with --quick), BENCH_CAPACITY (the timeline's capacity and the queries its catch-up is
 * measured over, default 200,000).
 */
import { fileURLToPath } from 'node:url'
import { corePath, requireBuilt } from './lib/built.js'
import { envInt, spawnChild, withTimeout } from './lib/child.js'
import { figure, formatCount, formatNumber, target } from './lib/report.js'

export const name = 'analysis'

const workerScript = fileURLToPath(new URL('./lib/analysis-process.js', import.meta.url))
const SEED = 20251126
const MIB = 1024 * 1024

export async function run({ quick, log }) {
  requireBuilt(corePath)
  const queries = envInt('BENCH_ANALYSIS_QUERIES', quick ? 200_000 : 1_000_000)
  const capacity = envInt('BENCH_CAPACITY', 200_000)
  log(
    `${formatCount(queries)} queries through one Analyzer, timeline capacity ${formatCount(capacity)}`,
  )
  const worker = spawnChild(
    workerScript,
    [String(queries), String(capacity), String(SEED)],
    ['--expose-gc'],
  )
  try {
    const done = await withTimeout(worker.next('done'), 10 * 60_000, 'the analysis benchmark')
    const { summary } = done
    log(
      `found ${formatCount(summary.findings['n-plus-one'])} N+1, ${formatCount(summary.findings.duplicate)} duplicate, ` +
        `${formatCount(summary.findings['write-loop'])} write-loop findings (${formatCount(done.findingsListed)} kept), ` +
        `${formatCount(summary.slow)} slow, ${formatCount(summary.failed)} failed, ${summary.fingerprints} shapes`,
    )
    log(`${formatNumber(done.heapBytes / queries)} bytes of heap per query analysed`)
    const { timeline } = done
    log(
      `timeline: the first window over ${formatCount(timeline.queries)} held queries ` +
        `(${formatCount(timeline.lanes)} lanes) took ${formatNumber(timeline.firstMs)} ms ` +
        `(${formatNumber(timeline.firstCpuMs)} ms CPU), building an index of ` +
        `${formatNumber(timeline.indexBytes / MIB)} MiB; the next, 2,000 queries later, ` +
        `${formatNumber(timeline.nextMs)} ms`,
    )
    return [
      figure({
        name: `analysis: detector memory at ${formatCount(queries)} queries`,
        value: done.heapBytes / MIB,
        unit: 'MiB',
        goal: target.atMost(64, 'MiB'),
      }),
      figure({
        name: 'analysis: time per query (Analyzer.handleQuery)',
        value: done.usPerQuery,
        unit: 'µs',
      }),
      figure({
        name: 'analysis: CPU per query (GC threads included)',
        value: done.cpuUsPerQuery,
        unit: 'µs',
      }),
      figure({
        name: `timeline: first window, index built over ${formatCount(timeline.queries)} queries`,
        value: timeline.firstMs,
        unit: 'ms',
      }),
      figure({
        name: `timeline: its index's heap at ${formatCount(timeline.queries)} queries`,
        value: timeline.indexBytes / MIB,
        unit: 'MiB',
      }),
    ]
  } finally {
    await worker.stop()
  }
}
