/**
 * The sending side of the ingest benchmark, in its own process so that the server's process
 * does only the receiving. Forked by `bench/ingest.js` with
 * `<url> <token> <events> <batchSize> <seed>`.
 *
 * It builds its batches before connecting (`ingestPool` from workload.js: a pool of serialised
 * batches, passed over again with new times and context ids),
 * connects as an agent does (bearer token, no compression, hello then wait for welcome),
 * says `ready` over IPC (with the bytes per query, and how many events it will send: its
 * queries and the context ends among them), and on `go` sends every batch as fast as the socket drains: it keeps
 * at most HIGH_WATER bytes queued in the socket and tops it up from the write callbacks.
 */
import { Buffer } from 'node:buffer'
import { performance } from 'node:perf_hooks'
import WebSocket from 'ws'
import { ingestPool } from './workload.js'

/** Bytes queued in the socket before the sender waits for it to drain. */
const HIGH_WATER = 4 * 1024 * 1024
/** Distinct batches built up front; more would only cost the sender memory. */
const MAX_POOL = 256

const [url, token, eventsArg, batchSizeArg, seedArg] = process.argv.slice(2)
const events = Number(eventsArg)
const batchSize = Number(batchSizeArg)
const batchCount = Math.ceil(events / batchSize)

function connect() {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, {
      headers: { Authorization: `Bearer ${token}` },
      perMessageDeflate: false,
    })
    socket.once('error', reject)
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`upgrade refused: HTTP ${response.statusCode}`)),
    )
    socket.once('open', () =>
      socket.send(
        JSON.stringify({
          type: 'hello',
          protocol: 1,
          app: { name: 'bench' },
          orm: { name: 'typeorm' },
          'db.system.name': 'postgresql',
        }),
      ),
    )
    socket.once('message', (data) => {
      const reply = JSON.parse(String(data))
      if (reply.type === 'welcome') resolve(socket)
      else reject(new Error(`expected a welcome, got ${String(data)}`))
    })
  })
}

function sendAll(socket, pool) {
  return new Promise((resolve, reject) => {
    let next = 0
    let written = 0
    const startedAt = performance.now()
    const cpuAtStart = process.cpuUsage()
    const onWritten = (error) => {
      if (error) return reject(error)
      written++
      if (written === batchCount) {
        const cpu = process.cpuUsage(cpuAtStart)
        resolve({ sendMs: performance.now() - startedAt, cpuMs: (cpu.user + cpu.system) / 1000 })
      } else pump()
    }
    const pump = () => {
      while (next < batchCount && socket.bufferedAmount < HIGH_WATER) {
        socket.send(pool.message(next), onWritten)
        next++
      }
    }
    pump()
  })
}

async function main() {
  if (events % batchSize !== 0)
    throw new Error(`events (${events}) must be a multiple of the batch size`)
  const pool = ingestPool(Math.min(batchCount, MAX_POOL), batchSize, Number(seedArg))
  let bytes = 0
  for (let i = 0; i < pool.size; i++) bytes += Buffer.byteLength(pool.message(i))
  const socket = await connect()
  socket.on('error', (error) => {
    console.error(`sender: ${error.message}`)
    process.exit(1)
  })
  process.on('message', async (message) => {
    if (message.type === 'go') {
      process.send({ type: 'sent', ...(await sendAll(socket, pool)) })
    } else if (message.type === 'exit') {
      socket.terminate()
      process.exit(0)
    }
  })
  // The batches hold `events` queries and the context ends among them: all of them arrive.
  let sentEvents = 0
  for (let i = 0; i < batchCount; i++) sentEvents += pool.eventsIn(i)
  process.send({ type: 'ready', bytesPerEvent: bytes / (pool.size * batchSize), sentEvents })
}

main().catch((error) => {
  console.error(`sender: ${error.message}`)
  process.exit(1)
})
