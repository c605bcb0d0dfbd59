/**
 * The main side of the IPC bridge: one handler per request channel of src/shared/api.ts,
 * and the core's pushed events forwarded to the window. Nothing else imports ipcMain.
 * Every call is checked: it must come from our window's top frame showing our own page,
 * and its arguments must pass the same schemas the browser-mode RPC uses.
 * `library.export` is answered here rather than by the core: it opens the save dialog; and
 * `file.load` without an upload: it opens the open dialog.
 */
import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron'
import { pathToFileURL } from 'node:url'
import { EVENT_CHANNELS, REQUEST_CHANNELS } from '../../shared/api'
import type { ExportRequest, FileLoadRequest } from '../../shared/library'
import { requestArgsSchemas } from '../../shared/api-schemas'
import type { Profiler } from '../core/profiler'
import { describeZodError } from '../ingest/agent-connection'
import { invoke } from '../server/rpc'
import { exportWithSaveDialog } from './export-dialog'
import { loadWithOpenDialog } from './open-dialog'
import { RENDERER_INDEX } from './window'

const OWN_PAGE = pathToFileURL(RENDERER_INDEX).href
let handlersRegistered = false
let currentProfiler: Profiler | undefined
const windows = new Set<BrowserWindow>()

function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame
  if (!frame || frame.parent !== null) return false
  const url = frame.url.split('#')[0]
  return url === OWN_PAGE && [...windows].some((window) => window.webContents === event.sender)
}

export function registerIpc(profiler: Profiler, window: BrowserWindow): void {
  currentProfiler = profiler
  windows.add(window)
  const unsubscribers = EVENT_CHANNELS.map((channel) =>
    profiler.onEvent(channel, (payload) => {
      if (!window.isDestroyed()) window.webContents.send(channel, payload)
    }),
  )
  window.on('closed', () => {
    windows.delete(window)
    unsubscribers.forEach((off) => off())
  })

  if (handlersRegistered) return
  handlersRegistered = true
  for (const channel of REQUEST_CHANNELS) {
    ipcMain.handle(channel, (event, ...args: unknown[]) => {
      if (!isTrustedSender(event))
        throw new Error(`refused ${channel}: not sent by the profiler's own page`)
      const parsed = requestArgsSchemas[channel].safeParse(args)
      if (!parsed.success) throw new Error(`${channel}: ${describeZodError(parsed.error)}`)
      if (!currentProfiler) throw new Error('the profiler is not running')
      if (channel === 'library.export') {
        const [request] = parsed.data as [ExportRequest]
        return exportWithSaveDialog(
          BrowserWindow.fromWebContents(event.sender),
          currentProfiler,
          request,
        )
      }
      if (channel === 'file.load') {
        const [request] = parsed.data as [FileLoadRequest]
        if (request.upload === undefined) {
          return loadWithOpenDialog(
            BrowserWindow.fromWebContents(event.sender),
            currentProfiler,
            request,
          )
        }
      }
      return invoke(currentProfiler, channel, parsed.data as unknown[])
    })
  }
}
