import { describe, expect, it } from 'vitest'
import {
  isBatchEnvelope,
  isValidContextEndEvent,
  isValidQueryEvent,
  readQueryEvent,
} from '../../src/shared/protocol/fast-check'
import {
  MAX_QUERY_TEXT,
  MAX_STACK_FRAMES,
  batchEnvelopeSchema,
  contextEndEventSchema,
  queryEventSchema,
} from '../../src/shared/protocol/v1'

const valid = () => ({
  type: 'query',
  'db.query.text': 'SELECT * FROM "user" WHERE "id" = $1',
  'db.query.parameters': [7] as unknown,
  startTime: 1764145657123.456,
  durationMs: 0.84,
  'db.response.returned_rows': 1 as unknown,
  error: { type: '42P01', message: 'relation does not exist' } as unknown,
  connectionId: 'c1' as unknown,
  context: { id: 'req-1', name: 'GET /users/:id' } as unknown,
  stack: [{ function: 'load', file: '/app/a.ts', line: 3, column: 9 }] as unknown,
})

type Event = Record<string, unknown>
const mutations: [string, (e: Event) => unknown][] = [
  ['the valid event', (e) => e],
  [
    'only the required fields',
    (e) => ({ type: e.type, 'db.query.text': 'SELECT 1', startTime: 1, durationMs: 0 }),
  ],
  ['named parameters', (e) => ({ ...e, 'db.query.parameters': { id: 7 } })],
  ['an unknown extra key', (e) => ({ ...e, extra: true })],
  ['a numeric connection id', (e) => ({ ...e, connectionId: 3 })],
  ['null', () => null],
  ['an array', () => []],
  ['a string', () => 'query'],
  ['another type', (e) => ({ ...e, type: 'pool' })],
  ['no text', (e) => ({ ...e, 'db.query.text': undefined })],
  ['a numeric text', (e) => ({ ...e, 'db.query.text': 42 })],
  ['a string duration', (e) => ({ ...e, durationMs: '1' })],
  ['a negative duration', (e) => ({ ...e, durationMs: -1 })],
  ['an infinite duration', (e) => ({ ...e, durationMs: Infinity })],
  ['a NaN start', (e) => ({ ...e, startTime: NaN })],
  ['a missing start', (e) => ({ ...e, startTime: undefined })],
  ['null parameters', (e) => ({ ...e, 'db.query.parameters': null })],
  ['string parameters', (e) => ({ ...e, 'db.query.parameters': 'a,b' })],
  ['fractional rows', (e) => ({ ...e, 'db.response.returned_rows': 1.5 })],
  ['negative rows', (e) => ({ ...e, 'db.response.returned_rows': -1 })],
  ['rows beyond safe integers', (e) => ({ ...e, 'db.response.returned_rows': 2 ** 60 })],
  ['an error without message', (e) => ({ ...e, error: { type: 'X' } })],
  ['an error as a string', (e) => ({ ...e, error: 'boom' })],
  ['an error message too long', (e) => ({ ...e, error: { message: 'x'.repeat(10_001) } })],
  ['an error type too long', (e) => ({ ...e, error: { message: 'm', type: 'x'.repeat(201) } })],
  ['a null error', (e) => ({ ...e, error: null })],
  ['a boolean connection id', (e) => ({ ...e, connectionId: true })],
  ['a connection id too long', (e) => ({ ...e, connectionId: 'x'.repeat(201) })],
  ['a context without id', (e) => ({ ...e, context: { name: 'x' } })],
  ['a context with an empty id', (e) => ({ ...e, context: { id: '' } })],
  ['a context name too long', (e) => ({ ...e, context: { id: 'a', name: 'x'.repeat(501) } })],
  ['a context as an array', (e) => ({ ...e, context: ['a'] })],
  ['a stack that is not an array', (e) => ({ ...e, stack: { file: 'a' } })],
  ['a frame without file', (e) => ({ ...e, stack: [{ line: 1 }] })],
  ['a frame with a fractional line', (e) => ({ ...e, stack: [{ file: 'a', line: 1.5 }] })],
  ['a frame with a negative column', (e) => ({ ...e, stack: [{ file: 'a', column: -1 }] })],
  ['a frame with a numeric function', (e) => ({ ...e, stack: [{ file: 'a', function: 1 }] })],
  ['a null frame', (e) => ({ ...e, stack: [null] })],
  ['an empty stack', (e) => ({ ...e, stack: [] })],
  [
    'a stack of 1,000 frames',
    (e) => ({ ...e, stack: Array.from({ length: 1000 }, () => ({ file: 'a' })) }),
  ],
  [
    'a stack of 1,001 frames',
    (e) => ({ ...e, stack: Array.from({ length: 1001 }, () => ({ file: 'a' })) }),
  ],
]

describe('isValidQueryEvent agrees with queryEventSchema', () => {
  for (const [what, mutate] of mutations) {
    it(`for ${what}`, () => {
      const event = mutate(valid())
      expect(isValidQueryEvent(event)).toBe(queryEventSchema.safeParse(event).success)
    })
  }

  it('accepts the valid event and refuses a broken one (the comparison is not vacuous)', () => {
    expect(isValidQueryEvent(valid())).toBe(true)
    expect(isValidQueryEvent({ ...valid(), durationMs: '1' })).toBe(false)
  })
})

const validEnd = () => ({
  type: 'context-end',
  context: { id: 'req-1' } as unknown,
  time: 1764145657124.5 as unknown,
})

const endMutations: [string, (e: Event) => unknown][] = [
  ['the valid event', (e) => e],
  ['an unknown extra key', (e) => ({ ...e, extra: true })],
  ['a context with a name too', (e) => ({ ...e, context: { id: 'a', name: 'GET /' } })],
  ['a query event', () => valid()],
  ['null', () => null],
  ['no context', (e) => ({ ...e, context: undefined })],
  ['a context as a string', (e) => ({ ...e, context: 'req-1' })],
  ['a context as an array', (e) => ({ ...e, context: ['req-1'] })],
  ['a context with an empty id', (e) => ({ ...e, context: { id: '' } })],
  ['a context id too long', (e) => ({ ...e, context: { id: 'x'.repeat(201) } })],
  ['a numeric context id', (e) => ({ ...e, context: { id: 7 } })],
  ['no time', (e) => ({ ...e, time: undefined })],
  ['a string time', (e) => ({ ...e, time: '1' })],
  ['a negative time', (e) => ({ ...e, time: -1 })],
  ['an infinite time', (e) => ({ ...e, time: Infinity })],
]

describe('isValidContextEndEvent agrees with contextEndEventSchema', () => {
  for (const [what, mutate] of endMutations) {
    it(`for ${what}`, () => {
      const event = mutate(validEnd())
      expect(isValidContextEndEvent(event)).toBe(contextEndEventSchema.safeParse(event).success)
    })
  }

  it('accepts the valid event and refuses a broken one (the comparison is not vacuous)', () => {
    expect(isValidContextEndEvent(validEnd())).toBe(true)
    expect(isValidContextEndEvent({ ...validEnd(), time: NaN })).toBe(false)
  })
})

const envelopes: [string, unknown][] = [
  ['a batch', { type: 'batch', seq: 3, dropped: 0, events: [{ type: 'query' }, 1] }],
  ['a batch without seq or dropped', { type: 'batch', events: [] }],
  ['a batch with an extra key', { type: 'batch', events: [], success: false }],
  ['a hello', { type: 'hello', events: [] }],
  ['no events', { type: 'batch', seq: 1 }],
  ['events as an object', { type: 'batch', events: { 0: 'x' } }],
  ['a fractional seq', { type: 'batch', seq: 1.5, events: [] }],
  ['a negative seq', { type: 'batch', seq: -1, events: [] }],
  ['a string seq', { type: 'batch', seq: '1', events: [] }],
  ['a seq beyond safe integers', { type: 'batch', seq: 2 ** 60, events: [] }],
  ['a negative dropped', { type: 'batch', dropped: -2, events: [] }],
  ['a null dropped', { type: 'batch', dropped: null, events: [] }],
  ['null', null],
  ['an array', [{ type: 'batch', events: [] }]],
]

describe('isBatchEnvelope agrees with batchEnvelopeSchema', () => {
  for (const [what, message] of envelopes) {
    it(`for ${what}`, () => {
      expect(isBatchEnvelope(message)).toBe(batchEnvelopeSchema.safeParse(message).success)
    })
  }

  it('accepts a batch and refuses a broken one (the comparison is not vacuous)', () => {
    expect(isBatchEnvelope({ type: 'batch', events: [] })).toBe(true)
    expect(isBatchEnvelope({ type: 'batch', seq: -1, events: [] })).toBe(false)
  })
})

describe('readQueryEvent', () => {
  it('makes the record of a valid event: every field set, a clean copy of the error', () => {
    const event = { ...valid(), error: { type: '42P01', message: 'no table', extra: 1 } }
    expect(readQueryEvent(event, 'app-1')).toEqual({
      id: 0,
      appId: 'app-1',
      sql: event['db.query.text'],
      params: [7],
      startTime: event.startTime,
      durationMs: event.durationMs,
      rows: 1,
      error: { type: '42P01', message: 'no table' },
      connectionId: 'c1',
      context: event.context,
      stack: event.stack,
    })
    // The fields an event leaves out are there, undefined: one hidden class for every record.
    const bare = readQueryEvent(
      { type: 'query', 'db.query.text': 'SELECT 1', startTime: 1, durationMs: 0 },
      'a',
    )
    expect(Object.keys(bare!)).toEqual(Object.keys(readQueryEvent(event, 'a')!))
    expect(bare!.error).toBeUndefined()
    expect(readQueryEvent({ ...valid(), error: { message: 'x' } }, 'a')!.error).toEqual({
      message: 'x',
    })
  })

  it('cuts a runaway text and a deep stack, names a numeric connection, drops an empty stack', () => {
    const long = 'SELECT ' + 'x'.repeat(MAX_QUERY_TEXT + 10)
    const record = readQueryEvent(
      {
        ...valid(),
        'db.query.text': long,
        connectionId: 17,
        stack: Array.from({ length: MAX_STACK_FRAMES + 5 }, (_, line) => ({ file: '/a.ts', line })),
      },
      'a',
    )!
    expect(record.sql).toBe(long.slice(0, MAX_QUERY_TEXT) + ' /* truncated */')
    expect(record.stack).toHaveLength(MAX_STACK_FRAMES)
    expect(record.stack![MAX_STACK_FRAMES - 1]!.line).toBe(MAX_STACK_FRAMES - 1)
    expect(record.connectionId).toBe('17')
    expect(readQueryEvent({ ...valid(), stack: [] }, 'a')!.stack).toBeUndefined()
  })

  it('reads nothing from an invalid event', () => {
    expect(readQueryEvent({ ...valid(), durationMs: -1 }, 'a')).toBeUndefined()
    expect(readQueryEvent({ ...valid(), type: 'context-end' }, 'a')).toBeUndefined()
  })
})
