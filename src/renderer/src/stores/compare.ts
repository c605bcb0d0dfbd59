/**
 * The Sessions view's comparison: two sessions picked in the list (stored ones, or the live
 * one), compared in the core (`sessions.compare`, the same `SessionDiff` as the CLI's
 * `diff`), shown side by side. The older is "before" unless swapped. The shapes table is
 * sorted here: the diff is small next to a session (one row per query shape).
 */
import { computed, ref, shallowRef } from 'vue'
import { defineStore } from 'pinia'
import type { LoadProgress } from '@shared/library'
import type { FingerprintChange, SessionDiff } from '@shared/session-diff'
import { useProfilerClient } from '@renderer/api/client'

/** One side of a comparison: a stored session's id or `'live'`, and what to call it. */
export interface CompareSide {
  id: string
  name: string
  startedAt: number
}

export type ShapeSortKey = 'totalMsDelta' | 'countDelta' | 'countBefore' | 'countAfter' | 'p95After'
export type ShapeFilter = 'all' | 'changed' | 'new' | 'gone'

const message = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

const SORT_VALUE: Record<ShapeSortKey, (shape: FingerprintChange) => number> = {
  // Largest changes either way first, as the core orders them.
  totalMsDelta: (shape) => Math.abs(shape.totalMsDelta),
  countDelta: (shape) => Math.abs(shape.countDelta),
  countBefore: (shape) => shape.before?.count ?? 0,
  countAfter: (shape) => shape.after?.count ?? 0,
  p95After: (shape) => shape.after?.p95Ms ?? 0,
}

export const useCompareStore = defineStore('compare', () => {
  const client = useProfilerClient()

  /** The sessions ticked in the list, at most two, in the order ticked. */
  const picked = shallowRef<CompareSide[]>([])
  /** The comparison's two sides, once asked for. */
  const before = shallowRef<CompareSide | null>(null)
  const after = shallowRef<CompareSide | null>(null)
  const diff = shallowRef<SessionDiff | null>(null)
  const running = ref(false)
  const progress = shallowRef<LoadProgress | null>(null)
  const error = ref<string | null>(null)
  const sortBy = ref<ShapeSortKey>('totalMsDelta')
  const descending = ref(true)
  const shapeFilter = ref<ShapeFilter>('changed')

  /** Whether the comparison panel is shown (over the list). */
  const open = computed(() => before.value !== null)

  const shapes = computed<FingerprintChange[]>(() => {
    const all = diff.value?.fingerprints ?? []
    const shown =
      shapeFilter.value === 'all'
        ? all
        : shapeFilter.value === 'changed'
          ? all.filter((shape) => shape.change !== 'unchanged')
          : all.filter((shape) => shape.change === shapeFilter.value)
    const value = SORT_VALUE[sortBy.value]
    const sign = descending.value ? -1 : 1
    return [...shown].sort((a, b) => sign * (value(a) - value(b)))
  })

  let request = 0

  /** Ticks or unticks a session; a third tick replaces the older of the two. */
  function toggle(side: CompareSide): void {
    const without = picked.value.filter((other) => other.id !== side.id)
    if (without.length < picked.value.length) picked.value = without
    else picked.value = [...picked.value.slice(-1), side]
  }

  function isPicked(id: string): boolean {
    return picked.value.some((side) => side.id === id)
  }

  /** Compares the two ticked sessions, the older first. */
  function comparePicked(): Promise<void> {
    const [a, b] = picked.value
    if (!a || !b) return Promise.resolve()
    return a.startedAt <= b.startedAt ? compare(a, b) : compare(b, a)
  }

  async function compare(first: CompareSide, second: CompareSide): Promise<void> {
    const current = ++request
    before.value = first
    after.value = second
    diff.value = null
    error.value = null
    progress.value = null
    running.value = true
    try {
      const result = await client.request('sessions.compare', first.id, second.id)
      if (current === request) diff.value = result
    } catch (cause) {
      if (current === request) error.value = message(cause)
    } finally {
      if (current === request) {
        running.value = false
        progress.value = null
      }
    }
  }

  /** The same two the other way round. */
  function swap(): Promise<void> {
    if (!before.value || !after.value) return Promise.resolve()
    return compare(after.value, before.value)
  }

  function sort(key: ShapeSortKey): void {
    if (sortBy.value === key) descending.value = !descending.value
    else {
      sortBy.value = key
      descending.value = true
    }
  }

  /** Back to the list (the ticks stay). */
  function close(): void {
    request += 1
    before.value = null
    after.value = null
    diff.value = null
    running.value = false
    error.value = null
  }

  client.on('load.progress', (next) => {
    if (running.value && next.task === 'compare') progress.value = next
  })

  return {
    picked,
    before,
    after,
    diff,
    running,
    progress,
    error,
    sortBy,
    descending,
    shapeFilter,
    open,
    shapes,
    toggle,
    isPicked,
    comparePicked,
    compare,
    swap,
    sort,
    close,
  }
})
