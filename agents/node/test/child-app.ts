/**
 * Runs a small app in its own `node` process, with the agent compiled from source (as
 * CommonJS, as the published package is): whether the agent lets an app exit on its own can
 * only be seen from outside the process.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const here = dirname(fileURLToPath(import.meta.url))
const agentSource = resolve(here, '../src')
const rootModules = resolve(here, '../../../node_modules')

let built: string | undefined

/** The agent's modules transpiled to CommonJS in a temp folder; returns the folder. */
export function buildAgentForChild(): string {
  if (built) return built
  const out = mkdtempSync(join(tmpdir(), 'fastorm-agent-child-'))
  for (const file of readdirSync(agentSource)) {
    if (!file.endsWith('.ts')) continue
    const output = ts.transpileModule(readFileSync(join(agentSource, file), 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
      },
    })
    writeFileSync(join(out, file.replace(/\.ts$/, '.js')), output.outputText)
  }
  built = out
  return out
}

export interface ChildResult {
  code: number | null
  stdout: string
  stderr: string
  /** True if the process had to be killed because it did not exit by itself in time. */
  killed: boolean
}

/**
 * Runs `body` (CommonJS; `startAgent` is in scope) in a fresh node process and waits for it
 * to exit by itself, killing it after `timeoutMs`.
 */
export function runChildApp(body: string, timeoutMs = 20_000): Promise<ChildResult> {
  const dir = buildAgentForChild()
  const script = join(dir, `app-${process.pid}-${Math.random().toString(36).slice(2)}.js`)
  writeFileSync(script, `const { startAgent } = require('./index.js')\n${body}\n`)
  return runNodeScript(script, { timeoutMs })
}

export interface NodeScriptOptions {
  /** Flags for `node` itself, before the script (`--enable-source-maps`). */
  nodeArgs?: string[]
  /** Added to the environment the test runs in. */
  env?: Record<string, string>
  cwd?: string
  timeoutMs?: number
}

/** Runs a script file in a fresh node process and waits for it to exit by itself. */
export function runNodeScript(
  script: string,
  options: NodeScriptOptions = {},
): Promise<ChildResult> {
  return new Promise((resolveResult) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script], {
      cwd: options.cwd,
      // The agent's only dependency, ws, is found in the repository's node_modules.
      env: { ...process.env, NODE_PATH: rootModules, FASTORM_PROFILER_DEBUG: '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    let killed = false
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => {
      killed = true
      child.kill('SIGKILL')
    }, options.timeoutMs ?? 20_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolveResult({ code, stdout, stderr, killed })
    })
  })
}
