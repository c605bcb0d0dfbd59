/**
 * Which session the views show: the live one, or a stored session or a session file opened
 * read-only (the core answers every view's requests from it; see `view.*` in the API). The
 * shell's banner says which, and offers the way back. Each view's store resets itself on
 * `view.changed` (lib/analysis-changes.ts), so this store only tracks what is viewed, the
 * load under way (`load.progress`) and why the last one failed.
 */
import { computed, ref, shallowRef } from 'vue'
import { defineStore } from 'pinia'
import type { LoadProgress, ViewedSession } from '@shared/library'
import { useProfilerClient } from '@renderer/api/client'

const message = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/** The core's answer to a load that a newer one replaced: not a failure to show. */
const REPLACED = 'replaced by a newer request'

export const useViewStore = defineStore('view', () => {
  const client = useProfilerClient()

  /** What the views show. */
  const viewed = shallowRef<ViewedSession>({ kind: 'live' })
  /** The name of the session being opened, while it loads. */
  const opening = ref<string | null>(null)
  /** How far the load is, once the core has said. */
  const progress = shallowRef<LoadProgress | null>(null)
  /** Why the last open failed. */
  const error = ref<string | null>(null)

  const isLive = computed(() => viewed.value.kind === 'live')

  let request = 0

  async function refresh(): Promise<void> {
    try {
      viewed.value = await client.request('view.get')
    } catch {
      // Left as it was; the next `view.changed` or reconnect says again.
    }
  }

  /** Runs a load that changes what is viewed, tracking its progress and its error. */
  async function load(name: string, run: () => Promise<ViewedSession | null>): Promise<boolean> {
    const current = ++request
    opening.value = name
    progress.value = null
    error.value = null
    try {
      const next = await run()
      if (next && current === request) viewed.value = next
      return next !== null
    } catch (cause) {
      if (current === request && !message(cause).includes(REPLACED)) error.value = message(cause)
      return false
    } finally {
      if (current === request) {
        opening.value = null
        progress.value = null
      }
    }
  }

  /** Views a stored session (by id) in every view. */
  function open(id: string, name: string): Promise<boolean> {
    return load(name, () => client.request('view.open', id))
  }

  /** Back to the live session. */
  async function backToLive(): Promise<void> {
    request += 1
    opening.value = null
    error.value = null
    viewed.value = await client.request('view.live')
  }

  /** Runs a load of a session file (see the Sessions view's Open file), with this store's progress. */
  function track(name: string, run: () => Promise<ViewedSession | null>): Promise<boolean> {
    return load(name, run)
  }

  /** Progress the page itself makes on the load (sending a file, in browser mode). */
  function reportProgress(next: LoadProgress): void {
    if (opening.value !== null) progress.value = next
  }

  function dismissError(): void {
    error.value = null
  }

  client.on('view.changed', (next) => {
    viewed.value = next
  })
  client.on('load.progress', (next) => {
    if (opening.value !== null && next.task === 'open') progress.value = next
  })
  client.onStateChange((state) => {
    if (state === 'open') void refresh()
  })
  void refresh()

  return {
    viewed,
    isLive,
    opening,
    progress,
    error,
    open,
    backToLive,
    track,
    reportProgress,
    dismissError,
    refresh,
  }
})
