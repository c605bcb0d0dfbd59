/**
 * Who may talk to the server at all, checked before any token is looked at.
 *
 * Two browser attacks reach a server on loopback from an ordinary web page:
 * - Cross-site WebSocket hijacking: a page on evil.example opens ws://127.0.0.1:7420/agent.
 *   Browsers do not apply the same-origin policy to WebSockets, but they always send an
 *   `Origin` header. Agents are not browsers and send none, so the agent endpoint refuses
 *   any request that carries an Origin; the browser-mode RPC accepts only its own origin.
 * - DNS rebinding: evil.example re-points its DNS name at 127.0.0.1, so the page becomes
 *   "same origin" with us. The `Host` header still says evil.example, so every HTTP request
 *   and upgrade must name a host we answer to: loopback names, or the host the user bound.
 * The token then stops everything else (other local users, processes that guess the port).
 */
import type { IncomingMessage } from 'node:http'

/** Host names (without port) the server answers to. */
export function allowedHostNames(bindHost: string): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]', '::1'])
  if (bindHost && bindHost !== '0.0.0.0' && bindHost !== '::') {
    names.add(bindHost.includes(':') && !bindHost.startsWith('[') ? `[${bindHost}]` : bindHost)
  }
  return names
}

/** Splits a Host header into name and port; undefined when it is not a host[:port]. */
export function parseHostHeader(host: string): { name: string; port?: number } | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(host.trim())
  if (!match) return undefined
  return { name: match[1]!.toLowerCase(), port: match[2] ? Number(match[2]) : undefined }
}

export function isAllowedHost(
  hostHeader: string | undefined,
  allowedNames: Set<string>,
  port: number,
): boolean {
  if (!hostHeader) return false
  const parsed = parseHostHeader(hostHeader)
  if (!parsed) return false
  // Browsers omit the port for 80; we never listen there by default, but a user may.
  const portMatches = parsed.port === undefined ? port === 80 : parsed.port === port
  return portMatches && allowedNames.has(parsed.name)
}

/** The origins the browser-mode page itself has: http://<allowed host>:<port>. */
export function isOwnOrigin(origin: string, allowedNames: Set<string>, port: number): boolean {
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    return false
  }
  if (url.protocol !== 'http:') return false
  const name = url.hostname.toLowerCase()
  const urlPort = url.port === '' ? 80 : Number(url.port)
  return urlPort === port && allowedNames.has(name)
}

export type GuardVerdict = { ok: true } | { ok: false; status: number; reason: string }

/** Host check for every HTTP request and upgrade. */
export function checkHost(
  request: IncomingMessage,
  allowedNames: Set<string>,
  port: number,
): GuardVerdict {
  if (!isAllowedHost(request.headers.host, allowedNames, port)) {
    return { ok: false, status: 421, reason: 'Host header names a host this server does not serve' }
  }
  return { ok: true }
}
