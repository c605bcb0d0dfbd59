/**
 * Browser mode's token: the core prints `http://127.0.0.1:PORT/?token=...`; the page keeps
 * the token for this tab (so a reload without it still connects) and takes it out of the
 * address bar, where it would end up in the history, screenshots and shared links.
 */

const STORAGE_KEY = 'fastorm-profiler.token'

export function takeBrowserToken(
  location: Pick<Location, 'href'>,
  storage: Pick<Storage, 'getItem' | 'setItem'>,
  history: Pick<History, 'replaceState' | 'state'>,
): string | null {
  const url = new URL(location.href)
  const fromUrl = url.searchParams.get('token')
  if (fromUrl) {
    storage.setItem(STORAGE_KEY, fromUrl)
    url.searchParams.delete('token')
    history.replaceState(history.state, '', url.pathname + url.search + url.hash)
    return fromUrl
  }
  return storage.getItem(STORAGE_KEY)
}

/** The RPC socket's URL: same origin as the page, so the core's Origin check passes. */
export function rpcUrl(
  location: Pick<Location, 'protocol' | 'host'>,
  token: string | null,
): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  const query = token ? `?token=${encodeURIComponent(token)}` : ''
  return `${scheme}://${location.host}/rpc${query}`
}
