/**
 * The agent's cost on the app's hot path: the time an app spends in `recordQuery`, against
 * the time the same app would spend on an OpenTelemetry client span with four database
 * attributes, ended into a BatchSpanProcessor (no-op exporter), measured in the same run.
 *
 * Both sides run the same loop, in the same kind of request context (the agent's
 * `withContext`; for OpenTelemetry an AsyncLocalStorage context manager, as the Node SDK
 * registers, with a server span as the parent): chunks of CHUNK calls, each chunk timed, then
 * a yield to the event loop so the agent can send and the batch processor can export as they
 * would in an app (a loop that never yields makes both queues overflow and drop). Only the
 * chunks are timed, in CPU time (the figure judged) and on the clock (reported). The agent is
 * connected to a real core, in its own process, so its send path runs as in real life; that
 * background cost is reported apart, as the process's CPU per query over the whole run.
 *
 * Settings (environment): BENCH_HOT_CALLS (calls per run), BENCH_HOT_RUNS (runs per side).
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { setImmediate, setTimeout as sleep } from 'node:timers/promises'
import { DiagLogLevel, ROOT_CONTEXT, SpanKind, context, diag, trace } from '@opentelemetry/api'
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { corePath, importAgent, requireBuilt } from './lib/built.js'
import { envInt, spawnChild, withTimeout } from './lib/child.js'
import { figure, formatCount, formatNumber, median, target } from './lib/report.js'
import { QUERY_SHAPES, seededRandom } from './lib/workload.js'

export const name = 'agent-hot-path'

const serverScript = fileURLToPath(new URL('./lib/server-process.js', import.meta.url))
/** Calls between two yields to the event loop. */
const CHUNK = 1_000
const INPUTS = 1_024
const SEED = 7

/** The queries the loops issue, prepared up front so neither side pays for making them. */
function prepareInputs() {
  const random = seededRandom(SEED)
  return Array.from({ length: INPUTS }, () => {
    const shape = QUERY_SHAPES[Math.floor(random() * QUERY_SHAPES.length)]
    const operation = shape.sql.split(' ', 1)[0]
    const collection = /(?:FROM|INTO|UPDATE) (\w+)/.exec(shape.sql)[1]
    return {
      sql: shape.sql,
      params: shape.params(random),
      rows: shape.rows(random),
      // OpenTelemetry's span name convention for database calls: `{operation} {target}`.
      spanName: `${operation} ${collection}`,
    }
  })
}

/**
 * Runs `call(i)` `calls` times in timed chunks, yielding between chunks and waiting (untimed)
 * while `backlog()` says the side's queue has not caught up. Each chunk is timed twice: on
 * the clock, and in CPU time, which a busy neighbour on a shared machine does not inflate.
 * Returns ns per call for both, and the CPU per call over the whole run, background included.
 */
async function timeCalls(calls, call, backlog, settle) {
  let wallMs = 0
  let cpuUs = 0
  const cpuAtStart = process.cpuUsage()
  for (let done = 0; done < calls;) {
    const count = Math.min(CHUNK, calls - done)
    const cpuBefore = process.cpuUsage()
    const startedAt = performance.now()
    for (let i = done; i < done + count; i++) call(i)
    wallMs += performance.now() - startedAt
    const cpu = process.cpuUsage(cpuBefore)
    cpuUs += cpu.user + cpu.system
    done += count
    await setImmediate()
    while (backlog() >= CHUNK) await sleep(1)
  }
  await settle()
  const total = process.cpuUsage(cpuAtStart)
  return {
    cpuNsPerCall: (cpuUs * 1e3) / calls,
    wallNsPerCall: (wallMs * 1e6) / calls,
    runCpuNsPerCall: ((total.user + total.system) * 1e3) / calls,
  }
}

/** OpenTelemetry's AsyncLocalStorage context manager, in the few lines the benchmark needs. */
class AsyncLocalContextManager {
  #storage = new AsyncLocalStorage()
  active() {
    return this.#storage.getStore() ?? ROOT_CONTEXT
  }
  with(ctx, fn, thisArg, ...args) {
    return this.#storage.run(ctx, () => fn.apply(thisArg, args))
  }
  bind(ctx, target) {
    return typeof target === 'function'
      ? (...args) => this.with(ctx, target, undefined, ...args)
      : target
  }
  enable() {
    return this
  }
  disable() {
    this.#storage.disable()
    return this
  }
}

function openTelemetrySide(inputs) {
  let dropped = 0
  // The batch processor reports drops only through diag: "Dropped <n> spans because ...".
  diag.setLogger(
    {
      error: () => undefined,
      warn: (message) => {
        const count = /^Dropped (\d+) spans/.exec(String(message))
        if (count) dropped += Number(count[1])
      },
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    DiagLogLevel.WARN,
  )
  context.setGlobalContextManager(new AsyncLocalContextManager().enable())
  // The exporter does nothing: what is measured is the app's side of the SDK.
  const exporter = {
    export: (_spans, done) => done({ code: 0 /* ExportResultCode.SUCCESS */ }),
    shutdown: async () => {},
  }
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] })
  const tracer = provider.getTracer('bench')
  const request = tracer.startSpan('GET /bench', { kind: SpanKind.SERVER })
  const call = (i) => {
    const query = inputs[i % INPUTS]
    const span = tracer.startSpan(query.spanName, {
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system.name': 'postgresql',
        'db.namespace': 'shop',
        'db.query.text': query.sql,
      },
    })
    span.setAttribute('db.response.returned_rows', query.rows)
    span.end()
  }
  return {
    run: (calls) =>
      context.with(trace.setSpan(context.active(), request), () =>
        timeCalls(
          calls,
          call,
          () => 0,
          () => provider.forceFlush(),
        ),
      ),
    dropped: () => dropped,
    close: async () => {
      request.end()
      await provider.shutdown()
      context.disable()
      diag.disable()
    },
  }
}

function agentSide(agent, inputs) {
  const call = (i) => {
    const query = inputs[i % INPUTS]
    // What an integration does around the driver call: time it, then record it.
    const startedAt = performance.now()
    agent.recordQuery({
      sql: query.sql,
      params: query.params,
      durationMs: performance.now() - startedAt,
      rows: query.rows,
    })
  }
  return {
    run: (calls) =>
      agent.withContext('GET /bench', () =>
        timeCalls(
          calls,
          call,
          () => agent.stats().queued,
          () => agent.flush(),
        ),
      ),
    dropped: () => agent.stats().dropped,
  }
}

async function connectedAgent(startAgent, url, token, options = {}) {
  const agent = startAgent({ url, token, appName: 'bench-hot-path', ...options })
  const deadline = Date.now() + 10_000
  while (!agent.stats().connected) {
    if (Date.now() > deadline) throw new Error(`the agent did not connect to ${url}`)
    await sleep(10)
  }
  return agent
}

export async function run({ quick, log }) {
  const calls = envInt('BENCH_HOT_CALLS', quick ? 20_000 : 200_000)
  const runs = envInt('BENCH_HOT_RUNS', quick ? 3 : 5)
  requireBuilt(corePath)
  const { startAgent } = await importAgent()
  const inputs = prepareInputs()
  log(
    `${formatCount(calls)} calls per run, ${runs} runs per side, alternating; yield every ${CHUNK} calls`,
  )

  const core = spawnChild(serverScript, ['core', '0'])
  const agents = []
  let otel
  try {
    const { url, token } = await withTimeout(core.next('listening'), 30_000, 'starting the core')
    const sampledAgent = await connectedAgent(startAgent, url, token)
    const everySiteAgent = await connectedAgent(startAgent, url, token, { callSites: 'all' })
    agents.push(sampledAgent, everySiteAgent)
    const sides = {
      agent: agentSide(sampledAgent, inputs),
      otel: (otel = openTelemetrySide(inputs)),
      agentEverySite: agentSide(everySiteAgent, inputs),
    }
    const results = { agent: [], otel: [], agentEverySite: [] }
    // Warm-up: let the JIT settle on every side before anything counts.
    for (const side of Object.values(sides)) await side.run(Math.min(calls, 20_000))
    const droppedBefore = Object.fromEntries(
      Object.entries(sides).map(([key, side]) => [key, side.dropped()]),
    )
    for (let round = 1; round <= runs; round++) {
      for (const key of ['agent', 'otel', 'agentEverySite']) {
        // A capture costs microseconds: a quarter of the calls tells the same.
        const result = await sides[key].run(key === 'agentEverySite' ? Math.ceil(calls / 4) : calls)
        results[key].push(result)
      }
      const line = (key) => {
        const { cpuNsPerCall, wallNsPerCall } = results[key].at(-1)
        return `${formatNumber(cpuNsPerCall / 1000)} µs (clock ${formatNumber(wallNsPerCall / 1000)})`
      }
      log(
        `round ${round}: recordQuery ${line('agent')}, OpenTelemetry span ${line('otel')}, ` +
          `recordQuery with call site ${line('agentEverySite')}`,
      )
    }
    for (const [key, side] of Object.entries(sides)) {
      const dropped = side.dropped() - droppedBefore[key]
      if (dropped > 0)
        log(
          `warning: ${key} dropped ${formatCount(dropped)} during the timed runs; its figure is flattered`,
        )
    }
    const us = (key, field) => median(results[key].map((r) => r[field])) / 1000
    const agentUs = us('agent', 'cpuNsPerCall')
    const otelUs = us('otel', 'cpuNsPerCall')
    return [
      figure({
        name: 'agent: recordQuery, CPU per call',
        value: agentUs,
        baseline: otelUs,
        unit: 'µs',
        goal: target.atMost(1, 'µs'),
      }),
      figure({
        name: 'agent: recordQuery vs OpenTelemetry span',
        value: agentUs,
        baseline: otelUs,
        unit: 'µs',
        goal: target.ratioAtMost(0.5),
      }),
      figure({
        name: 'agent: recordQuery, clock time per call',
        value: us('agent', 'wallNsPerCall'),
        baseline: us('otel', 'wallNsPerCall'),
        unit: 'µs',
      }),
      figure({
        name: 'agent: recordQuery, call site captured',
        value: us('agentEverySite', 'cpuNsPerCall'),
        baseline: otelUs,
        unit: 'µs',
      }),
      figure({
        name: 'agent: app CPU per query, incl. sending',
        value: us('agent', 'runCpuNsPerCall'),
        baseline: us('otel', 'runCpuNsPerCall'),
        unit: 'µs',
      }),
    ]
  } finally {
    await Promise.all(agents.map((agent) => agent.close()))
    await otel?.close()
    await core.stop()
  }
}
