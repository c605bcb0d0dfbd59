import type { PreloadBridge } from '../shared/api'

declare global {
  interface Window {
    /** Present in the Electron window only; browser mode talks over a WebSocket instead. */
    fastormProfiler?: PreloadBridge
  }
}

export {}
