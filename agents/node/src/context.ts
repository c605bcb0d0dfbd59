/**
 * Request and job contexts: `withContext` gives each call a unique id and carries it, with
 * its name, through every await and callback started inside, so the profiler can look for
 * N+1 loops within one request rather than across all of them.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { randomBytes } from 'node:crypto'

export interface QueryContext {
  id: string
  name?: string
}

const storage = new AsyncLocalStorage<QueryContext>()

/** Ids are `<process prefix>-<counter>`: unique across restarts of an app without a UUID per call. */
const processPrefix = randomBytes(4).toString('hex')
let counter = 0

export function runInContext<T>(name: string | undefined, fn: () => T): T {
  const context: QueryContext = { id: `${processPrefix}-${(++counter).toString(36)}` }
  if (name !== undefined) context.name = String(name)
  return storage.run(context, fn)
}

export function currentContext(): QueryContext | undefined {
  return storage.getStore()
}
