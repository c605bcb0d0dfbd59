/**
 * The built command as a user runs it: a real child process, real signals.
 * Needs `npm run build` (npm test builds first).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { connectRawAgent, hello, queryEvent } from '../helpers/agent-client'

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'fastorm-profiler.js')
const built = existsSync(join(import.meta.dirname, '..', '..', 'out', 'main', 'cli.js'))
if (!built) console.warn('skipping CLI process tests: run `npm run build` first (npm test does)')

const dir = mkdtempSync(join(tmpdir(), 'fop-cli-process-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Running {
  child: ChildProcess
  output: () => string
  waitForOutput: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>
  exit: Promise<number | null>
}

function runCli(args: string[], env: Record<string, string | undefined> = {}): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return {
    child,
    output: () => output,
    exit,
    async waitForOutput(pattern, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const match = output.match(pattern)
        if (match) return match
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`no ${pattern} in output:\n${output}`)
        }
        await new Promise((r) => setTimeout(r, 25))
      }
    },
  }
}

describe.skipIf(!built)('the fastorm-profiler command', () => {
  it('serve prints the UI and agent URLs and stops cleanly on SIGTERM', async () => {
    const serve = runCli(['serve', '--port', '0', '--data-dir', dir])
    const [, agentUrl] = await serve.waitForOutput(/Agent URL:\s+(\S+)/)
    const [, uiUrl] = await serve.waitForOutput(/UI \(open in a browser\):\s+(\S+)/)
    const token = readFileSync(join(dir, 'token'), 'utf8').trim()
    expect(uiUrl).toContain(`token=${token}`)
    const response = await fetch(new URL('/healthz', uiUrl))
    expect(response.status).toBe(200)
    const agent = await connectRawAgent(agentUrl!, { Authorization: `Bearer ${token}` })
    agent.send(hello())
    await agent.waitFor((r) => r.type === 'welcome')
    serve.child.kill('SIGTERM')
    expect(await serve.exit).toBe(0)
    expect(serve.output()).toContain('FastORM Profiler stopped.')
  })

  it('record writes the session file when interrupted with SIGINT', async () => {
    const file = join(dir, 'interrupted.json')
    const record = runCli(['record', '--out', file, '--port', '0', '--data-dir', dir])
    const [, agentUrl] = await record.waitForOutput(/Agent URL:\s+(\S+)/)
    const token = readFileSync(join(dir, 'token'), 'utf8').trim()
    const agent = await connectRawAgent(agentUrl!, { Authorization: `Bearer ${token}` })
    agent.send(hello('signal-app'))
    await agent.waitFor((r) => r.type === 'welcome')
    agent.send({ type: 'batch', events: [queryEvent('SELECT 1'), queryEvent('SELECT 2')] })
    await agent.close()
    await new Promise((r) => setTimeout(r, 200))
    record.child.kill('SIGINT')
    expect(await record.exit).toBe(0)
    const saved = JSON.parse(readFileSync(file, 'utf8'))
    expect(saved.queries.map((q: { sql: string }) => q.sql)).toEqual(['SELECT 1', 'SELECT 2'])
  })

  it('start falls back to browser mode in one line where Electron cannot run', async () => {
    const start = runCli(['start', '--port', '0', '--data-dir', dir], {
      DISPLAY: undefined,
      WAYLAND_DISPLAY: undefined,
    })
    // Generous: on a loaded machine the session library's first open takes a while.
    await start.waitForOutput(/UI \(open in a browser\)/, 50_000)
    const lines = start.output().split('\n')
    const said = lines.filter((line) => line.startsWith('Electron cannot run here'))
    expect(said).toHaveLength(1)
    expect(said[0]).toMatch(
      /^Electron cannot run here \(.+\); serving the same UI in browser mode instead\.$/,
    )
    expect(lines.indexOf(said[0]!)).toBeLessThan(
      lines.findIndex((line) => line.includes('UI (open')),
    )
    start.child.kill('SIGINT')
    expect(await start.exit).toBe(0)
  }, 90_000)

  it('exits with 2 and one line on stderr for a bad port', async () => {
    const bad = runCli(['serve', '--port', 'abc'])
    expect(await bad.exit).toBe(2)
    expect(bad.output().trim().split('\n')).toHaveLength(1)
  })

  it('exits with 2 when the port is taken', async () => {
    const first = runCli(['serve', '--port', '0', '--data-dir', dir])
    const [, agentUrl] = await first.waitForOutput(/Agent URL:\s+(\S+)/)
    const port = new URL(agentUrl!).port
    const second = runCli(['serve', '--port', port, '--data-dir', dir])
    expect(await second.exit).toBe(2)
    expect(second.output()).toMatch(/port is in use/)
    first.child.kill('SIGTERM')
    await first.exit
  })
})
