/**
 * happy-dom does no layout: every size is 0. The virtualised table needs a viewport, so
 * these stubs give the table's scroller a height, and a scroll height that follows the
 * virtualiser's sizer, as a browser would.
 */
const SCROLLER = '[data-test="queries-scroller"]'

type Restore = () => void

function stub(property: string, get: (element: HTMLElement) => number | undefined): Restore {
  const original = Object.getOwnPropertyDescriptor(HTMLElement.prototype, property)
  const prototype = Object.getPrototypeOf(HTMLElement.prototype) as object
  const inherited = original ?? Object.getOwnPropertyDescriptor(prototype, property)
  Object.defineProperty(HTMLElement.prototype, property, {
    configurable: true,
    get(this: HTMLElement) {
      return get(this) ?? inherited?.get?.call(this) ?? 0
    },
  })
  return () => {
    if (original) Object.defineProperty(HTMLElement.prototype, property, original)
    else delete (HTMLElement.prototype as unknown as Record<string, unknown>)[property]
  }
}

export function stubTableLayout(viewportHeight = 440, width = 1000): Restore {
  const isScroller = (element: HTMLElement): boolean => element.matches(SCROLLER)
  const restores = [
    stub('offsetHeight', (el) => (isScroller(el) ? viewportHeight : undefined)),
    stub('clientHeight', (el) => (isScroller(el) ? viewportHeight : undefined)),
    stub('offsetWidth', (el) => (isScroller(el) ? width : undefined)),
    stub('scrollHeight', (el) => {
      if (!isScroller(el)) return undefined
      const sizer = el.firstElementChild as HTMLElement | null
      return Math.max(viewportHeight, parseFloat(sizer?.style.height ?? '0') || 0)
    }),
  ]
  return () => restores.forEach((restore) => restore())
}

/** Scrolls like a user: sets the position, then the browser's scroll event. */
export function scrollTo(element: HTMLElement, top: number): void {
  element.scrollTop = top
  element.dispatchEvent(new Event('scroll'))
}
