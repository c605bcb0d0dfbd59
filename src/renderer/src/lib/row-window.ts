/**
 * Windowing for a list of fixed-height rows: which rows to render for a scroll position,
 * and where. Every row has the same height, so this is arithmetic, O(1) in the row count.
 *
 * Hand-written rather than @tanstack/virtual: its measurement cache is rebuilt in O(count)
 * whenever the count changes (measured here: 5–45 ms at 100,000 rows, 200–400 ms at
 * 1,000,000), and a live table's count changes several times a second.
 *
 * Browsers cap an element's height (Firefox near 17.9 million px, Chromium near 33.5
 * million), below a million 22-px rows. Past `MAX_SCROLL_HEIGHT` the scrollable height stays
 * at the cap and scroll positions map onto rows proportionally (`ratio` > 1), the way
 * Perfetto and the DevTools keep huge lists scrollable.
 */
import { computed, onBeforeUnmount, onMounted, ref, type Ref } from 'vue'

/** Well under every browser's element-height limit. */
export const MAX_SCROLL_HEIGHT = 8_000_000

export interface RowWindowInput {
  total: number
  rowHeight: number
  scrollTop: number
  viewportHeight: number
  /** Rows rendered beyond each edge of the viewport. */
  overscan: number
  maxScrollHeight?: number
}

export interface RowWindow {
  /** Height of the scrollable content. */
  scrollHeight: number
  /** Content pixels per scroll pixel: 1, or more once the content is past the cap. */
  ratio: number
  /** First row to render. */
  start: number
  /** One past the last row to render. */
  end: number
  /** First row at least partly in the viewport, and one past the last. */
  visibleStart: number
  visibleEnd: number
  /** Where a row goes inside the scrollable content (its `translateY`). */
  top: (index: number) => number
  /** The scroll position that puts row `index` at the top of the viewport. */
  scrollTopFor: (index: number) => number
}

export function computeRowWindow(input: RowWindowInput): RowWindow {
  const { total, rowHeight, viewportHeight, overscan } = input
  const cap = input.maxScrollHeight ?? MAX_SCROLL_HEIGHT
  const contentHeight = total * rowHeight
  const scrollHeight = Math.min(contentHeight, cap)
  const scrollRange = Math.max(0, scrollHeight - viewportHeight)
  const contentRange = Math.max(0, contentHeight - viewportHeight)
  const ratio = scrollRange > 0 && contentRange > scrollRange ? contentRange / scrollRange : 1
  const scrollTop = Math.min(Math.max(0, input.scrollTop), scrollRange)
  const contentTop = scrollTop * ratio

  const visibleStart = Math.min(total, Math.floor(contentTop / rowHeight))
  const visibleEnd = Math.min(total, Math.ceil((contentTop + viewportHeight) / rowHeight))
  return {
    scrollHeight,
    ratio,
    start: Math.max(0, visibleStart - overscan),
    end: Math.min(total, visibleEnd + overscan),
    visibleStart,
    visibleEnd,
    // Rows sit at their natural offset, shifted so the scaled position lines up with the
    // viewport; with ratio 1 the shift is 0.
    top: (index) => index * rowHeight - scrollTop * (ratio - 1),
    scrollTopFor: (index) => (index * rowHeight) / ratio,
  }
}

/**
 * The window of `total` rows for a scroll container, kept up to date on scroll and resize.
 * Call `onScroll` from the container's scroll handler.
 */
export function useRowWindow(options: {
  scroller: Ref<HTMLElement | null>
  total: Ref<number>
  rowHeight: number
  overscan: number
}) {
  const scrollTop = ref(0)
  const viewportHeight = ref(0)
  let resizeObserver: ResizeObserver | null = null

  const layout = computed(() =>
    computeRowWindow({
      total: options.total.value,
      rowHeight: options.rowHeight,
      scrollTop: scrollTop.value,
      viewportHeight: viewportHeight.value,
      overscan: options.overscan,
    }),
  )

  function measure(): void {
    const element = options.scroller.value
    if (!element) return
    viewportHeight.value = element.clientHeight
    scrollTop.value = element.scrollTop
  }

  function onScroll(): void {
    const element = options.scroller.value
    if (element) scrollTop.value = element.scrollTop
  }

  function setScrollTop(value: number): void {
    const element = options.scroller.value
    if (!element) return
    element.scrollTop = value
    // Read back: the browser clamps, and the scroll event comes a frame later.
    scrollTop.value = element.scrollTop
  }

  /** Brings row `index` into view, moving as little as needed. */
  function scrollToIndex(index: number): void {
    const { rowHeight } = options
    const current = layout.value
    const rowTop = current.top(index)
    const viewTop = scrollTop.value
    const viewBottom = viewTop + viewportHeight.value
    if (rowTop < viewTop) setScrollTop(current.scrollTopFor(index))
    else if (rowTop + rowHeight > viewBottom) {
      // The row's bottom at the viewport's bottom.
      setScrollTop(Math.max(0, ((index + 1) * rowHeight - viewportHeight.value) / current.ratio))
    }
  }

  /** Scrolls by `rows` rows (negative: up), keeping the rest of the view where it is. */
  function scrollByRows(rows: number): void {
    const element = options.scroller.value
    if (!element) return
    setScrollTop(element.scrollTop + (rows * options.rowHeight) / layout.value.ratio)
  }

  function scrollToEnd(): void {
    const element = options.scroller.value
    if (element) setScrollTop(element.scrollHeight)
  }

  onMounted(() => {
    measure()
    const element = options.scroller.value
    if (element && typeof ResizeObserver !== 'undefined') {
      resizeObserver = new ResizeObserver(measure)
      resizeObserver.observe(element)
    }
  })
  onBeforeUnmount(() => resizeObserver?.disconnect())

  return { layout, viewportHeight, onScroll, scrollToIndex, scrollToEnd, scrollByRows }
}
