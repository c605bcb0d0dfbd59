/**
 * Exports in the Electron window: the main process asks where with the native save dialog
 * and writes the file itself, so the renderer never holds the content (a session file can
 * be hundreds of megabytes) and never gets to name a path. Browser mode downloads instead
 * (src/main/export/downloads.ts).
 */
import { app, dialog, type BrowserWindow, type FileFilter, type SaveDialogOptions } from 'electron'
import { join } from 'node:path'
import type { ExportFormat, ExportRequest, ExportResult } from '../../shared/library'
import type { Profiler } from '../core/profiler'

const FILTERS: Record<ExportFormat, FileFilter> = {
  json: { name: 'FastORM Profiler session', extensions: ['json'] },
  'report-json': { name: 'JSON report', extensions: ['json'] },
  text: { name: 'Text report', extensions: ['txt'] },
  markdown: { name: 'Markdown report', extensions: ['md'] },
  html: { name: 'HTML report', extensions: ['html', 'htm'] },
}

export async function exportWithSaveDialog(
  window: BrowserWindow | null,
  profiler: Profiler,
  request: ExportRequest,
): Promise<ExportResult> {
  // Settled first: an unknown session fails before the dialog opens, not after.
  const job = await profiler.prepareExport(request)
  const options: SaveDialogOptions = {
    title: 'Export session',
    defaultPath: join(app.getPath('downloads'), job.fileName),
    filters: [FILTERS[request.format], { name: 'All files', extensions: ['*'] }],
    properties: ['createDirectory', 'showOverwriteConfirmation'],
  }
  const choice = window
    ? await dialog.showSaveDialog(window, options)
    : await dialog.showSaveDialog(options)
  if (choice.canceled || !choice.filePath) return { kind: 'canceled' }
  const bytes = await job.write(choice.filePath)
  return { kind: 'saved', path: choice.filePath, bytes }
}
