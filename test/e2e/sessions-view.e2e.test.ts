/**
 * End to end in real Chromium through the browser mode, with the session library on: the
 * Node agent sends queries, the session being recorded shows in the Sessions view, it is
 * renamed there, opened, and exported as a session file that the browser downloads and the
 * profiler reads back. Needs `npm run build` (npm test builds first) and /usr/bin/chromium.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAgent, type Agent } from 'fastorm-profiler-agent'
import { startCore, type Core } from '../../src/main/core/core'
import { missingForBrowserTests, openBrowser } from '../helpers/browser'
import { readSessionFile } from '../../src/main/session/session-file'

const missing = missingForBrowserTests()

let dir: string
let core: Core
let browser: BrowserContext
let page: Page
let agent: Agent
let pageErrors: string[] = []

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

  it('opens the stored session read-only, and finds it by its SQL', async () => {
    const search = page.getByRole('searchbox', { name: 'Search sessions' })
    await search.fill('e2e_gone')
    await search.press('Enter')
    await expect
      .poll(() => page.locator('[data-test="sessions-count"]').textContent())
      .toContain('1 matching')
    await page.locator('[data-test="session-name"]', { hasText: 'Library e2e run' }).click()
    const viewer = page.locator('[data-test="session-viewer"]')
    await viewer.getByRole('row').filter({ hasText: 'e2e_gone' }).waitFor({ timeout: 10_000 })
    expect(await viewer.getByRole('row').filter({ hasText: 'e2e_books' }).count()).toBe(12)
    await viewer.getByRole('row').filter({ hasText: 'e2e_gone' }).click()
    await page.getByText('relation "e2e_gone" does not exist').first().waitFor()
    await page.locator('[data-test="back-to-sessions"]').click()
    await search.fill('')
    await search.press('Enter')
  })

  it('exports the session as a file the browser downloads and the profiler reads back', async () => {
    const row = page.locator(`tr[data-session="${core.profiler.sessionId}"]`)
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
    expect(session.session).toMatchObject({ id: core.profiler.sessionId, name: 'Library e2e run' })
    expect(session.apps.map((app) => app.name)).toEqual(['e2e-library'])
    expect(session.queries).toHaveLength(13)
    expect(session.queries[3]).toMatchObject({ params: [3], context: { name: 'GET /e2e/library' } })
    await dialog.getByRole('button', { name: 'Close' }).first().click()
    expect(pageErrors).toEqual([])
  })
})
