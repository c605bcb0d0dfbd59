/**
 * Hand-written fast paths for what arrives by the hundred thousand: the query event, the
 * context-end event after each request, and the batch envelope around every hundred of them. Each accepts exactly what its schema accepts
 * (`queryEventSchema`, `contextEndEventSchema`, `batchEnvelopeSchema`: a test feeds both the same valid and broken
 * messages and requires the same verdict), but costs a fraction of a schema parse and
 * allocates nothing (the envelope's schema walks its events array to copy it). When one says
 * no, the ingest asks the zod schema, whose error message names the problem.
 */
import { MAX_STACK_FRAMES_ACCEPTED, type BatchEnvelope } from './v1'

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const isNonNegativeNumber = (value: unknown): boolean =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0

const isNonNegativeInt = (value: unknown): boolean =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0

const isOptionalString = (value: unknown, max: number): boolean =>
  value === undefined || (typeof value === 'string' && value.length <= max)

function isStackFrame(value: unknown): boolean {
  if (!isObject(value)) return false
  return (
    typeof value.file === 'string' &&
    value.file.length <= 4096 &&
    isOptionalString(value.function, 1000) &&
    (value.line === undefined || isNonNegativeInt(value.line)) &&
    (value.column === undefined || isNonNegativeInt(value.column))
  )
}

/** True when `event` is a valid query event of protocol v1. */
export function isValidQueryEvent(event: unknown): boolean {
  if (!isObject(event) || event.type !== 'query') return false
  if (typeof event['db.query.text'] !== 'string') return false
  if (!isNonNegativeNumber(event.startTime) || !isNonNegativeNumber(event.durationMs)) return false

  const params = event['db.query.parameters']
  if (params !== undefined && (typeof params !== 'object' || params === null)) return false

  const rows = event['db.response.returned_rows']
  if (rows !== undefined && !isNonNegativeInt(rows)) return false

  const error = event.error
  if (error !== undefined) {
    if (!isObject(error)) return false
    if (typeof error.message !== 'string' || error.message.length > 10_000) return false
    if (!isOptionalString(error.type, 200)) return false
  }

  const connectionId = event.connectionId
  if (connectionId !== undefined) {
    const ok =
      (typeof connectionId === 'string' && connectionId.length <= 200) ||
      (typeof connectionId === 'number' && Number.isFinite(connectionId))
    if (!ok) return false
  }

  const context = event.context
  if (context !== undefined) {
    if (!isObject(context)) return false
    if (typeof context.id !== 'string' || context.id.length < 1 || context.id.length > 200)
      return false
    if (!isOptionalString(context.name, 500)) return false
  }

  const stack = event.stack
  if (stack !== undefined) {
    if (!Array.isArray(stack) || stack.length > MAX_STACK_FRAMES_ACCEPTED) return false
    for (const frame of stack) if (!isStackFrame(frame)) return false
  }
  return true
}

/** True when `event` is a valid context-end event of protocol v1. */
export function isValidContextEndEvent(event: unknown): boolean {
  if (!isObject(event) || event.type !== 'context-end') return false
  if (!isNonNegativeNumber(event.time)) return false
  const context = event.context
  if (!isObject(context)) return false
  return typeof context.id === 'string' && context.id.length >= 1 && context.id.length <= 200
}

/** True when `message` is a valid batch envelope of protocol v1 (its events unchecked). */
export function isBatchEnvelope(message: unknown): message is BatchEnvelope {
  if (!isObject(message) || message.type !== 'batch' || !Array.isArray(message.events)) return false
  return (
    (message.seq === undefined || isNonNegativeInt(message.seq)) &&
    (message.dropped === undefined || isNonNegativeInt(message.dropped))
  )
}
