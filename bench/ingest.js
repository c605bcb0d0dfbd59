/**
 * Ingest throughput: events per second through the whole pipeline (the core's agent
 * endpoint: WebSocket, JSON, validation, the live session), against a bare `ws` server that
 * only JSON.parses the same messages. Trials alternate baseline and core; each trial is a
 * fresh server process fed by a fresh sender process (see lib/server-process.js and
 * lib/ingest-sender.js), so this process only keeps the clock and the scores.
 *
 * Settings (environment): BENCH_INGEST_EVENTS (events per trial), BENCH_INGEST_ROUNDS
 * (trials per side), BENCH_INGEST_BATCH (events per message), BENCH_CAPACITY (the live
 * session's capacity; default the core's own), BENCH_PROFILE_DIR (run the server processes
 * with --cpu-prof, writing `ingest-<core|baseline>-<round>.cpuprofile` there; read them with
 * bench/profile-top.js), BENCH_SERVER_FLAGS (more Node / V8 flags for the server processes,
 * e.g. `--trace-gc`).
 */
import { fileURLToPath } from 'node:url'
import { corePath, requireBuilt } from './lib/built.js'
import { envInt, spawnChild, withTimeout } from './lib/child.js'
import {
  figure,
  formatBytes,
  formatCount,
  formatNumber,
  formatPercent,
  median,
  target,
} from './lib/report.js'

export const name = 'ingest'

const serverScript = fileURLToPath(new URL('./lib/server-process.js', import.meta.url))
const senderScript = fileURLToPath(new URL('./lib/ingest-sender.js', import.meta.url))
const SEED = 20251126
/** Slowest rate a trial may run at before it is called stuck. */
const STUCK_BELOW_EVENTS_PER_SECOND = 5_000

function settings(quick) {
  const batchSize = envInt('BENCH_INGEST_BATCH', 100)
  const requested = envInt('BENCH_INGEST_EVENTS', quick ? 100_000 : 1_000_000)
  return {
    batchSize,
    // Whole batches only, so both sides get exactly the same messages.
    events: Math.ceil(requested / batchSize) * batchSize,
    rounds: envInt('BENCH_INGEST_ROUNDS', 3),
    capacity: process.env.BENCH_CAPACITY ? envInt('BENCH_CAPACITY', 0) : undefined,
    profileDir: process.env.BENCH_PROFILE_DIR || undefined,
    serverFlags: (process.env.BENCH_SERVER_FLAGS ?? '').split(/\s+/).filter(Boolean),
  }
}

async function trial(mode, round, config) {
  const serverArgs = [mode, String(config.events)]
  if (config.capacity !== undefined) serverArgs.push(String(config.capacity))
  const execArgv = ['--expose-gc', ...config.serverFlags]
  if (config.profileDir) {
    execArgv.push(
      '--cpu-prof',
      `--cpu-prof-dir=${config.profileDir}`,
      `--cpu-prof-name=ingest-${mode}-${round}.cpuprofile`,
    )
  }
  const server = spawnChild(serverScript, serverArgs, execArgv)
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
    const { bytesPerEvent, sentEvents } = await sender.next('ready')
    // Either side is done once it has taken in every batch: the core counts the queries, the
    // bare server every event (the context ends too).
    server.send({ type: 'start', expected: mode === 'core' ? config.events : sentEvents })
    await server.next('started')
    sender.send({ type: 'go' })
    const limitMs = 30_000 + (config.events / STUCK_BELOW_EVENTS_PER_SECOND) * 1000
    const done = await withTimeout(server.next('done'), limitMs, `the ${mode} trial`)
    const sent = await sender.next('sent')
    return {
      mode,
      eventsPerSecond: config.events / (done.elapsedMs / 1000),
      elapsedMs: done.elapsedMs,
      // How busy each side was: the one near 100% is what limits the trial.
      serverBusy: done.cpuMs / done.elapsedMs,
      serverCpuUsPerEvent: (done.cpuMs * 1000) / config.events,
      senderBusy: sent.cpuMs / sent.sendMs,
      counters: done.counters,
      memory: done.memory,
      retained: done.retained,
      bytesPerEvent,
    }
  } finally {
    await Promise.all([sender?.stop(), server.stop()])
  }
}

export async function run({ quick, log }) {
  requireBuilt(corePath)
  const config = settings(quick)
  log(
    `${formatCount(config.events)} events per trial, ${config.batchSize} per message, ` +
      `${config.rounds} trials per side, alternating`,
  )
  const trials = { baseline: [], core: [] }
  for (let round = 1; round <= config.rounds; round++) {
    for (const mode of ['baseline', 'core']) {
      const result = await trial(mode, round, config)
      trials[mode].push(result)
      let detail = `round ${round} ${mode.padEnd(8)} ${formatNumber(result.eventsPerSecond)} events/s`
      detail += ` (${formatNumber(result.elapsedMs / 1000)} s; CPU busy: server ${formatPercent(result.serverBusy)},`
      detail += ` sender ${formatPercent(result.senderBusy)})`
      if (mode === 'core') {
        const { rejected, evicted, stored } = result.counters
        detail += `, stored ${formatCount(stored)}, evicted ${formatCount(evicted)}`
        if (rejected > 0)
          throw new Error(`the core rejected ${rejected} events: the workload is not valid`)
      }
      log(detail)
    }
  }

  const coreRate = median(trials.core.map((t) => t.eventsPerSecond))
  const baselineRate = median(trials.baseline.map((t) => t.eventsPerSecond))
  // On a shared machine the rate moves with the neighbours; CPU per event much less so.
  const coreCpu = median(trials.core.map((t) => t.serverCpuUsPerEvent))
  const baselineCpu = median(trials.baseline.map((t) => t.serverCpuUsPerEvent))
  const lastCore = trials.core.at(-1)
  const lastBaseline = trials.baseline.at(-1)
  const mib = (bytes) => bytes / (1024 * 1024)
  // Each core trial against the baseline trial just before it: on a shared machine whose
  // speed drifts over minutes, these show the spread the medians above hide.
  const paired = trials.core.map((t, i) =>
    formatPercent(t.eventsPerSecond / trials.baseline[i].eventsPerSecond),
  )
  log(`each round, core against the baseline trial before it: ${paired.join(', ')}`)
  log(`~${Math.round(lastCore.bytesPerEvent)} bytes per event on the wire`)
  log(
    `after the last core trial: RSS ${formatBytes(lastCore.memory.rss)}, ` +
      `heap used ${formatBytes(lastCore.memory.heapUsed)} of ${formatBytes(lastCore.memory.heapTotal)}; ` +
      `after a full GC ${formatBytes(lastCore.retained.heapUsed)} for ${formatCount(lastCore.counters.stored)} queries held`,
  )
  return [
    figure({
      name: 'ingest: events/s, core vs bare ws + JSON.parse',
      value: coreRate,
      baseline: baselineRate,
      unit: 'events/s',
      goal: target.ratioAtLeast(0.7),
    }),
    figure({
      name: 'ingest: server CPU per event',
      value: coreCpu,
      baseline: baselineCpu,
      unit: 'µs',
    }),
    figure({
      name: 'ingest: server RSS after a trial',
      value: mib(lastCore.memory.rss),
      baseline: mib(lastBaseline.memory.rss),
      unit: 'MiB',
    }),
    figure({
      name: 'ingest: server heap after a trial + full GC',
      value: mib(lastCore.retained.heapUsed),
      baseline: mib(lastBaseline.retained.heapUsed),
      unit: 'MiB',
    }),
    figure({
      name: 'ingest: core heap per query held (approx.)',
      value:
        (lastCore.retained.heapUsed - lastBaseline.retained.heapUsed) / lastCore.counters.stored,
      unit: 'bytes',
    }),
  ]
}
