/**
 * The profiler's live status as the header shows it: the line to the core, the apps whose
 * agents are (or were) connected, and the session counters. Fed by `status.get` once and
 * then by the core's throttled `status` events; refreshed after every reconnect.
 */
import { computed, ref, shallowRef } from 'vue'
import { defineStore } from 'pinia'
import type { AppInfo, ProfilerStatus } from '@shared/domain'
import { useProfilerClient } from '@renderer/api/client'
import type { TransportState } from '@renderer/api/transport'
import { useViewStore } from '@renderer/stores/view'

export const useConnectionStore = defineStore('connection', () => {
  const client = useProfilerClient()
  const viewing = useViewStore()

  /** The latest status from the core; `null` until the first one arrives. */
  const status = shallowRef<ProfilerStatus | null>(null)
  /** Whether the line to the core is up (always `open` in Electron). */
  const transportState = ref<TransportState>(client.state)
  /** The last failure to fetch the status, for the indicator's tooltip. */
  const error = ref<string | null>(null)

  /**
   * Apps of the session the views show, by id (for their app columns): those seen this live
   * session, connected or not, or a viewed stored session's or file's own.
   */
  const appsById = computed(() => {
    const shown = viewing.viewed.kind === 'live' ? status.value?.apps : viewing.viewed.apps
    return new Map<string, AppInfo>(shown?.map((a) => [a.id, a]))
  })
  /** Apps whose agent is connected now. */
  const connectedApps = computed(() => status.value?.apps.filter((a) => !a.disconnectedAt) ?? [])
  /** Whether any app has connected this session (drives the "connect an app" empty state). */
  const anyAppSeen = computed(() => (status.value?.apps.length ?? 0) > 0)

  /** Fetches the status now (on start-up and after a reconnect). */
  async function refresh(): Promise<void> {
    try {
      status.value = await client.request('status.get')
      error.value = null
    } catch (cause) {
      error.value = cause instanceof Error ? cause.message : String(cause)
    }
  }

  client.on('status', (next) => {
    status.value = next
  })
  client.onStateChange((state) => {
    transportState.value = state
    if (state === 'open') void refresh()
  })
  void refresh()

  return { status, transportState, error, appsById, connectedApps, anyAppSeen, refresh }
})
