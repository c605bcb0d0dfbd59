import { describe, expect, it } from 'vitest'
import { exportFileName } from '../../src/main/export/session-export'
import { REPORT_KIND_DEFINITIONS } from '../../src/main/report/options'
import { DEFAULT_REPORT_SECTIONS, REPORT_KINDS } from '../../src/shared/library'

// What exports write is tested through the API, in test/store/library-api.test.ts.
describe('exportFileName', () => {
  const startedAt = new Date(2025, 10, 26, 9, 41).getTime()

  it("uses the session's name, made safe for any file system", () => {
    expect(exportFileName('Checkout: before/after', startedAt, 'html')).toBe(
      'Checkout- before-after.html',
    )
    expect(exportFileName('..\u0000', startedAt, 'json')).toBe('session-2025-11-26-0941.json')
  })

  it('names an unnamed session by its start, with the extension of the format', () => {
    expect(exportFileName(undefined, startedAt, 'report-json')).toBe(
      'session-2025-11-26-0941.report.json',
    )
    expect(exportFileName(undefined, startedAt, 'markdown')).toBe('session-2025-11-26-0941.md')
  })
})

describe('the export contract', () => {
  it("offers each report kind's own default sections", () => {
    for (const kind of REPORT_KINDS) {
      expect(DEFAULT_REPORT_SECTIONS[kind]).toEqual(REPORT_KIND_DEFINITIONS[kind].sections)
    }
  })
})
