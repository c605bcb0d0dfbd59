/**
 * Hand-written fast paths for what arrives by the hundred thousand: the query event, the
 * context-end event after each request, and the batch envelope around every hundred of them. Each accepts exactly what its schema accepts
 * (`queryEventSchema`, `contextEndEventSchema`, `batchEnvelopeSchema`: a test feeds both the same valid and broken
 * messages and requires the same verdict), but costs a fraction of a schema parse and
 * allocates nothing but the record (the envelope's schema walks its events array to copy it). When one says
 * no, the ingest asks the zod schema, whose error message names the problem.
 */
import type { QueryContext, QueryError, QueryParams, QueryRecord, StackFrame } from '../domain'
import {
  MAX_QUERY_TEXT,
  MAX_STACK_FRAMES,
  MAX_STACK_FRAMES_ACCEPTED,
  type BatchEnvelope,
} from './v1'

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
  return readQueryEvent(event, '') !== undefined
}

/**
 * The record of a query event when it is a valid query event of protocol v1, else undefined;
 * `id` is 0 (the live session numbers it). Each field is read once, and validated and copied
 * in that one read: parsed events come in several shapes (whichever optional fields an agent
 * sets), so each read of one is a slow, megamorphic one, and checking first and then copying
 * would pay for every read twice.
 *
 * Every field of the record is set, `undefined` where the event has none: all records share
 * one hidden class, so the code that reads them on the ingest path (the live session, each
 * analysis) meets one shape instead of one per combination of optional fields. Texts longer
 * than MAX_QUERY_TEXT are cut and marked, stacks deeper than MAX_STACK_FRAMES cut; the small
 * error object is copied, and the live session keeps one clean copy of each context and stack.
 */
export function readQueryEvent(event: unknown, appId: string): QueryRecord | undefined {
  if (!isObject(event) || event.type !== 'query') return undefined
  const text = event['db.query.text']
  if (typeof text !== 'string') return undefined
  const startTime = event.startTime
  const durationMs = event.durationMs
  if (!isNonNegativeNumber(startTime) || !isNonNegativeNumber(durationMs)) return undefined

  const params = event['db.query.parameters']
  if (params !== undefined && (typeof params !== 'object' || params === null)) return undefined

  const rows = event['db.response.returned_rows']
  if (rows !== undefined && !isNonNegativeInt(rows)) return undefined

  const error = event.error
  let errorCopy: QueryError | undefined
  if (error !== undefined) {
    if (!isObject(error)) return undefined
    const { message, type } = error
    if (typeof message !== 'string' || message.length > 10_000) return undefined
    if (!isOptionalString(type, 200)) return undefined
    errorCopy = type === undefined ? { message } : { type: type as string, message }
  }

  const connectionId = event.connectionId
  if (connectionId !== undefined) {
    const ok =
      (typeof connectionId === 'string' && connectionId.length <= 200) ||
      (typeof connectionId === 'number' && Number.isFinite(connectionId))
    if (!ok) return undefined
  }

  const context = event.context
  if (context !== undefined) {
    if (!isObject(context)) return undefined
    const { id, name } = context
    if (typeof id !== 'string' || id.length < 1 || id.length > 200) return undefined
    if (!isOptionalString(name, 500)) return undefined
  }

  let stack = event.stack
  if (stack !== undefined) {
    if (!Array.isArray(stack) || stack.length > MAX_STACK_FRAMES_ACCEPTED) return undefined
    for (const frame of stack) if (!isStackFrame(frame)) return undefined
    if (stack.length === 0) stack = undefined
    else if (stack.length > MAX_STACK_FRAMES) stack = stack.slice(0, MAX_STACK_FRAMES)
  }

  return new ReceivedQuery(
    appId,
    text.length > MAX_QUERY_TEXT ? text.slice(0, MAX_QUERY_TEXT) + ' /* truncated */' : text,
    params as QueryParams | undefined,
    startTime as number,
    durationMs as number,
    rows as number | undefined,
    errorCopy,
    connectionId === undefined ? undefined : String(connectionId),
    context as QueryContext | undefined,
    stack as StackFrame[] | undefined,
  )
}

/**
 * A received query's record. A class rather than an object literal: V8 tracks where each
 * literal is allocated and, when most of a site's objects happen to outlive a collection
 * early on (a collection in the middle of a batch), allocates all of that site's objects in
 * the old space from then on — for records, which live for one batch, a standing slowdown.
 * Objects made by `new` are not tracked so.
 */
class ReceivedQuery implements QueryRecord {
  id = 0
  constructor(
    public appId: string,
    public sql: string,
    public params: QueryParams | undefined,
    public startTime: number,
    public durationMs: number,
    public rows: number | undefined,
    public error: QueryError | undefined,
    public connectionId: string | undefined,
    public context: QueryContext | undefined,
    public stack: StackFrame[] | undefined,
  ) {}
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
