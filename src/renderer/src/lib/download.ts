/**
 * Browser mode's side of an export: the core wrote the file and serves it once from a
 * same-origin URL as an attachment; a click on a link with `download` saves it without
 * leaving the page.
 */
export function startDownload(url: string, fileName: string, doc: Document = document): void {
  const link = doc.createElement('a')
  link.href = url
  link.download = fileName
  link.rel = 'noopener'
  link.hidden = true
  doc.body.append(link)
  link.click()
  link.remove()
}
