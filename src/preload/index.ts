/**
 * The preload bridge: exposes the shared API to the sandboxed renderer as two narrow
 * functions on `window.fastormProfiler`. Channels are checked against the allow-lists of
 * src/shared/api.ts; the raw ipcRenderer never reaches the page.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { EVENT_CHANNELS, REQUEST_CHANNELS, type PreloadBridge } from '../shared/api'

const requestChannels = new Set<string>(REQUEST_CHANNELS)
const eventChannels = new Set<string>(EVENT_CHANNELS)

const bridge: PreloadBridge = {
  request(channel, ...args) {
    if (!requestChannels.has(channel))
      return Promise.reject(new Error(`unknown channel ${String(channel)}`))
    return ipcRenderer.invoke(channel, ...args)
  },
  on(channel, listener) {
    if (!eventChannels.has(channel)) throw new Error(`unknown event ${String(channel)}`)
    const forward = (_event: IpcRendererEvent, payload: unknown) => listener(payload as never)
    ipcRenderer.on(channel, forward)
    return () => {
      ipcRenderer.removeListener(channel, forward)
    }
  },
}

contextBridge.exposeInMainWorld('fastormProfiler', bridge)
