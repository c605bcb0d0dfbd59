import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAgent } from 'fastorm-profiler-agent'
import { startCore, type Core } from '../../src/main/core/core'
import { SCOPE_IDLE_MS } from '../../src/main/analysis/scopes'
import { eventually } from '../helpers/agent-client'

let core: Core
let dataDir: string

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'fop-context-end-'))
  core = await startCore({ port: 0, dataDir, uiDir: false })
})
afterAll(async () => {
  await core.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('context ends, from the Node agent to the core', () => {
  it(`closes a request's scope as soon as withContext settles, not ${SCOPE_IDLE_MS / 1000} s later, with its N+1 found`, async () => {
    const agent = startAgent({
      url: core.agentUrl,
      token: core.token,
      appName: 'context-end-e2e',
      dbSystem: 'sqlite',
      orm: { name: 'typeorm' },
      flushIntervalMs: 10,
    })
    try {
      // The welcome says whether the core takes context ends: let it arrive first.
      await eventually(() => agent.stats().connected)
      await delay(50)
      const analyzer = core.profiler.analyzer
      await agent.withContext('GET /orders/:id/lines', async () => {
        agent.recordQuery({
          sql: 'SELECT * FROM "order" WHERE "id" = ?',
          params: [1],
          durationMs: 1,
        })
        for (let product = 1; product <= 6; product++) {
          agent.recordQuery({
            sql: 'SELECT * FROM "product" WHERE "id" = ?',
            params: [product],
            durationMs: 0.5,
          })
          await delay(1)
        }
        // Still in flight: its scope is open.
        await agent.flush()
        await eventually(() => core.profiler.counters().received === 7)
        expect(analyzer.openScopes).toBe(1)
      })
      await agent.flush()
      await eventually(() => analyzer.openScopes === 0)
      const [finding] = analyzer.findingsResult().findings
      expect(finding).toMatchObject({
        kind: 'n-plus-one',
        count: 6,
        scope: { kind: 'context', name: 'GET /orders/:id/lines' },
        sourceSql: 'SELECT * FROM "order" WHERE "id" = ?',
      })
      expect(core.profiler.counters().rejected).toBe(0)
    } finally {
      await agent.close()
    }
  })
})
