/**
 * Which view the shell shows. A store rather than the shell's local state because views
 * send each other there: an N+1 finding opens the Timeline at its request.
 */
import { ref } from 'vue'
import { defineStore } from 'pinia'
import type { ViewId } from '@renderer/shell/views'

export const useNavigationStore = defineStore('navigation', () => {
  /** The view on screen. */
  const view = ref<ViewId>('queries')

  /** Shows `next`. */
  function go(next: ViewId): void {
    view.value = next
  }

  return { view, go }
})
