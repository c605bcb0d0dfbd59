/**
 * Refetch only what is on screen: a store behind a view refreshes on the core's change
 * events while the view is shown, and only remembers that it is stale while it is not.
 * Views call `activate` when mounted and `deactivate` when unmounted.
 */
export function useActivation(refresh: () => void, options: { initiallyStale?: boolean } = {}) {
  let active = 0
  /** Stale from the start for a store that loads nothing until its view is first shown. */
  let stale = options.initiallyStale ?? false

  return {
    /** The view is shown: refresh now if something changed while it was not. */
    activate(): void {
      active += 1
      if (stale) {
        stale = false
        refresh()
      }
    },
    deactivate(): void {
      active = Math.max(0, active - 1)
    },
    /** The data changed: refresh if shown, else on the next `activate`. */
    changed(): void {
      if (active > 0) refresh()
      else stale = true
    },
    isActive: (): boolean => active > 0,
  }
}
