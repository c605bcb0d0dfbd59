/**
 * Real Chromium for the end-to-end tests, through playwright-core and Debian's chromium
 * (no browser download). The flags keep a headless Chromium quiet on a machine without a
 * network: without the background-networking ones it keeps trying to reach Google's hosts.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { builtRendererDir } from '../../src/main/core/paths'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** What the browser tests need and this machine lacks; logs why they skip. */
export function missingForBrowserTests(): string[] {
  const missing = [
    existsSync(CHROMIUM) ? undefined : `Chromium (${CHROMIUM}; apt install chromium)`,
    existsSync(join(builtRendererDir(), 'index.html')) ? undefined : 'the built UI (npm run build)',
  ].filter((what): what is string => what !== undefined)
  if (missing.length > 0) {
    console.warn(`skipping the end-to-end tests: missing ${missing.join(' and ')}`)
  }
  return missing
}

export interface OpenBrowser {
  context: BrowserContext
  page: Page
  /** Uncaught errors and console errors the page raised. */
  pageErrors: string[]
}

/** Starts headless Chromium with a fresh profile in `profileDir` and opens `url`. */
export async function openBrowser(
  profileDir: string,
  url: string,
  options: { colorScheme?: 'dark' | 'light'; acceptDownloads?: boolean } = {},
): Promise<OpenBrowser> {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    ...options,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  const page = context.pages()[0] ?? (await context.newPage())
  const pageErrors: string[] = []
  page.on('pageerror', (error) => pageErrors.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text())
  })
  await page.goto(url)
  return { context, page, pageErrors }
}
