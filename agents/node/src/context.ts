/**
 * Request and job contexts: `withContext` gives each call a unique id and carries it, with
 * its name, through every await and callback started inside, so the profiler can look for
 * N+1 loops within one request rather than across all of them. When the call's function
 * settles (returns, throws, or its promise settles) the context has ended, and the agent can
 * say so: the profiler then closes it at once instead of waiting for it to go idle.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { randomBytes } from 'node:crypto'

export interface QueryContext {
  id: string
  name: string | undefined
  /** Whether a query was recorded in it: only then is its end worth telling the profiler. */
  recorded: boolean
}

const storage = new AsyncLocalStorage<QueryContext>()

/** Ids are `<process prefix>-<counter>`: unique across restarts of an app without a UUID per call. */
const processPrefix = randomBytes(4).toString('hex')
let counter = 0

/**
 * Runs `fn` in a new context and calls `onEnd` once it has ended. A native promise returned by
 * `fn` is followed by one that settles the same way after `onEnd` (the app gets that one, so
 * an unhandled rejection is still the app's to see); any other value ends the context at
 * once. Other thenables (a query builder, say) are returned as they are, without an end:
 * calling their `then` could run them.
 */
export function runInContext<T>(
  name: string | undefined,
  fn: () => T,
  onEnd: (context: QueryContext) => void,
): T {
  const context: QueryContext = {
    id: `${processPrefix}-${(++counter).toString(36)}`,
    name: name === undefined ? undefined : String(name),
    recorded: false,
  }
  let result: T
  try {
    result = storage.run(context, fn)
  } catch (error) {
    onEnd(context)
    throw error
  }
  if (result instanceof Promise) {
    return result.then(
      (value: unknown) => {
        onEnd(context)
        return value
      },
      (error: unknown) => {
        onEnd(context)
        throw error
      },
    ) as T
  }
  if (!isThenable(result)) onEnd(context)
  return result
}

export function currentContext(): QueryContext | undefined {
  return storage.getStore()
}

function isThenable(value: unknown): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}
