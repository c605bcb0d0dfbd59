/**
 * Copy to the clipboard. `navigator.clipboard` needs a secure context and focus, which a
 * page served from `http://127.0.0.1` has in Chromium but not everywhere; the fallback is
 * the old hidden-textarea `execCommand('copy')`, which still works on a user gesture.
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text)
      return true
    }
  } catch {
    // Refused (permissions, no focus): fall through to the fallback.
  }
  return copyWithTextarea(text)
}

function copyWithTextarea(text: string): boolean {
  const textarea = document.createElement('textarea')
  textarea.value = text
  textarea.setAttribute('readonly', '')
  textarea.style.position = 'fixed'
  textarea.style.opacity = '0'
  document.body.appendChild(textarea)
  const previousFocus =
    document.activeElement instanceof HTMLElement ? document.activeElement : null
  textarea.focus()
  textarea.select()
  let copied: boolean
  try {
    copied = document.execCommand('copy')
  } catch {
    copied = false
  }
  textarea.remove()
  previousFocus?.focus()
  return copied
}
