/**
 * Getting an app connected: the Connect dialog's state (the agent URL, token and snippets
 * from `connect.info`) and the demo app, which the Queries empty state can start as well.
 */
import { ref, shallowRef } from 'vue'
import { defineStore } from 'pinia'
import type { ConnectInfo, DemoStatus } from '@shared/api'
import { useProfilerClient } from '@renderer/api/client'

const message = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

export const useConnectStore = defineStore('connect', () => {
  const client = useProfilerClient()

  /** Whether the Connect dialog is open. */
  const dialogOpen = ref(false)
  /** The agent URL, token and snippets; `null` until fetched. */
  const info = shallowRef<ConnectInfo | null>(null)
  const infoLoading = ref(false)
  const infoError = ref<string | null>(null)
  /** The demo app's state after the last `demo.start`; `null` before any. */
  const demo = shallowRef<DemoStatus | null>(null)
  const demoStarting = ref(false)

  /** Opens the dialog, fetching the connection details if they are not there yet. */
  function openDialog(): void {
    dialogOpen.value = true
    if (!info.value) void loadInfo()
  }

  function closeDialog(): void {
    dialogOpen.value = false
  }

  async function loadInfo(): Promise<void> {
    infoLoading.value = true
    infoError.value = null
    try {
      info.value = await client.request('connect.info')
    } catch (cause) {
      infoError.value = message(cause)
    } finally {
      infoLoading.value = false
    }
  }

  /** Starts the bundled demo app, which connects itself and issues queries. */
  async function startDemo(): Promise<void> {
    if (demoStarting.value) return
    demoStarting.value = true
    try {
      demo.value = await client.request('demo.start')
    } catch (cause) {
      demo.value = { running: false, error: message(cause) }
    } finally {
      demoStarting.value = false
    }
  }

  return {
    dialogOpen,
    info,
    infoLoading,
    infoError,
    demo,
    demoStarting,
    openDialog,
    closeDialog,
    loadInfo,
    startDemo,
  }
})
