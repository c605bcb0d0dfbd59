/**
 * The fast check for the one object a session file holds by the million: the query. It
 * accepts exactly what `querySchema` (v0.ts, unchanged in v1) accepts — a test gives both the
 * same valid and broken queries and requires the same verdict — but costs one walk over the
 * object's keys and allocates nothing. When it says no, the reader asks the zod schema,
 * whose error names the field.
 */
import type { QueryRecord } from '../../../shared/domain'

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const isNonNegativeNumber = (value: unknown): boolean =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0

const isNonNegativeInt = (value: unknown): boolean =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0

function isStackFrame(value: unknown): boolean {
  if (!isObject(value)) return false
  let hasFile = false
  for (const key in value) {
    const field = value[key]
    switch (key) {
      case 'file':
        if (typeof field !== 'string') return false
        hasFile = true
        break
      case 'function':
        if (typeof field !== 'string') return false
        break
      case 'line':
      case 'column':
        if (!isNonNegativeInt(field)) return false
        break
      default:
        return false
    }
  }
  return hasFile
}

function isError(value: unknown): boolean {
  if (!isObject(value)) return false
  let hasMessage = false
  for (const key in value) {
    if (key === 'message') {
      if (typeof value.message !== 'string') return false
      hasMessage = true
    } else if (key !== 'type' || typeof value.type !== 'string') {
      return false
    }
  }
  return hasMessage
}

function isContext(value: unknown): boolean {
  if (!isObject(value)) return false
  let hasId = false
  for (const key in value) {
    if (key === 'id') {
      if (typeof value.id !== 'string') return false
      hasId = true
    } else if (key !== 'name' || typeof value.name !== 'string') {
      return false
    }
  }
  return hasId
}

/** True when `value` is a valid query of a session file (v0 and v1). */
export function isValidQuery(value: unknown): value is QueryRecord {
  if (!isObject(value)) return false
  // The five required fields, counted as they are met; unknown keys are refused.
  let required = 0
  for (const key in value) {
    const field = value[key]
    switch (key) {
      case 'id':
        if (!(typeof field === 'number' && Number.isSafeInteger(field) && field > 0)) return false
        required++
        break
      case 'appId':
      case 'sql':
        if (typeof field !== 'string') return false
        required++
        break
      case 'startTime':
      case 'durationMs':
        if (!isNonNegativeNumber(field)) return false
        required++
        break
      case 'params':
        if (typeof field !== 'object' || field === null) return false
        break
      case 'rows':
        if (!isNonNegativeInt(field)) return false
        break
      case 'error':
        if (!isError(field)) return false
        break
      case 'connectionId':
        if (typeof field !== 'string') return false
        break
      case 'context':
        if (!isContext(field)) return false
        break
      case 'stack':
        if (!Array.isArray(field)) return false
        for (const frame of field) if (!isStackFrame(frame)) return false
        break
      default:
        return false
    }
  }
  return required === 5
}
