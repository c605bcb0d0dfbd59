/**
 * Session files from the Sessions view: "Open file" views one read-only in every view (the
 * banner shows its progress, stores/view.ts); "Import file" stores one in the library (its
 * progress and outcome show in the Sessions view). In Electron the main process asks with
 * its open dialog; in a browser the page uploads the file the user picked first.
 */
import { ref, shallowRef } from 'vue'
import { defineStore } from 'pinia'
import type { FileLoadRequest, LoadProgress, ViewedSession } from '@shared/library'
import { useProfilerClient } from '@renderer/api/client'
import { uploadFile } from '@renderer/lib/upload'
import { useViewStore } from '@renderer/stores/view'

const message = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/** A file the page picked (browser mode), or none: the desktop app's dialog picks it. */
export type PickedFile = (Blob & { name: string }) | undefined

export const useSessionFilesStore = defineStore('session-files', () => {
  const client = useProfilerClient()
  const viewing = useViewStore()

  /** The file being imported, while it is. */
  const importing = ref<string | null>(null)
  const importProgress = shallowRef<LoadProgress | null>(null)
  /** How the last import ended. */
  const imported = shallowRef<{ name: string; queries: number } | null>(null)
  const importError = ref<string | null>(null)

  /** The upload's id for the request, after sending the file (browser mode). */
  async function request(
    action: FileLoadRequest['action'],
    file: PickedFile,
    report: (progress: LoadProgress) => void,
  ) {
    const args: FileLoadRequest = { action }
    if (file) {
      const task = action === 'import' ? 'import' : 'open'
      const sent = await uploadFile(file, (done, total) =>
        report({ task, phase: 'uploading', done, total, unit: 'bytes' }),
      )
      args.upload = sent.id
    }
    return client.request('file.load', args)
  }

  /** Views a session file read-only; true once it is shown. */
  function open(file: PickedFile): Promise<boolean> {
    return viewing.track(
      file?.name ?? 'a session file',
      async (): Promise<ViewedSession | null> => {
        const result = await request('open', file, viewing.reportProgress)
        return result.kind === 'opened' ? result.viewed : null
      },
    )
  }

  /** Stores a session file in the library; true once it is there. */
  async function importFile(file: PickedFile): Promise<boolean> {
    if (importing.value !== null) return false
    importing.value = file?.name ?? 'a session file'
    importProgress.value = null
    imported.value = null
    importError.value = null
    try {
      const result = await request('import', file, (progress) => (importProgress.value = progress))
      if (result.kind !== 'imported') return false
      imported.value = { name: result.name, queries: result.queries }
      return true
    } catch (cause) {
      importError.value = message(cause)
      return false
    } finally {
      importing.value = null
      importProgress.value = null
    }
  }

  function dismiss(): void {
    imported.value = null
    importError.value = null
  }

  client.on('load.progress', (next) => {
    if (importing.value !== null && next.task === 'import') importProgress.value = next
  })

  return { importing, importProgress, imported, importError, open, importFile, dismiss }
})
