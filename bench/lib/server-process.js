/**
 * A receiving server in a process of its own, fresh for each trial, so that no trial inherits
 * another's heap, garbage or JIT state, and the benchmark's own process stays out of the
 * measurement. Forked with `<mode> <events> [capacity]`, where mode is
 * - `core`: the whole pipeline, `startCore` from the build (validation, live session, ...);
 * - `baseline`: a bare `ws` server that only JSON.parses each message (and counts events);
 * and events is how many the `start` clock waits for (0 when nothing is timed here), unless
 * `start` says (`expected`). The core counts the queries it took in; the bare server every
 * event of the batches (queries and context ends).
 *
 * Over IPC: it says `listening` (with the URL and token), starts the clock on `start`, says
 * `done` once every event has arrived (with the time taken, its CPU time, and its memory as
 * it is and, when run with --expose-gc, after a full collection), and exits on `exit`. Both
 * modes poll their count on the same timer, so neither is timed more finely.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setInterval, clearInterval } from 'node:timers'
import { WebSocketServer } from 'ws'
import { importCore } from './built.js'

/** Same as the core's default: the bare server takes the same message sizes. */
const MAX_PAYLOAD = 16 * 1024 * 1024
const POLL_MS = 2
const BENCH_TOKEN = 'bench-token-0123456789abcdef'

const [mode, eventsArg, capacityArg] = process.argv.slice(2)
const expectedArg = Number(eventsArg)

async function startCoreSide() {
  const { startCore } = await importCore()
  const dataDir = mkdtempSync(join(tmpdir(), 'fastorm-bench-'))
  const capacity = capacityArg ? Number(capacityArg) : undefined
  const core = await startCore({ port: 0, dataDir, uiDir: false, token: BENCH_TOKEN, capacity })
  return {
    url: core.agentUrl,
    token: core.token,
    progress: () => {
      const counters = core.profiler.counters()
      return { arrived: counters.received + counters.rejected, counters }
    },
    close: async () => {
      await core.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

async function startBaselineSide() {
  let received = 0
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    maxPayload: MAX_PAYLOAD,
  })
  wss.on('connection', (socket) => {
    socket.on('message', (data) => {
      const message = JSON.parse(data)
      if (message.type === 'batch') received += message.events.length
      else if (message.type === 'hello') socket.send('{"type":"welcome","protocol":1}')
    })
  })
  await new Promise((resolve, reject) => {
    wss.once('listening', resolve)
    wss.once('error', reject)
  })
  return {
    url: `ws://127.0.0.1:${wss.address().port}/agent`,
    token: BENCH_TOKEN,
    progress: () => ({ arrived: received, counters: { received } }),
    close: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate()
        wss.close(() => resolve())
      }),
  }
}

function memory() {
  const { rss, heapUsed, heapTotal } = process.memoryUsage()
  return { rss, heapUsed, heapTotal }
}

async function main() {
  if (mode !== 'core' && mode !== 'baseline') throw new Error(`unknown mode ${mode}`)
  if (!Number.isInteger(expectedArg) || expectedArg < 0)
    throw new Error(`bad event count ${eventsArg}`)
  const side = mode === 'core' ? await startCoreSide() : await startBaselineSide()

  process.on('message', async (message) => {
    if (message.type === 'start') {
      const expected = message.expected ?? expectedArg
      if (expected === 0) throw new Error('nothing to wait for: started with 0 events')
      const startedAt = performance.now()
      const cpuAtStart = process.cpuUsage()
      const poll = setInterval(() => {
        const { arrived, counters } = side.progress()
        if (arrived < expected) return
        const elapsedMs = performance.now() - startedAt
        clearInterval(poll)
        const cpu = process.cpuUsage(cpuAtStart)
        const cpuMs = (cpu.user + cpu.system) / 1000
        const afterRun = memory()
        // With --expose-gc: what the server still holds once its garbage is gone.
        globalThis.gc?.()
        process.send({
          type: 'done',
          elapsedMs,
          cpuMs,
          counters,
          memory: afterRun,
          retained: memory(),
        })
      }, POLL_MS)
      process.send({ type: 'started' })
    } else if (message.type === 'exit') {
      await side.close()
      process.exit(0)
    }
  })
  process.send({ type: 'listening', url: side.url, token: side.token, memory: memory() })
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
