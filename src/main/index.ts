/**
 * The Electron entry: app lifecycle and the window, nothing else. The core it starts is the
 * same one `fastorm-profiler serve` starts; the shell only adds the window and the IPC bridge.
 */
import { app, BrowserWindow, dialog } from 'electron'
import { startCore, type Core } from './core/core'
import { registerIpc } from './shell/ipc-main'
import { createMainWindow } from './shell/window'
import { hardenApp } from './shell/hardening'
import { electronStoreOption } from './store/native-binding'

let core: Core | undefined

// One window per machine: a second launch focuses the first instead of fighting for the port.
if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  hardenApp()
  app.on('second-instance', () => {
    const [window] = BrowserWindow.getAllWindows()
    if (window) {
      if (window.isMinimized()) window.restore()
      window.focus()
    }
  })

  app.whenReady().then(async () => {
    // The session library needs better-sqlite3 built for Electron's ABI; without it, live only.
    const { store, message } = electronStoreOption(app.getAppPath(), process.resourcesPath)
    try {
      core = await startCore({ uiDir: false, store })
    } catch (error) {
      dialog.showErrorBox('FastORM Profiler could not start', describeStartError(error))
      app.quit()
      return
    }
    if (message ?? core.libraryError) console.warn(message ?? core.libraryError)
    const window = createMainWindow()
    registerIpc(core.profiler, window)

    // macOS keeps apps running without windows; re-create one when the dock icon is clicked.
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0 && core)
        registerIpc(core.profiler, createMainWindow())
    })
  })

  // On macOS closing the last window leaves the app in the dock, as users there expect.
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })

  app.on('will-quit', () => {
    void core?.close()
  })
}

function describeStartError(error: unknown): string {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    return 'Port 7420 is in use: is `fastorm-profiler serve` already running? Stop it and start again.'
  }
  return error instanceof Error ? error.message : String(error)
}
