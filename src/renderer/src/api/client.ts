/**
 * Picks the transport once at start-up and hands it to the app by provide/inject, so stores
 * and components ask for "the client" and tests provide a fake one.
 */
import { inject, type InjectionKey } from 'vue'
import { createIpcClient } from './ipc-client'
import { createWsClient } from './ws-client'
import { rpcUrl, takeBrowserToken } from './browser-token'
import type { RendererClient } from './transport'

export const profilerClientKey: InjectionKey<RendererClient> = Symbol('profilerClient')

/** Electron when the preload bridge is there, browser mode (WebSocket RPC) otherwise. */
export function createProfilerClient(win: Window = window): RendererClient {
  if (win.fastormProfiler) return createIpcClient(win.fastormProfiler)
  const token = takeBrowserToken(win.location, win.sessionStorage, win.history)
  return createWsClient({ url: rpcUrl(win.location, token) })
}

/** The client the app was given; valid in component setup and in setup stores. */
export function useProfilerClient(): RendererClient {
  const client = inject(profilerClientKey, null)
  if (!client) throw new Error('no profiler client was provided to the app')
  return client
}
