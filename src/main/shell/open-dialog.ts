/**
 * Session files in the Electron window: "Open file" and "Import file" ask with the native
 * open dialog here, in the main process, and the core reads the file where it is. The page
 * never names a path (browser mode uploads the file instead: server/uploads.ts).
 */
import { dialog, type BrowserWindow, type OpenDialogOptions } from 'electron'
import { basename } from 'node:path'
import type { FileLoadRequest, FileLoadResult } from '../../shared/library'
import type { Profiler } from '../core/profiler'

export async function loadWithOpenDialog(
  window: BrowserWindow | null,
  profiler: Profiler,
  request: FileLoadRequest,
): Promise<FileLoadResult> {
  const options: OpenDialogOptions = {
    title: request.action === 'import' ? 'Import a session file' : 'Open a session file',
    filters: [
      { name: 'FastORM Profiler session', extensions: ['json'] },
      { name: 'All files', extensions: ['*'] },
    ],
    properties: ['openFile'],
  }
  const choice = window
    ? await dialog.showOpenDialog(window, options)
    : await dialog.showOpenDialog(options)
  const path = choice.filePaths[0]
  if (choice.canceled || !path) return { kind: 'canceled' }
  return profiler.loadFile(request, { path, fileName: basename(path) })
}
