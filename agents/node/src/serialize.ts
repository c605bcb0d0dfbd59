/**
 * Turns whatever an app passed as query parameters (or threw as an error) into plain JSON
 * values, at flush time, off the app's hot path. Nothing here may throw: BigInt becomes a
 * string, binary data a short marker, Dates ISO strings, cycles and deep nesting a marker,
 * huge strings and arrays are cut. A getter that throws costs only its own value.
 */

/** Longest parameter string kept; a blob of text is not worth shipping whole. */
const MAX_PARAM_STRING = 2_000
/** Items kept per array or keys per object. */
const MAX_ITEMS = 100
/** Nesting levels kept below the parameter list itself. */
const MAX_DEPTH = 4
/** Bytes of binary data shown in its marker. */
const BINARY_PREVIEW_BYTES = 16
const MAX_ERROR_MESSAGE = 10_000
const MAX_ERROR_TYPE = 200

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…[+${text.length - max} chars]` : text
}

/**
 * Parameters as the protocol takes them: an array (positional) or a plain object (named).
 * Anything else (a single scalar, say) is wrapped in an array.
 */
export function toWireParameters(params: unknown): unknown[] | Record<string, unknown> | undefined {
  if (params === undefined || params === null) return undefined
  // The usual case, a short list of plain values, goes out as it is: nothing to copy.
  if (Array.isArray(params) && params.length <= MAX_ITEMS && params.every(isPlainScalar)) {
    return params
  }
  const seen = new Set<object>()
  if (Array.isArray(params)) return toWireArray(params, 0, seen)
  if (typeof params === 'object' && !isBinary(params) && !(params instanceof Date)) {
    const value = toWireValue(params, 0, seen)
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      return value as Record<string, unknown>
    }
    return [value]
  }
  return [toWireValue(params, 0, seen)]
}

function isPlainScalar(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
      return value.length <= MAX_PARAM_STRING
    case 'number':
      return Number.isFinite(value)
    case 'boolean':
    case 'undefined':
      return true
    default:
      return value === null
  }
}

function toWireArray(items: readonly unknown[], depth: number, seen: Set<object>): unknown[] {
  seen.add(items)
  const kept = Math.min(items.length, MAX_ITEMS)
  const out: unknown[] = new Array(kept)
  for (let i = 0; i < kept; i++) out[i] = safely(() => toWireValue(items[i], depth + 1, seen))
  if (items.length > MAX_ITEMS) out.push(`…[+${items.length - MAX_ITEMS} items]`)
  seen.delete(items)
  return out
}

function toWireValue(value: unknown, depth: number, seen: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
      return truncate(value, MAX_PARAM_STRING)
    case 'number':
      // JSON has no NaN or Infinity; say what the value was rather than send null.
      return Number.isFinite(value) ? value : String(value)
    case 'boolean':
      return value
    case 'bigint':
      return value.toString()
    case 'undefined':
      return null
    case 'symbol':
      return value.toString()
    case 'function':
      return `[Function ${value.name || 'anonymous'}]`
  }
  if (value === null) return null
  const object = value as object
  if (object instanceof Date) {
    return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString()
  }
  if (isBinary(object)) return binaryMarker(object)
  if (seen.has(object)) return '[Circular]'
  if (depth >= MAX_DEPTH) return Array.isArray(object) ? '[Array]' : '[Object]'
  if (Array.isArray(object)) return toWireArray(object, depth, seen)
  if (object instanceof Map) return `[Map size ${object.size}]`
  if (object instanceof Set) return `[Set size ${object.size}]`
  // Decimal, ObjectId, Moment and friends say what they are through toJSON.
  const toJSON = (object as { toJSON?: unknown }).toJSON
  if (typeof toJSON === 'function') {
    seen.add(object)
    const converted = safely(() => toWireValue(toJSON.call(object), depth + 1, seen))
    seen.delete(object)
    return converted
  }
  seen.add(object)
  const out: Record<string, unknown> = {}
  let count = 0
  for (const key in object) {
    if (!Object.prototype.hasOwnProperty.call(object, key)) continue
    if (count++ >= MAX_ITEMS) {
      out['…'] = 'more keys cut'
      break
    }
    out[key] = safely(() => toWireValue((object as Record<string, unknown>)[key], depth + 1, seen))
  }
  seen.delete(object)
  return out
}

function isBinary(value: object): value is ArrayBufferView | ArrayBuffer {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer
}

function binaryMarker(value: ArrayBufferView | ArrayBuffer): string {
  const bytes =
    value instanceof ArrayBuffer
      ? new Uint8Array(value)
      : new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
  const preview = Buffer.from(bytes.subarray(0, BINARY_PREVIEW_BYTES)).toString('hex')
  const more = bytes.length > BINARY_PREVIEW_BYTES ? '…' : ''
  return `<binary ${bytes.length} bytes: ${preview}${more}>`
}

function safely(convert: () => unknown): unknown {
  try {
    return convert()
  } catch (error) {
    return `[unserialisable: ${describeThrown(error)}]`
  }
}

function describeThrown(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error)
  } catch {
    return 'unknown'
  }
}

/** What `recordQuery` accepts as an error. */
export type ErrorLike = Error | { type?: string; message: string }

/**
 * The protocol's `{ type, message }`. For an ORM's wrapper error (TypeORM's
 * `QueryFailedError`), the driver's own code (`SQLITE_ERROR`, `42P01`, `ER_NO_SUCH_TABLE`)
 * says more about the failure than the wrapper's class name.
 */
export function toWireError(error: unknown): { type?: string; message: string } {
  try {
    if (error === null || error === undefined) return { message: 'unknown error' }
    if (typeof error !== 'object') return { message: truncate(String(error), MAX_ERROR_MESSAGE) }
    const e = error as {
      name?: unknown
      type?: unknown
      code?: unknown
      message?: unknown
      driverError?: { code?: unknown; name?: unknown }
    }
    const message =
      typeof e.message === 'string' ? e.message : safeString(error as object) || 'unknown error'
    const type = firstString(
      e.driverError?.code,
      e.code,
      e.type,
      error instanceof Error ? e.name : undefined,
    )
    const wire: { type?: string; message: string } = {
      message: truncate(message, MAX_ERROR_MESSAGE),
    }
    if (type !== undefined) wire.type = type.slice(0, MAX_ERROR_TYPE)
    return wire
  } catch {
    return { message: 'unreadable error' }
  }
}

function firstString(...candidates: unknown[]): string | undefined {
  for (const candidate of candidates) {
    if (typeof candidate === 'string' && candidate.length > 0) return candidate
    if (typeof candidate === 'number') return String(candidate)
  }
  return undefined
}

function safeString(value: object): string {
  try {
    return String(value)
  } catch {
    return ''
  }
}
