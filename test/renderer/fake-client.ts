/**
 * An in-memory `ProfilerClient` for renderer tests: answers requests with handlers the
 * test supplies, records every request, and lets the test push events and change the
 * transport state. The real transports are tested against real sockets.
 */
import { createApp, type App } from 'vue'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import type {
  EventChannel,
  EventChannels,
  QueryPageRequest,
  RequestArgs,
  RequestChannel,
  RequestHandlers,
  RequestResult,
} from '@shared/api'
import type { AppInfo, ProfilerStatus, QueryRecord, QueryRow } from '@shared/domain'
import { profilerClientKey } from '@renderer/api/client'
import type { RendererClient, TransportState } from '@renderer/api/transport'

export class FakeProfilerClient implements RendererClient {
  state: TransportState = 'open'
  readonly requests: { channel: RequestChannel; args: unknown[] }[] = []
  private readonly eventListeners = new Map<string, Set<(payload: unknown) => void>>()
  private readonly stateListeners = new Set<(state: TransportState) => void>()

  constructor(public handlers: Partial<RequestHandlers> = {}) {}

  request<C extends RequestChannel>(
    channel: C,
    ...args: RequestArgs<C>
  ): Promise<RequestResult<C>> {
    this.requests.push({ channel, args })
    const handler = this.handlers[channel] as ((...a: unknown[]) => unknown) | undefined
    if (!handler) return Promise.reject(new Error(`the fake has no handler for ${channel}`))
    try {
      return Promise.resolve(handler(...args) as RequestResult<C>)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  on<C extends EventChannel>(
    channel: C,
    listener: (payload: EventChannels[C]) => void,
  ): () => void {
    let listeners = this.eventListeners.get(channel)
    if (!listeners) this.eventListeners.set(channel, (listeners = new Set()))
    listeners.add(listener as (payload: unknown) => void)
    return () => listeners.delete(listener as (payload: unknown) => void)
  }

  onStateChange(listener: (state: TransportState) => void): () => void {
    this.stateListeners.add(listener)
    return () => this.stateListeners.delete(listener)
  }

  close(): void {}

  /** Pushes an event as the core would. */
  emit<C extends EventChannel>(channel: C, payload: EventChannels[C]): void {
    for (const listener of this.eventListeners.get(channel) ?? []) listener(payload)
  }

  setState(state: TransportState): void {
    this.state = state
    for (const listener of this.stateListeners) listener(state)
  }

  /** The `queries.page` requests made so far. */
  pageRequests(): QueryPageRequest[] {
    return this.requests
      .filter((r) => r.channel === 'queries.page')
      .map((r) => r.args[0] as QueryPageRequest)
  }
}

/** Row `index` (0-based, oldest first) of a synthetic session. */
export function syntheticRow(index: number): QueryRow {
  return {
    id: index + 1,
    appId: 'app-1',
    sql: `SELECT id, email FROM users WHERE id = ${index}`,
    startTime: Date.UTC(2025, 0, 1, 12, 0, 0) + index,
    durationMs: index % 50 === 7 ? 150 : 1.25,
    rows: 1,
    failed: index % 97 === 5,
    contextName: 'GET /users/:id',
  }
}

/**
 * A `queries.page` handler over `total()` synthetic rows, computed on demand so that a
 * 100,000-row session costs nothing until a page is asked for. A filter matches the SQL.
 */
export function syntheticPages(total: () => number): RequestHandlers['queries.page'] {
  return ({ offset, limit, filter }) => {
    if (!filter) {
      const rows: QueryRow[] = []
      for (let i = offset; i < Math.min(total(), offset + limit); i++) rows.push(syntheticRow(i))
      return { total: total(), offset, rows }
    }
    const matching: QueryRow[] = []
    for (let i = 0; i < total(); i++) {
      const row = syntheticRow(i)
      if (row.sql.toLowerCase().includes(filter.toLowerCase())) matching.push(row)
    }
    return { total: matching.length, offset, rows: matching.slice(offset, offset + limit) }
  }
}

/**
 * A `queries.page` handler over a bounded ring like the live session: it holds the newest
 * `total` of `lastId` queries, so offset 0 is id `lastId - total + 1` (the row of id `n` is
 * `syntheticRow(n - 1)`). A filter matches the SQL of the held rows.
 */
export function ringPages(
  ring: () => { total: number; lastId: number },
): RequestHandlers['queries.page'] {
  return ({ offset, limit, filter }) => {
    const { total, lastId } = ring()
    const held: QueryRow[] = []
    for (let id = lastId - total + 1; id <= lastId; id++) {
      const row = syntheticRow(id - 1)
      if (!filter || row.sql.toLowerCase().includes(filter.toLowerCase())) held.push(row)
    }
    return { total: held.length, offset, rows: held.slice(offset, offset + limit) }
  }
}

export function appInfo(overrides: Partial<AppInfo> = {}): AppInfo {
  return {
    id: 'app-1',
    name: 'shop-api',
    runtime: { name: 'node', version: '20.20.0' },
    orm: { name: 'typeorm', version: '1.1.1' },
    dbSystem: 'postgresql',
    pid: 4242,
    connectedAt: Date.UTC(2025, 0, 1, 12, 0, 0),
    received: 1234,
    droppedByAgent: 0,
    ...overrides,
  }
}

export function profilerStatus(overrides: Partial<ProfilerStatus> = {}): ProfilerStatus {
  return {
    sessionId: 'session-1',
    sessionStartedAt: Date.UTC(2025, 0, 1, 12, 0, 0),
    capacity: 1_000_000,
    counters: { received: 1234, stored: 1200, evicted: 34, rejected: 2, droppedByAgents: 7 },
    apps: [appInfo()],
    connectedApps: 1,
    eventsPerSecond: 321,
    agentUrl: 'ws://127.0.0.1:7420/agent',
    ...overrides,
  }
}

export function queryRecord(overrides: Partial<QueryRecord> = {}): QueryRecord {
  return {
    id: 1,
    appId: 'app-1',
    sql: 'select id, email from users where id = $1 and status = $2',
    params: [42, 'active'],
    startTime: Date.UTC(2025, 0, 1, 12, 0, 0),
    durationMs: 3.5,
    rows: 1,
    connectionId: 'conn-7',
    context: { id: 'req-19', name: 'GET /users/:id' },
    stack: [
      {
        function: 'UserService.findOne',
        file: '/srv/shop/src/users/user.service.ts',
        line: 42,
        column: 13,
      },
      {
        function: 'UsersController.show',
        file: '/srv/shop/src/users/users.controller.ts',
        line: 18,
        column: 5,
      },
    ],
    ...overrides,
  }
}

/** A Pinia wired to `client` the way `main.ts` wires the real one, and made active. */
export function piniaWith(client: RendererClient): { app: App; pinia: Pinia } {
  const app = createApp({})
  app.provide(profilerClientKey, client)
  const pinia = createPinia()
  app.use(pinia)
  setActivePinia(pinia)
  return { app, pinia }
}

/** What `mount` needs to give components the fake client and a fresh Pinia. */
export function mountOptions(client: RendererClient) {
  const pinia = createPinia()
  setActivePinia(pinia)
  return { global: { plugins: [pinia], provide: { [profilerClientKey as symbol]: client } } }
}
