/**
 * End to end in real Chromium through the browser mode: an app sends a request with an N+1
 * loop (a source SELECT, then six SELECTs of one shape with different ids, from one line of
 * code), a slow query and a failed one; the N+1 view shows the finding with its call site
 * and suggestion and jumps to the timeline, which draws the request's lane on a canvas;
 * the Statistics view lists the shape; the Slow & failed view lists the failure.
 * Needs `npm run build` (npm test builds first) and Debian's /usr/bin/chromium.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAgent, type Agent } from 'fastorm-profiler-agent'
import { startCore, type Core } from '../../src/main/core/core'
import { missingForBrowserTests, openBrowser } from '../helpers/browser'

const missing = missingForBrowserTests()

const CONTEXT = 'GET /e2e/users/:id/orders'

let dir: string
let core: Core
let browser: BrowserContext
let page: Page
let agent: Agent
let pageErrors: string[] = []

/** The app's request handler: the N+1 loop lives on one line, as in real code. */
function handleOrdersRequest(agent: Agent): void {
  agent.recordQuery({
    sql: 'SELECT * FROM "e2e_orders" WHERE "user_id" = $1',
    params: [1],
    durationMs: 2.5,
    rows: 6,
  })
  for (let productId = 1; productId <= 6; productId++) {
    agent.recordQuery({ sql: 'SELECT * FROM "e2e_products" WHERE "id" = $1', params: [productId], durationMs: 0.8, rows: 1 }) // prettier-ignore
  }
  agent.recordQuery({ sql: 'SELECT pg_sleep($1)', params: [0.25], durationMs: 250, rows: 1 })
  agent.recordQuery({
    sql: 'SELECT * FROM "e2e_missing"',
    durationMs: 0.4,
    error: { type: '42P01', message: 'relation "e2e_missing" does not exist' },
  })
}

describe.skipIf(missing.length > 0)('the analysis views in Chromium', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fop-e2e-analysis-'))
    core = await startCore({ port: 0, dataDir: dir })
    ;({
      context: browser,
      page,
      pageErrors,
    } = await openBrowser(join(dir, 'chromium'), core.uiUrl, { colorScheme: 'dark' }))
    // Every query gets its call site (the default samples them).
    agent = startAgent({
      url: core.agentUrl,
      token: core.token,
      appName: 'e2e-shop',
      callSites: 'all',
    })
    agent.withContext(CONTEXT, () => handleOrdersRequest(agent))
    await agent.flush()
  })

  afterAll(async () => {
    await agent?.close()
    await browser?.close()
    await core?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('counts the finding, the slow and the failed query in the nav', async () => {
    const findings = page.locator('[data-view="findings"] [data-badge="warn"]')
    await findings.waitFor({ timeout: 10_000 })
    await expect.poll(() => findings.textContent()).toBe('1')
    const problems = page.locator('[data-view="problems"]')
    await expect.poll(() => problems.locator('[data-badge="error"]').textContent()).toBe('1')
    await expect.poll(() => problems.locator('[data-badge="warn"]').textContent()).toBe('1')
  })

  it('shows the N+1 with the line of code that issued it and what to do', async () => {
    await page.click('[data-view="findings"]')
    const row = page.locator('[data-test="finding-row"]').filter({ hasText: 'e2e_products' })
    await row.waitFor({ timeout: 10_000 })
    expect(await row.textContent()).toContain('×6')
    expect(await row.textContent()).toContain(CONTEXT)
    await row.click()
    const body = page.locator('[data-test="finding-body"]')
    const callSites = body.locator('[data-test="finding-call-sites"]')
    await callSites.waitFor()
    expect(await callSites.textContent()).toMatch(/analysis-views\.e2e\.test\.ts:\d+:\d+/)
    expect(await callSites.textContent()).toContain('handleOrdersRequest')
    const suggestion = (await body.locator('[data-test="finding-suggestion"]').textContent()) ?? ''
    expect(suggestion.trim().length).toBeGreaterThan(20)
    expect(await body.locator('[data-test="finding-source"]').textContent()).toContain('e2e_orders')
    await expect.poll(() => body.locator('[data-test="finding-queries"] tbody tr').count()).toBe(6)
  })

  it("jumps to the timeline at the request, drawn on a canvas with the request's queries", async () => {
    await page.locator('[data-test="finding-timeline"]').click()
    const chart = page.locator('[data-test="timeline-chart"]')
    await chart.waitFor({ timeout: 10_000 })
    expect(await chart.locator('canvas').count()).toBeGreaterThan(0)
    // The source query and the six of the loop are in the view; the slow and the failed one
    // may fall just outside it, depending on when the agent recorded them.
    await expect
      .poll(async () => Number(await chart.getAttribute('data-bars')), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(7)
    expect(await chart.getAttribute('data-lanes')).toBe('1')
    const lane = page.locator('[data-lane].highlighted')
    await lane.waitFor()
    expect(await lane.textContent()).toContain(CONTEXT)
    // The canvas has pixels: ECharts drew something (not only the axes' colour).
    const drawn = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('[data-test="timeline-chart"] canvas')
      const context = canvas?.getContext('2d')
      if (!canvas || !context) return 0
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height)
      const colours = new Set<number>()
      for (let i = 0; i < data.length; i += 16) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2])
      return colours.size
    }) // prettier-ignore
    expect(drawn).toBeGreaterThan(5)
  })

  it('opens a query from the timeline in the inspector', async () => {
    const box = (await page.locator('[data-test="timeline-plot"]').boundingBox())!
    // The view spans the loop; its queries (and the source query's bar) fill the middle.
    await page.mouse.click(box.x + box.width * 0.5, box.y + 24 + 11 + (await laneTop()))
    const detail = page.locator('[data-test="query-detail"]')
    await detail.waitFor({ timeout: 5000 })
    // Any of the request's bars: the slow query's bar (it started 250 ms earlier) may lie
    // under the middle of the view too.
    await expect
      .poll(() => detail.textContent())
      .toMatch(/FROM "e2e_(orders|products)"|pg_sleep|e2e_missing/)
    expect(await detail.textContent()).toContain(CONTEXT)
  })

  it('lists the query shape in the statistics', async () => {
    await page.click('[data-view="statistics"]')
    const row = page.getByRole('row').filter({ hasText: 'e2e_products' })
    await row.waitFor({ timeout: 10_000 })
    expect(await row.textContent()).toContain('6')
    await row.click()
    const detail = page.locator('[data-test="fingerprint-detail"]')
    await detail.waitFor()
    expect(await detail.textContent()).toMatch(/analysis-views\.e2e\.test\.ts:\d+/)
  })

  it('lists the failed query with its error', async () => {
    await page.click('[data-view="problems"]')
    await page.click('[data-tab="failed"]')
    const row = page.getByRole('row').filter({ hasText: 'e2e_missing' })
    await row.waitFor({ timeout: 10_000 })
    expect(await row.textContent()).toContain('relation "e2e_missing" does not exist')
  })

  it('raised no errors in the page', () => {
    expect(pageErrors).toEqual([])
  })
})

/** The y offset of the highlighted lane inside the plot area. */
async function laneTop(): Promise<number> {
  const lane = (await page.locator('[data-lane].highlighted').boundingBox())!
  const labels = (await page.locator('[data-test="timeline-lanes"]').boundingBox())!
  return lane.y - labels.y
}
