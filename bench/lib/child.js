/**
 * Helper processes of the benchmarks (the servers, the sender), driven over IPC: each
 * message is an object with a `type`, and `next(type)` waits for the next one of that type.
 */
import { fork } from 'node:child_process'
import { setTimeout, clearTimeout } from 'node:timers'

/**
 * Forks `script`; `execArgv` replaces (does not extend) this process's Node flags, so a
 * profiler or inspector flag given to the runner does not leak into every child.
 */
export function spawnChild(script, args, execArgv = []) {
  const child = fork(script, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const waiting = []
  const inbox = []
  let exited
  child.on('message', (message) => {
    const index = waiting.findIndex((w) => w.type === message.type)
    if (index >= 0) waiting.splice(index, 1)[0].resolve(message)
    else inbox.push(message)
  })
  child.on('exit', (code, signal) => {
    exited = new Error(`${script} exited (${signal ?? `code ${code}`}) before it was done`)
    for (const w of waiting.splice(0)) w.reject(exited)
  })
  return {
    send: (message) => child.send(message),
    /** The next message of this type (one that already came, or the next to come). */
    next(type) {
      const index = inbox.findIndex((message) => message.type === type)
      if (index >= 0) return Promise.resolve(inbox.splice(index, 1)[0])
      if (exited) return Promise.reject(exited)
      return new Promise((resolve, reject) => waiting.push({ type, resolve, reject }))
    },
    /** Asks the child to clean up and exit; resolves once it has. */
    async stop() {
      if (exited) return
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.send({ type: 'exit' })
      await gone
    },
  }
}

export function withTimeout(promise, ms, what) {
  let timer
  const timeout = new Promise((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${Math.round(ms / 1000)} s`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** A positive integer from the environment, or `fallback` when unset. */
export function envInt(variable, fallback) {
  const raw = process.env[variable]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw.replaceAll('_', ''))
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${variable} must be a positive integer, got ${raw}`)
  return value
}
