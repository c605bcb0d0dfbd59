/**
 * Reports hold what an app under development sent — SQL, parameters, error messages, app,
 * context and file names — and a report is opened in a browser or a Markdown viewer, so
 * none of it may become markup. A hostile session below puts `<script>`, quotes and
 * backticks everywhere a string from the session can reach.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { escapeHtml, markdownCode, markdownText } from '../../src/main/report/escape'
import { reportOptions } from '../../src/main/report/options'
import { renderReportString } from '../../src/main/report/render'
import { buildReport, type Report } from '../../src/main/report/report'
import { readSessionFile } from '../../src/main/session/session-file'
import type { QueryRecord } from '../../src/shared/domain'
import { shopApp, T, tempDir, writeShopSession } from './sessions'

const SCRIPT_SQL = `SELECT '</pre></code><script>alert("sql")</script>' AS "x" FROM t WHERE a = ? -- \`\`\`\` fence`
const SCRIPT_PARAM = `"><img src=x onerror=alert('param')>`
const SCRIPT_APP = `<script>alert('app')</script>`
const SCRIPT_CONTEXT = `<script>alert("context")</script>\n## forged heading | cell`
const SCRIPT_ERROR = `<b onmouseover="alert('error')">boom</b> & more`
const SCRIPT_FILE = `/app/"><svg onload=alert('file')>.ts`
/** The query before the loop: quoted whole by the N+1 finding, in a code block. */
const SOURCE_SQL = 'SELECT id FROM t /* ``` ```` </code></pre><script>alert(1)</script> */'

const { dir, cleanup } = tempDir('fop-escape-')
afterAll(cleanup)

let report: Report
beforeAll(async () => {
  const context = { id: 'ctx-1', name: SCRIPT_CONTEXT }
  const stack = [{ file: SCRIPT_FILE, line: 1, column: 2, function: '<script>fn</script>' }]
  // A slow query, a failing one and an N+1 of hostile SQL, all in the hostile context.
  const queries: QueryRecord[] = [
    { id: 1, appId: 'app-1', sql: SOURCE_SQL, startTime: T, durationMs: 1, context },
    ...[1, 2, 3, 4, 5].map((n) => ({
      id: n + 1,
      appId: 'app-1',
      sql: SCRIPT_SQL,
      params: [SCRIPT_PARAM, n],
      startTime: T + n,
      durationMs: 150,
      context,
      stack,
    })),
    {
      id: 7,
      appId: 'app-1',
      sql: SCRIPT_SQL,
      params: { '<key>': SCRIPT_PARAM },
      startTime: T + 10,
      durationMs: 0.5,
      error: { type: '<script>', message: SCRIPT_ERROR },
      context,
      stack,
    },
  ]
  const file = await writeShopSession(dir, 'hostile', { app: shopApp(SCRIPT_APP) }, queries)
  const session = await readSessionFile(file)
  session.session.name = `</title><script>alert('name')</script>`
  report = buildReport(session)
  expect(report.findings.length).toBeGreaterThan(0)
  expect(report.slowQueries.length).toBeGreaterThan(0)
  expect(report.failedQueries.length).toBe(1)
})

/** The only tags the HTML report writes itself. */
const OUR_TAGS = new Set(
  'html head meta title style body header h1 h2 h3 p nav a section dl dt dd table tr th td article span code pre ul li strong'.split(
    ' ',
  ),
)

describe('the HTML report of a hostile session', () => {
  const html = () => renderReportString(report, 'html', reportOptions('detailed'))

  it('holds no tag but its own, and no event-handler attribute', () => {
    const page = html()
    const tags = [...page.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((match) => match[1]!.toLowerCase())
    expect(tags.filter((tag) => !OUR_TAGS.has(tag))).toEqual([])
    expect(page).not.toMatch(/<[^>]*\son\w+\s*=/i)
    expect(page).not.toMatch(/<script|<img|<svg|<b /i)
  })

  it('shows every hostile string as text', () => {
    const page = html()
    expect(page).toContain(escapeHtml(SCRIPT_APP))
    expect(page).toContain(escapeHtml(SCRIPT_SQL))
    expect(page).toContain('&quot;&gt;&lt;img src=x onerror=alert(&#39;param&#39;)&gt;')
    expect(page).toContain(
      '&lt;b onmouseover=&quot;alert(&#39;error&#39;)&quot;&gt;boom&lt;/b&gt; &amp; more',
    )
    expect(page).toContain(
      '&lt;script&gt;alert(&quot;context&quot;)&lt;/script&gt; ## forged heading | cell',
    )
    expect(page).toContain('/app/&quot;&gt;&lt;svg onload=alert(&#39;file&#39;)&gt;.ts')
    expect(page).toContain(`<title>FastORM Profiler report — session &lt;/title&gt;&lt;script&gt;`)
  })
})

describe('the Markdown report of a hostile session', () => {
  const markdown = () => renderReportString(report, 'markdown', reportOptions('detailed'))

  /** The text outside fenced code blocks (where Markdown and HTML are interpreted). */
  function outsideCode(text: string): string {
    return text.replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1$/gm, '')
  }

  it('leaves no unescaped angle bracket or ampersand outside code blocks', () => {
    const prose = outsideCode(markdown())
    expect(prose).not.toMatch(/(^|[^\\])[<>&]/m)
    expect(prose).toContain("\\<script\\>alert('app')\\</script\\>")
  })

  it('keeps SQL with backticks inside a longer fence', () => {
    const text = markdown()
    expect(text).toContain('`````sql\n' + SOURCE_SQL + '\n`````')
  })

  it('cannot forge a heading or a table cell from a name', () => {
    const text = markdown()
    expect(text).not.toMatch(/^## forged heading/m)
    // Every row of a table has as many unescaped pipes as its header.
    for (const table of text.split(/\n\n/).filter((block) => block.startsWith('| '))) {
      const [head, ...rows] = table.split('\n')
      const cells = (line: string) => line.match(/(^|[^\\])\|/g)!.length
      for (const row of rows.filter((line) => line !== '')) {
        expect(cells(row)).toBe(cells(head!))
      }
    }
  })
})

describe('the text report of a hostile session', () => {
  it('prints names on one line, with control characters replaced', async () => {
    const session = await readSessionFile(
      await writeShopSession(dir, 'control', {}, [
        {
          id: 1,
          appId: 'app-1',
          sql: 'SELECT 1',
          startTime: T,
          durationMs: 1,
          error: { message: 'bad\u001b]0;pwned\u0007 \u001b[31mred\nFAKE LINE' },
        },
      ]),
    )
    const text = renderReportString(buildReport(session), 'text', reportOptions('detailed'))
    // eslint-disable-next-line no-control-regex -- looking for control characters
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/)
    expect(text).toContain('bad\ufffd]0;pwned\ufffd \ufffd[31mred FAKE LINE')
    expect(text).not.toMatch(/^FAKE LINE/m)
  })
})

describe('the escaping functions', () => {
  it('escapeHtml escapes the five characters HTML gives meaning to', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    )
  })

  it('markdownText escapes markup characters and flattens line breaks', () => {
    expect(markdownText('*a* _b_ `c` [d](e) <f> | g & h\n# i')).toBe(
      '\\*a\\* \\_b\\_ \\`c\\` \\[d\\](e) \\<f\\> \\| g \\& h \\# i',
    )
  })

  it('markdownCode fences with more backticks than the text holds in a row', () => {
    expect(markdownCode('a ``` b', 'sql')).toBe('````sql\na ``` b\n````')
    expect(markdownCode('plain')).toBe('```\nplain\n```')
  })
})
