/**
 * The promise of the library: killing the profiler with SIGKILL while an agent is sending
 * loses nothing older than a second. A real `serve` child process, a real agent socket, a
 * real SIGKILL; then a second `serve` on the same data directory, and the library as the
 * `sessions` command prints it. Needs `npm run build` (npm test builds first).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { connectRawAgent, hello, queryEvent } from '../helpers/agent-client'
import { SessionStore } from '../../src/main/store/session-store'
import type { StoredSessionSummary } from '../../src/main/store/types'
import { tempDir } from './helpers'

const ROOT = join(import.meta.dirname, '..', '..')
const BIN = join(ROOT, 'bin', 'fastorm-profiler.js')
const built = existsSync(join(ROOT, 'out', 'main', 'cli.js'))
if (!built) console.warn('skipping the crash test: run `npm run build` first (npm test does)')

const dir = tempDir('fop-crash-')
const children: ChildProcess[] = []
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  dir.remove()
})

/** Starts `serve` and resolves with its agent URL once it listens. */
async function serve(): Promise<{ child: ChildProcess; agentUrl: string; output: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dir.path], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const deadline = Date.now() + 20_000
  for (;;) {
    const match = output.match(/Agent URL:\s+(\S+)/)
    if (match && output.includes('Session library:')) {
      return { child, agentUrl: match[1]!, output: () => output }
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`serve: ${output}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.skipIf(!built)('a profiler killed while recording', () => {
  it('loses nothing older than a second: the next start lists the session as recovered', async () => {
    const first = await serve()
    expect(first.output()).toContain(join(dir.path, 'sessions.sqlite'))
    const token = readFileSync(join(dir.path, 'token'), 'utf8').trim()
    const agent = await connectRawAgent(first.agentUrl, { Authorization: `Bearer ${token}` })
    agent.send(hello('crash-app'))
    await agent.waitFor((reply) => reply.type === 'welcome')

    // Waves of queries, each numbered in its SQL; a wave counts as delivered when the
    // socket has handed all of it to the kernel (loopback: the server has it right after).
    const WAVE = 500
    const delivered: { at: number; total: number }[] = []
    let sent = 0
    const startedAt = Date.now()
    while (Date.now() - startedAt < 2500) {
      const events = Array.from({ length: WAVE }, (_, i) =>
        queryEvent(`SELECT ${sent + i + 1} AS n FROM waves`, {
          'db.query.parameters': [sent + i + 1],
        }),
      )
      sent += WAVE
      const total = sent
      await new Promise<void>((resolve, reject) =>
        agent.socket.send(JSON.stringify({ type: 'batch', events }), (error) =>
          error ? reject(error) : resolve(),
        ),
      )
      delivered.push({ at: Date.now(), total })
      await sleep(50)
    }
    first.child.kill('SIGKILL')
    const killedAt = Date.now()
    await new Promise((resolve) => first.child.once('exit', resolve))
    const olderThanASecond = delivered.filter((wave) => wave.at <= killedAt - 1200).at(-1)!.total
    expect(olderThanASecond).toBeGreaterThanOrEqual(5 * WAVE)

    const second = await serve()
    const listing = spawnSync(
      process.execPath,
      [BIN, 'sessions', '--json', '--data-dir', dir.path],
      { encoding: 'utf8' },
    )
    expect(listing.status).toBe(0)
    const sessions = JSON.parse(listing.stdout) as StoredSessionSummary[]
    const recovered = sessions.find((session) => session.status === 'recovered')
    expect(recovered, listing.stdout).toBeDefined()
    expect(recovered!.appNames).toEqual(['crash-app'])
    expect(recovered!.queryCount).toBeGreaterThanOrEqual(olderThanASecond)
    expect(recovered!.queryCount).toBeLessThanOrEqual(sent)
    console.log(
      `sent ${sent}, ${olderThanASecond} over 1.2 s before the kill, ${recovered!.queryCount} recovered`,
    )
    expect(recovered!.endedAt).toBeLessThanOrEqual(killedAt)
    // The new run records a session of its own.
    expect(sessions.filter((session) => session.status === 'recording')).toHaveLength(1)

    // What was kept is exactly the first queries sent, in order, with no gap.
    const store = await SessionStore.open({ file: join(dir.path, 'sessions.sqlite') })
    try {
      const head = await store.queries(recovered!.id, 0, 3)
      expect(head?.rows.map((q) => [q.id, q.sql, q.params])).toEqual([
        [1, 'SELECT 1 AS n FROM waves', [1]],
        [2, 'SELECT 2 AS n FROM waves', [2]],
        [3, 'SELECT 3 AS n FROM waves', [3]],
      ])
      const last = recovered!.queryCount
      const tail = await store.queries(recovered!.id, last - 1, 10)
      expect(tail?.rows.map((q) => [q.id, q.sql])).toEqual([
        [last, `SELECT ${last} AS n FROM waves`],
      ])
    } finally {
      await store.close()
    }

    second.child.kill('SIGTERM')
    await new Promise((resolve) => second.child.once('exit', resolve))
  })
})
