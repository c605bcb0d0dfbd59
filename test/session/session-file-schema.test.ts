/**
 * docs/session-format.schema.json against the real thing: files the writer produces validate,
 * and the schema and the reader (its zod schemas) give the same verdict on a set of valid and
 * broken documents. The validator below covers exactly the JSON Schema keywords the file uses;
 * a test fails if the file starts using another one.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DEFAULT_ANALYSIS_SETTINGS } from '../../src/shared/analysis'
import type { QueryRecord } from '../../src/shared/domain'
import {
  readSessionFile,
  SessionFileError,
  writeSessionFile,
  type SessionFileHeader,
} from '../../src/main/session/session-file'

type Schema = Record<string, unknown>
// The documents below are edited at any depth, the way a person would break a file.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Editable = Record<string, any>

const ROOT = join(__dirname, '..', '..')
const schema = JSON.parse(readFileSync(join(ROOT, 'docs', 'session-format.schema.json'), 'utf8'))

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description'])
const KEYWORDS = new Set([
  'type',
  'const',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minimum',
  'maximum',
  'minLength',
  '$ref',
  '$defs',
])

/** Errors of `value` against `node` (a subset of draft 2020-12), as `path: what`. */
function validate(value: unknown, node: Schema = schema, path = ''): string[] {
  if (typeof node.$ref === 'string') {
    const target = (node.$ref as string)
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((at, key) => (at as Schema)[key], schema)
    return validate(value, target as Schema, path)
  }
  const errors: string[] = []
  const where = path || '(root)'
  if (node.type !== undefined) {
    const types = Array.isArray(node.type) ? node.type : [node.type]
    if (!types.some((type) => hasType(value, type as string))) {
      return [`${where}: not ${types.join(' or ')}`]
    }
  }
  if ('const' in node && !same(value, node.const)) errors.push(`${where}: not ${node.const}`)
  if (Array.isArray(node.enum) && !node.enum.some((option) => same(value, option))) {
    errors.push(`${where}: not one of ${node.enum.join(', ')}`)
  }
  if (typeof value === 'number') {
    if (typeof node.minimum === 'number' && value < node.minimum) errors.push(`${where}: < min`)
    if (typeof node.maximum === 'number' && value > node.maximum) errors.push(`${where}: > max`)
  }
  if (typeof value === 'string' && typeof node.minLength === 'number') {
    if ([...value].length < node.minLength) errors.push(`${where}: too short`)
  }
  if (Array.isArray(value) && node.items !== undefined) {
    value.forEach((item, i) =>
      errors.push(...validate(item, node.items as Schema, `${path}[${i}]`)),
    )
  }
  if (isObject(value)) {
    const properties = (node.properties ?? {}) as Record<string, Schema>
    for (const key of (node.required ?? []) as string[]) {
      if (!(key in value)) errors.push(`${where}: missing ${key}`)
    }
    for (const [key, item] of Object.entries(value)) {
      const child = path ? `${path}.${key}` : key
      if (key in properties) errors.push(...validate(item, properties[key]!, child))
      else if (node.additionalProperties === false) errors.push(`${child}: not allowed`)
    }
  }
  return errors
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isObject(value)
    case 'array':
      return Array.isArray(value)
    case 'string':
      return typeof value === 'string'
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value)
    case 'boolean':
      return typeof value === 'boolean'
    case 'null':
      return value === null
    default:
      throw new Error(`type ${type} is not supported here`)
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/** The keywords of a schema node and of the schemas inside it. */
function keywordsOf(node: Schema, found = new Set<string>()): Set<string> {
  for (const [key, value] of Object.entries(node)) {
    found.add(key)
    if (key === 'properties' || key === '$defs') {
      for (const child of Object.values(value as Record<string, Schema>)) keywordsOf(child, found)
    } else if (key === 'items') {
      keywordsOf(value as Schema, found)
    }
  }
  return found
}

const folder = mkdtempSync(join(tmpdir(), 'fop-session-schema-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const T = 1_764_000_000_000
const header: SessionFileHeader = {
  session: {
    id: 's-1',
    name: 'Checkout',
    note: 'n',
    startedAt: T,
    endedAt: T + 9,
    status: 'complete',
  },
  apps: [
    {
      id: 'app-1',
      name: 'shop',
      runtime: { name: 'node', version: '20.20.0' },
      orm: { name: 'typeorm' },
      dbSystem: 'postgresql',
      pid: 42,
      host: 'dev',
      agent: { name: 'fastorm-profiler-agent', version: '0.1.0' },
      connectedAt: T,
      disconnectedAt: T + 9,
      received: 7,
      droppedByAgent: 0,
    },
  ],
  counters: { received: 7, stored: 7, evicted: 0, rejected: 0, droppedByAgents: 0 },
  settings: DEFAULT_ANALYSIS_SETTINGS,
  health: null,
  metrics: [{ time: T + 1, kind: 'pool', appId: 'app-1', attributes: { idle: 2 } }],
}
const queries: QueryRecord[] = [
  {
    id: 1,
    appId: 'app-1',
    sql: 'SELECT * FROM orders WHERE user_id = $1',
    params: [5],
    startTime: T + 1,
    durationMs: 2,
    rows: 6,
    connectionId: 'c1',
    context: { id: 'r1', name: 'GET /orders' },
    stack: [{ function: 'list', file: '/app/orders.ts', line: 3, column: 9 }],
  },
  ...Array.from({ length: 6 }, (_, i) => ({
    id: i + 2,
    appId: 'app-1',
    sql: 'SELECT * FROM users WHERE id = $1',
    params: { id: i },
    startTime: T + 2 + i,
    durationMs: 0.5,
    error: i === 5 ? { type: '57014', message: 'canceled' } : undefined,
    context: { id: 'r1' },
  })).map(({ error, ...query }) => (error ? { ...query, error } : query)),
]

async function written(name: string, head = header, rows = queries): Promise<string> {
  const file = join(folder, name)
  await writeSessionFile(file, head, rows)
  return file
}

async function readerAccepts(document: unknown): Promise<boolean> {
  const file = join(folder, 'candidate.json')
  writeFileSync(file, JSON.stringify(document, null, 2))
  try {
    await readSessionFile(file)
    return true
  } catch (error) {
    if (error instanceof SessionFileError) return false
    throw error
  }
}

describe('the JSON Schema of session files', () => {
  it('uses only the keywords the test validator implements', () => {
    const unknown = [...keywordsOf(schema)].filter(
      (key) => !ANNOTATIONS.has(key) && !KEYWORDS.has(key),
    )
    expect(unknown).toEqual([])
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema')
  })

  it('accepts the files the writer writes', async () => {
    const withFindings = await written('computed.json')
    const document = JSON.parse(readFileSync(withFindings, 'utf8'))
    expect(document.findings).toHaveLength(1)
    expect(validate(document)).toEqual([])

    const bare = await written(
      'bare.json',
      {
        session: { id: 'x', startedAt: 0, endedAt: 0 },
        apps: [],
        counters: { received: 0, stored: 0, evicted: 0, rejected: 0, droppedByAgents: 0 },
      },
      [],
    )
    expect(validate(JSON.parse(readFileSync(bare, 'utf8')))).toEqual([])

    const migrated = await readSessionFile(
      join(ROOT, 'test', 'fixtures', 'sessions', 'pre-release.json'),
    )
    const resaved = await written('resaved.json', migrated, migrated.queries)
    expect(validate(JSON.parse(readFileSync(resaved, 'utf8')))).toEqual([])
  })

  it('accepts the example in docs/session-format.md, as the reader does', async () => {
    const doc = readFileSync(join(ROOT, 'docs', 'session-format.md'), 'utf8')
    const example = JSON.parse(/```json\n([\s\S]*?)```/.exec(doc)![1]!)
    expect(validate(example)).toEqual([])
    expect(await readerAccepts(example)).toBe(true)
  })

  it('refuses what the reader refuses and accepts what it accepts', async () => {
    const valid = JSON.parse(readFileSync(await written('base.json'), 'utf8')) as Editable
    const edit = (change: (document: Editable) => void) => {
      const copy = structuredClone(valid)
      change(copy)
      return copy
    }
    const documents: [string, unknown][] = [
      ['the file as written', valid],
      [
        'no optional session fields',
        edit((d) => (d.session = { id: 'a', startedAt: 1, endedAt: 2 })),
      ],
      ['an app with a field of its own', edit((d) => (d.apps[0].region = 'eu'))],
      ['a setting of its own', edit((d) => (d.settings.extra = 3))],
      ['health as an object', edit((d) => (d.health = { status: 'WARNING' }))],
      ['named parameters', edit((d) => (d.queries[0].params = { id: 5 }))],
      [
        'a query with the fewest fields',
        edit((d) => (d.queries = [{ id: 1, appId: 'a', sql: '', startTime: 0, durationMs: 0 }])),
      ],
      ['no queries', edit((d) => (d.queries = []))],
      ['another format', edit((d) => (d.format = 'har'))],
      ['version 2', edit((d) => (d.version = 2))],
      ['an unknown top-level field', edit((d) => (d.extra = 1))],
      ['an empty session id', edit((d) => (d.session.id = ''))],
      ['an unknown status', edit((d) => (d.session.status = 'crashed'))],
      ['an unknown session field', edit((d) => (d.session.owner = 'me'))],
      ['an app without a name', edit((d) => delete d.apps[0].name)],
      ['a negative counter', edit((d) => (d.counters.evicted = -1))],
      ['a fractional counter', edit((d) => (d.counters.stored = 1.5))],
      ['a missing setting', edit((d) => delete d.settings.slowQueryMs)],
      ['a query id of 0', edit((d) => (d.queries[0].id = 0))],
      ['an id past the safe integers', edit((d) => (d.queries.at(-1).id = 2 ** 53))],
      ['a negative duration', edit((d) => (d.queries[0].durationMs = -1))],
      ['string parameters', edit((d) => (d.queries[0].params = '5'))],
      ['a query field of its own', edit((d) => (d.queries[0].cost = 1))],
      ['an error without a message', edit((d) => (d.queries[6].error = { type: 'x' }))],
      ['a stack frame without a file', edit((d) => (d.queries[0].stack = [{ line: 1 }]))],
      ['a stack frame field of its own', edit((d) => (d.queries[0].stack[0].extra = 1))],
      ['a context without an id', edit((d) => (d.queries[0].context = { name: 'x' }))],
      ['a finding of an unknown kind', edit((d) => (d.findings[0].kind = 'slow'))],
      ['a finding without query ids', edit((d) => delete d.findings[0].queryIds)],
      ['a finding field of its own', edit((d) => (d.findings[0].extra = true))],
      ['an insight of another kind', edit((d) => (d.insights = [{ kind: 'x' }]))],
      ['health as a string', edit((d) => (d.health = 'OK'))],
      ['a metric sample without attributes', edit((d) => delete d.metrics[0].attributes)],
      ['a metric sample of an empty kind', edit((d) => (d.metrics[0].kind = ''))],
      ['metrics missing', edit((d) => delete d.metrics)],
      ['queries not an array', edit((d) => (d.queries = {}))],
    ]
    for (const [what, document] of documents) {
      const schemaSays = validate(document).length === 0
      expect(await readerAccepts(document), what).toBe(schemaSays)
    }
    // Both sides said yes and no at least once.
    const verdicts = documents.map(([, document]) => validate(document).length === 0)
    expect(verdicts.filter(Boolean).length).toBe(9)
  })
})
