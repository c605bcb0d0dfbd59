/** The main window: sandboxed, isolated, no Node, loading only our own built renderer. */
import { BrowserWindow } from 'electron'
import { fileURLToPath } from 'node:url'

export const RENDERER_INDEX = fileURLToPath(new URL('../renderer/index.html', import.meta.url))
const PRELOAD = fileURLToPath(new URL('../preload/index.cjs', import.meta.url))

export function createMainWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 560,
    show: false,
    title: 'FastORM Profiler',
    backgroundColor: '#16181d',
    webPreferences: {
      preload: PRELOAD,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  })
  window.once('ready-to-show', () => window.show())
  void window.loadFile(RENDERER_INDEX)
  return window
}
