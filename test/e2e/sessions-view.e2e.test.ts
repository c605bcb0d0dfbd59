/**
 * End to end in real Chromium through the browser mode, with the session library on: the
 * Node agent sends queries, the session being recorded shows in the Sessions view, it is
 * renamed there, opened in every view (queries, N+1, timeline) while the live session
 * records on, and exported as a session file that the browser downloads and the profiler
 * reads back. Needs `npm run build` (npm test builds first) and /usr/bin/chromium.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAgent, type Agent } from 'fastorm-profiler-agent'
import { startCore, type Core } from '../../src/main/core/core'
import { missingForBrowserTests, openBrowser } from '../helpers/browser'
import { readSessionFile } from '../../src/main/session/session-file'

const missing = missingForBrowserTests()
const FIXTURE = resolve(__dirname, '../fixtures/sessions/pre-release.json')

let dir: string
let core: Core
let browser: BrowserContext
let page: Page
let agent: Agent
let pageErrors: string[] = []
/** The session the agent's first queries were recorded in. */
let recordedId: string

describe.skipIf(missing.length > 0)('the Sessions view in Chromium', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fop-e2e-sessions-'))
    core = await startCore({ port: 0, dataDir: dir, store: { intervalMs: 50 } })
    expect(core.libraryError).toBeUndefined()
    ;({
      context: browser,
      page,
      pageErrors,
    } = await openBrowser(join(dir, 'chromium'), core.uiUrl, {
      acceptDownloads: true,
    }))
    agent = startAgent({ url: core.agentUrl, token: core.token, appName: 'e2e-library' })
  })

  afterAll(async () => {
    await agent?.close()
    await browser?.close()
    await core?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('lists the session being recorded, with the queries the agent sent', async () => {
    agent.withContext('GET /e2e/library', () => {
      for (let i = 0; i < 12; i++) {
        agent.recordQuery({
          sql: 'SELECT * FROM "e2e_books" WHERE "author_id" = $1',
          params: [i],
          durationMs: 1.25,
          rows: 1,
        })
      }
      agent.recordQuery({
        sql: 'SELECT * FROM "e2e_gone"',
        durationMs: 0.5,
        error: { type: '42P01', message: 'relation "e2e_gone" does not exist' },
      })
    })
    await agent.flush()
    await expect.poll(() => core.library!.recorder.stats().persisted, { timeout: 10_000 }).toBe(13)
    recordedId = core.profiler.sessionId

    await page.getByRole('tab', { name: 'Sessions' }).click()
    const row = page.locator(`tr[data-session="${core.profiler.sessionId}"]`)
    await row.waitFor({ timeout: 10_000 })
    // The counts move while the session records; they settle on what was written.
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('13')
    const text = await row.textContent()
    expect(text).toContain('e2e-library')
    expect(text).toContain('recording')
  })

  it('renames the session in place', async () => {
    const row = page.locator(`tr[data-session="${core.profiler.sessionId}"]`)
    await row.getByRole('button', { name: /^Rename/ }).click()
    const input = row.getByRole('textbox', { name: 'Session name' })
    await input.fill('Library e2e run')
    await input.press('Enter')
    await expect
      .poll(() => row.locator('[data-test="session-name"]').textContent())
      .toContain('Library e2e run')
    expect((await core.library!.store.get(core.profiler.sessionId))?.name).toBe('Library e2e run')
  })

  it('finds the session by its SQL and opens it in every view, while the live one records on', async () => {
    // A clear ends the recorded session (complete) and begins the next live one.
    await page.getByRole('tab', { name: 'Queries' }).click()
    await page.locator('[data-test="clear-session"]').click()
    await expect
      .poll(async () => (await core.library!.store.get(recordedId))?.status, { timeout: 10_000 })
      .toBe('complete')
    agent.recordQuery({ sql: 'SELECT * FROM "e2e_live_only"', durationMs: 0.2 })
    await agent.flush()

    await page.getByRole('tab', { name: 'Sessions' }).click()
    const search = page.getByRole('searchbox', { name: 'Search sessions' })
    await search.fill('e2e_gone')
    await search.press('Enter')
    await expect
      .poll(() => page.locator('[data-test="sessions-count"]').textContent())
      .toContain('1 matching')
    await page.locator('[data-test="session-name"]', { hasText: 'Library e2e run' }).click()

    const banner = page.locator('[data-test="view-banner"]')
    await banner.waitFor({ timeout: 10_000 })
    expect(await banner.textContent()).toContain('Viewing Library e2e run (stored, read-only)')
    const table = page.locator('[data-test="queries-scroller"]')
    await table.getByRole('row').filter({ hasText: 'e2e_gone' }).waitFor({ timeout: 10_000 })
    expect(await table.getByRole('row').filter({ hasText: 'e2e_books' }).count()).toBe(12)
    expect(await table.getByRole('row').filter({ hasText: 'e2e_live_only' }).count()).toBe(0)
    await table.getByRole('row').filter({ hasText: 'e2e_gone' }).click()
    await page.getByText('relation "e2e_gone" does not exist').first().waitFor()

    // Its N+1: twelve lookups of a book by author in one request.
    await page.click('[data-view="findings"]')
    const finding = page.locator('[data-test="finding-row"]').filter({ hasText: 'e2e_books' })
    await finding.waitFor({ timeout: 10_000 })
    expect(await finding.textContent()).toContain('×12')
    expect(await finding.textContent()).toContain('GET /e2e/library')

    // Its timeline: the request's lane with its thirteen queries.
    await page.click('[data-view="timeline"]')
    const chart = page.locator('[data-test="timeline-chart"]')
    await chart.waitFor({ timeout: 10_000 })
    await expect
      .poll(async () => Number(await chart.getAttribute('data-bars')), { timeout: 10_000 })
      .toBe(13)
    expect(await chart.getAttribute('data-lanes')).toBe('1')

    // The header still counts the live session: it kept recording.
    await page.locator('[data-test="back-to-live"]').click()
    await banner.waitFor({ state: 'detached' })
    await page.click('[data-view="queries"]')
    await table.getByRole('row').filter({ hasText: 'e2e_live_only' }).waitFor({ timeout: 10_000 })
    expect(await table.getByRole('row').filter({ hasText: 'e2e_books' }).count()).toBe(0)
    await page.getByRole('tab', { name: 'Sessions' }).click()
    await search.fill('')
    await search.press('Enter')
  })

  it('compares the recorded session with the live one', async () => {
    const recorded = page.locator(`tr[data-session="${recordedId}"]`)
    const live = page.locator(`tr[data-session="${core.profiler.sessionId}"]`)
    await live.waitFor({ timeout: 10_000 })
    await recorded.locator('[data-test="compare-pick"]').check()
    await live.locator('[data-test="compare-pick"]').check()
    await page.locator('[data-test="compare-picked"]').click()

    const panel = page.locator('[data-test="compare-panel"]')
    const gone = panel.locator('[data-findings="disappeared"]')
    await gone.waitFor({ timeout: 10_000 })
    expect(await gone.textContent()).toContain('e2e_books')
    expect(await panel.locator('[data-test="compare-before"]').textContent()).toContain(
      'Library e2e run',
    )
    expect(await panel.locator('[data-test="compare-after"]').textContent()).toContain(
      'Live session',
    )
    const queries = await panel.locator('[data-summary="Queries"] td').allTextContents()
    expect(queries.map((cell) => cell.trim())).toEqual(['13', '1', '−12'])
    const shapes = panel.locator('[data-test="compare-shape"]')
    expect(await shapes.filter({ hasText: 'e2e_live_only' }).count()).toBe(1)
    await panel.locator('[data-test="compare-close"]').click()
    await recorded.locator('[data-test="compare-pick"]').uncheck()
    await live.locator('[data-test="compare-pick"]').uncheck()
  })

  it('imports a session file, which then opens in every view', async () => {
    const choosing = page.waitForEvent('filechooser')
    await page.locator('[data-test="import-file"]').click()
    await (await choosing).setFiles(FIXTURE)
    const done = page.locator('[data-test="import-done"]')
    await done.waitFor({ timeout: 10_000 })
    expect(await done.textContent()).toContain('(8 queries)')
    const row = page.locator('[data-test="session-row"]').filter({ hasText: 'shop' })
    await row.waitFor()
    expect(await row.textContent()).toContain('8')

    await row.locator('[data-test="session-name"]').click()
    const banner = page.locator('[data-test="view-banner"]')
    await banner.waitFor({ timeout: 10_000 })
    expect(await banner.textContent()).toContain('(stored, read-only)')
    await page.click('[data-view="findings"]')
    const finding = page.locator('[data-test="finding-row"]').filter({ hasText: 'GET /orders' })
    await finding.waitFor({ timeout: 10_000 })
    expect(await finding.textContent()).toContain('×6')
    await page.locator('[data-test="back-to-live"]').click()
    await banner.waitFor({ state: 'detached' })
  })

  it("opens a file without storing it, and shows the loader's error for a bad one", async () => {
    await page.getByRole('tab', { name: 'Sessions' }).click()
    const listed = await page.locator('[data-test="session-row"]').count()
    const bad = join(dir, 'cut.json')
    const text = readFileSync(FIXTURE, 'utf8')
    writeFileSync(bad, text.slice(0, text.length / 2))
    let choosing = page.waitForEvent('filechooser')
    await page.locator('[data-test="open-file"]').click()
    await (await choosing).setFiles(bad)
    const error = page.locator('[data-test="view-error"]')
    await error.waitFor({ timeout: 10_000 })
    expect(await error.textContent()).toMatch(/cut\.json.*(truncated|end)/i)
    expect(await page.locator('[data-test="view-banner"]').count()).toBe(0)

    choosing = page.waitForEvent('filechooser')
    await page.locator('[data-test="open-file"]').click()
    await (await choosing).setFiles(FIXTURE)
    const banner = page.locator('[data-test="view-banner"]')
    await banner.waitFor({ timeout: 10_000 })
    expect(await banner.textContent()).toContain('Viewing pre-release.json (file, read-only)')
    const table = page.locator('[data-test="queries-scroller"]')
    await expect.poll(() => table.getByRole('row').filter({ hasText: 'audit' }).count()).toBe(1)
    await page.locator('[data-test="back-to-live"]').click()
    await page.getByRole('tab', { name: 'Sessions' }).click()
    await expect.poll(() => page.locator('[data-test="session-row"]').count()).toBe(listed)
  })

  it('exports the session as a file the browser downloads and the profiler reads back', async () => {
    const row = page.locator(`tr[data-session="${recordedId}"]`)
    await row.getByRole('button', { name: 'Export' }).click()
    const dialog = page.getByRole('dialog', { name: 'Export Library e2e run' })
    await dialog.waitFor()
    await dialog.getByLabel(/Session file/).check()
    await dialog.getByLabel(/Redact secrets/).uncheck()
    const downloading = page.waitForEvent('download')
    await dialog.getByRole('button', { name: 'Export' }).click()
    const download = await downloading
    expect(download.suggestedFilename()).toBe('Library e2e run.json')
    const file = join(dir, 'downloaded.json')
    await download.saveAs(file)
    await dialog.getByText('Downloaded Library e2e run.json').waitFor()

    const session = await readSessionFile(file)
    expect(session.session).toMatchObject({ id: recordedId, name: 'Library e2e run' })
    expect(session.apps.map((app) => app.name)).toEqual(['e2e-library'])
    expect(session.queries).toHaveLength(13)
    expect(session.queries[3]).toMatchObject({ params: [3], context: { name: 'GET /e2e/library' } })
    await dialog.getByRole('button', { name: 'Close' }).first().click()
    expect(pageErrors).toEqual([])
  })
})
