/**
 * The Electron transport: the preload bridge already speaks `ProfilerClient` over IPC, and
 * IPC cannot drop while the window lives, so the line is always `open`.
 */
import type { PreloadBridge } from '@shared/api'
import type { RendererClient } from './transport'

export function createIpcClient(bridge: PreloadBridge): RendererClient {
  return {
    state: 'open',
    request: (channel, ...args) => bridge.request(channel, ...args),
    on: (channel, listener) => bridge.on(channel, listener),
    onStateChange: () => () => {},
    close: () => {},
  }
}
