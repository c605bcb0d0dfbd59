/**
 * End to end in real Chromium through the browser mode: the core serves the built UI, the
 * Node agent sends queries, and the rows appear in the Queries view; the detail panel shows
 * what was sent; the Connect dialog's demo button fills the table from the demo app.
 * Needs `npm run build` (npm test builds first) and Debian's /usr/bin/chromium.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAgent, type Agent } from 'fastorm-profiler-agent'
import { startCore, type Core } from '../../src/main/core/core'
import { missingForBrowserTests, openBrowser } from '../helpers/browser'
import { builtDemoScript } from '../../src/main/core/paths'

const missing = missingForBrowserTests()

let dir: string
let core: Core
let browser: BrowserContext
let page: Page
let agent: Agent
let pageErrors: string[] = []

describe.skipIf(missing.length > 0)('the Queries view in Chromium', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fop-e2e-'))
    core = await startCore({ port: 0, dataDir: dir })
    ;({ context: browser, page, pageErrors } = await openBrowser(join(dir, 'chromium'), core.uiUrl))
    agent = startAgent({ url: core.agentUrl, token: core.token, appName: 'e2e-shop' })
  })

  afterAll(async () => {
    await agent?.close()
    await browser?.close()
    await core?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('shows queries as the agent sends them, live', async () => {
    agent.withContext('GET /e2e/orders', () => {
      agent.recordQuery({
        sql: 'SELECT * FROM "e2e_orders" WHERE "userId" = $1',
        params: [42],
        durationMs: 3.5,
        rows: 2,
      })
      agent.recordQuery({
        sql: 'SELECT * FROM "e2e_missing"',
        durationMs: 0.7,
        error: { type: '42P01', message: 'relation "e2e_missing" does not exist' },
      })
    })
    await agent.flush()
    const row = page.getByRole('row').filter({ hasText: 'SELECT * FROM "e2e_orders"' })
    await row.waitFor({ timeout: 10_000 })
    await expect.poll(() => row.textContent()).toContain('GET /e2e/orders')
    // The app's name arrives with the next status push.
    await expect.poll(() => row.textContent()).toContain('e2e-shop')
    const failed = page.getByRole('row').filter({ hasText: 'e2e_missing' })
    await failed.waitFor()
    await expect.poll(() => failed.textContent()).toMatch(/error/i)
  })

  it('opens the detail of a query with its params, error and call site', async () => {
    await page.getByRole('row').filter({ hasText: 'e2e_missing' }).click()
    const detail = page.getByText('relation "e2e_missing" does not exist')
    await detail.first().waitFor({ timeout: 5000 })
    await page.getByRole('row').filter({ hasText: 'SELECT * FROM "e2e_orders"' }).click()
    await page.getByText('queries-view.e2e.test.ts').first().waitFor({ timeout: 5000 })
    const body = await page.locator('body').textContent()
    expect(body).toContain('42')
  })

  it('filters the table by text', async () => {
    const filter = page
      .getByRole('searchbox')
      .or(page.getByPlaceholder(/filter/i))
      .first()
    await filter.fill('e2e_missing')
    // The detail panel may still show the selected query: count table rows only.
    await expect
      .poll(() => page.getByRole('row').filter({ hasText: 'SELECT * FROM "e2e_orders"' }).count())
      .toBe(0)
    expect(await page.getByRole('row').filter({ hasText: 'e2e_missing' }).count()).toBe(1)
    await filter.fill('')
    await page.getByRole('row').filter({ hasText: 'SELECT * FROM "e2e_orders"' }).waitFor()
  })

  it('keeps up with 20,000 queries and shows the newest', async () => {
    for (let i = 0; i < 20_000; i++) {
      agent.recordQuery({ sql: `SELECT * FROM "bulk" WHERE "id" = ${i}`, durationMs: 0.1 })
      if (i % 2000 === 1999) await agent.flush()
    }
    await agent.flush()
    // Selecting a row earlier paused following the tail; the user resumes it.
    await page.getByRole('button', { name: /click to follow/ }).click()
    await page.getByRole('row').filter({ hasText: '"id" = 19999' }).waitFor({ timeout: 15_000 })
    expect(core.profiler.counters().received).toBeGreaterThanOrEqual(20_002)
  })

  it.skipIf(!existsSync(builtDemoScript()))(
    'fills the table from the demo app started in the Connect dialog',
    async () => {
      process.env.DEMO_REQUESTS = '3'
      process.env.DEMO_DURATION_MS = '1500'
      await page
        .getByRole('button', { name: /connect/i })
        .first()
        .click()
      const dialog = page.getByRole('dialog')
      await dialog.waitFor()
      expect(await dialog.textContent()).toContain(core.token)
      await dialog.getByRole('button', { name: /demo/i }).click()
      await page
        .getByRole('row')
        .filter({ hasText: 'fastorm-demo-shop' })
        .first()
        .waitFor({ timeout: 30_000 })
    },
    60_000,
  )

  it('raised no errors in the page', () => {
    expect(pageErrors).toEqual([])
  })
})
