/**
 * Escaping for the Markdown and HTML reports. Everything a session holds — SQL, parameters,
 * error messages, app, context and file names — came from an app under development or a
 * file someone sent, so none of it may become markup: a report opened in a browser or a
 * Markdown viewer must show `<script>` as text, never run it.
 */
import { flat } from './wording'

const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Text for HTML element content and quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char]!)
}

/**
 * Inline Markdown text (a heading, a list item, a table cell): every character that could
 * start markup is backslash-escaped — `<` and `&` included, so no raw HTML or entity can
 * form; `(` and `!` need none once `[` is escaped (no link can open) — and line breaks
 * become spaces, so a value cannot end its line or its table row.
 */
export function markdownText(text: string): string {
  return flat(text).replace(/[\\`*_[\]<>|~&#]/g, '\\$&')
}

/**
 * A fenced code block that holds `text` verbatim: the fence is longer than any run of
 * backticks inside it, so the text cannot close the block early.
 */
export function markdownCode(text: string, language = ''): string {
  let longestRun = 0
  for (const run of text.match(/`+/g) ?? []) longestRun = Math.max(longestRun, run.length)
  const fence = '`'.repeat(Math.max(3, longestRun + 1))
  // eslint-disable-next-line no-control-regex
  const printable = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\ufffd')
  return `${fence}${language}\n${printable}\n${fence}`
}
