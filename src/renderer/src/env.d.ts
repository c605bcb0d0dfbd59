/// <reference types="vite/client" />
import type { PreloadBridge } from '@shared/api'

declare global {
  interface Window {
    /** Set by the Electron preload; absent in browser mode. */
    fastormProfiler?: PreloadBridge
  }
}
