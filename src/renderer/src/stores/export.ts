/**
 * The Export dialog's state: which session it exports (a stored one, or the live one), the
 * export running, its progress (`export.progress` from the core) and how it ended. Where
 * the file goes is the transport's business: the Electron shell asks with its save dialog
 * and writes it; browser mode gets a one-time URL, downloaded here.
 */
import { ref, shallowRef } from 'vue'
import { defineStore } from 'pinia'
import type { ExportProgress, ExportRequest, ExportResult } from '@shared/library'
import { useProfilerClient } from '@renderer/api/client'
import { startDownload } from '@renderer/lib/download'

export interface ExportTarget {
  /** A stored session's id, or `'live'`. */
  id: string
  /** What the dialog calls it. */
  name: string
}

export const useExportStore = defineStore('export', () => {
  const client = useProfilerClient()

  /** The session the dialog exports; the dialog is open while it is set. */
  const target = shallowRef<ExportTarget | null>(null)
  /** Whether an export is running. */
  const running = ref(false)
  /** How far the running export is, once the core has said. */
  const progress = shallowRef<ExportProgress | null>(null)
  /** How the last export ended (saved, downloaded, or the save dialog dismissed). */
  const result = shallowRef<ExportResult | null>(null)
  /** Why the last export failed. */
  const error = ref<string | null>(null)

  /** Opens the dialog for a session. */
  function openDialog(next: ExportTarget): void {
    if (running.value) return
    target.value = next
    progress.value = null
    result.value = null
    error.value = null
  }

  /** Closes the dialog (not while an export runs: its result would have nowhere to go). */
  function closeDialog(): void {
    if (!running.value) target.value = null
  }

  /** Exports the target with these options; a download starts by itself in browser mode. */
  async function run(options: Omit<ExportRequest, 'id'>): Promise<void> {
    const session = target.value
    if (!session || running.value) return
    running.value = true
    progress.value = null
    result.value = null
    error.value = null
    try {
      const outcome = await client.request('library.export', { ...options, id: session.id })
      if (outcome.kind === 'download') startDownload(outcome.url, outcome.fileName)
      result.value = outcome
    } catch (cause) {
      error.value = cause instanceof Error ? cause.message : String(cause)
    } finally {
      running.value = false
    }
  }

  client.on('export.progress', (next) => {
    if (running.value && next.id === target.value?.id) progress.value = next
  })

  return { target, running, progress, result, error, openDialog, closeDialog, run }
})
