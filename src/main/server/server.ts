/**
 * The one port the core listens on (7420 by default, loopback):
 * - `GET /agent` upgrade: the agent endpoint (token in `Authorization: Bearer`, no Origin);
 * - `GET /rpc` upgrade: the browser-mode API (token in `?token=` or the cookie set with the
 *   page, and only from the page's own origin);
 * - `GET /` and `/assets/*`: the built renderer, for browser mode;
 * - `GET /download/<id>`: an export, once, as an attachment (token as for the page);
 * - `POST /upload`: a session file from the page (token as for the page, and only from the
 *   page's own origin), streamed to a private temp file, answered with its id for
 *   `file.load` (see uploads.ts).
 * Every request and upgrade must first name an allowed Host (see request-guard.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createReadStream, createWriteStream } from 'node:fs'
import { Transform } from 'node:stream'
import { readFile, stat } from 'node:fs/promises'
import { extname, resolve, sep } from 'node:path'
import { WebSocketServer } from 'ws'
import type { Profiler } from '../core/profiler'
import { handleAgentConnection } from '../ingest/agent-connection'
import { bearerToken, tokensMatch } from '../ingest/auth'
import { allowedHostNames, checkHost, isOwnOrigin } from '../ingest/request-guard'
import { handleRpcConnection } from './rpc'
import { DOWNLOAD_PATH_PREFIX, type DownloadShelf } from '../export/downloads'
import { UPLOAD_PATH, type UploadResult } from '../../shared/library'
import type { UploadShelf } from './uploads'

export const DEFAULT_PORT = 7420
export const DEFAULT_HOST = '127.0.0.1'
/** Largest agent message accepted; ws closes the connection with 1009 above it. */
export const DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024
/** Largest session file the page may upload (a million queries take a few hundred MB). */
export const DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024 * 1024 * 1024
const TOKEN_COOKIE = 'fastorm_profiler_token'

export interface ServerOptions {
  profiler: Profiler
  token: string
  port?: number
  host?: string
  maxPayload?: number
  /** The built renderer (`out/renderer`); without it the server only takes agents and RPC. */
  uiDir?: string
  /** Browser mode's exports, served once each from `/download/<id>`. */
  downloads?: DownloadShelf
  /** Where `POST /upload` puts session files for `file.load`; without it, no uploads. */
  uploads?: UploadShelf
  /** Largest upload accepted, in bytes (default 2 GiB). */
  maxUploadBytes?: number
}

export interface RunningServer {
  server: Server
  port: number
  host: string
  agentUrl: string
  /** The browser-mode UI, with the token in the query string. */
  uiUrl: string
  close(): Promise<void>
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
}

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  // The page URL carries the token: never send it on as a Referer.
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { profiler, token } = options
  const host = options.host ?? DEFAULT_HOST
  const maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD
  const allowedNames = allowedHostNames(host)
  let port = options.port ?? DEFAULT_PORT

  const agentWss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false })
  const rpcWss = new WebSocketServer({
    noServer: true,
    maxPayload: 1024 * 1024,
    perMessageDeflate: false,
  })
  agentWss.on('connection', (socket) => handleAgentConnection(socket, profiler, maxPayload))
  rpcWss.on('connection', (socket) => handleRpcConnection(socket, profiler))

  const server = createServer((request, response) => {
    const host = checkHost(request, allowedNames, port)
    if (!host.ok) return sendText(response, host.status, host.reason)
    const path = request.url?.split('?')[0]
    const serve = request.url?.startsWith(DOWNLOAD_PATH_PREFIX)
      ? serveDownload(request, response, options.downloads, token)
      : path === UPLOAD_PATH
        ? receiveUpload(request, response, {
            uploads: options.uploads,
            token,
            maxBytes: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
            ownOrigin: (origin) => isOwnOrigin(origin, allowedNames, port),
          })
        : serveUi(request, response, options.uiDir, token)
    serve.catch(() => {
      if (!response.headersSent) sendText(response, 500, 'internal error')
      else response.destroy()
    })
  })

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    const hostVerdict = checkHost(request, allowedNames, port)
    if (!hostVerdict.ok) return refuseUpgrade(socket, hostVerdict.status, hostVerdict.reason)
    const url = new URL(request.url ?? '/', 'http://localhost')
    const origin = request.headers.origin
    if (url.pathname === '/agent') {
      if (origin !== undefined) {
        return refuseUpgrade(
          socket,
          403,
          'agents do not send an Origin; browsers may not connect here',
        )
      }
      if (!tokensMatch(token, bearerToken(request.headers.authorization))) {
        return refuseUpgrade(socket, 401, 'missing or wrong token (Authorization: Bearer <token>)')
      }
      agentWss.handleUpgrade(request, socket, head, (ws) =>
        agentWss.emit('connection', ws, request),
      )
      return
    }
    if (url.pathname === '/rpc') {
      if (origin === undefined || !isOwnOrigin(origin, allowedNames, port)) {
        return refuseUpgrade(socket, 403, 'origin not allowed')
      }
      const presented = url.searchParams.get('token') ?? readCookie(request, TOKEN_COOKIE)
      if (!tokensMatch(token, presented))
        return refuseUpgrade(socket, 401, 'missing or wrong token')
      rpcWss.handleUpgrade(request, socket, head, (ws) => rpcWss.emit('connection', ws, request))
      return
    }
    refuseUpgrade(socket, 404, 'no WebSocket endpoint here; agents connect to /agent')
  })

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolvePromise()
    })
  })
  const address = server.address()
  if (address && typeof address === 'object') port = address.port
  // Keep the process alive on a stray socket error rather than crash the app.
  server.on('clientError', (_error, socket) => socket.destroy())

  const urlHost =
    host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  const agentUrl = `ws://${urlHost}:${port}/agent`
  const uiUrl = `http://${urlHost}:${port}/?token=${encodeURIComponent(token)}`
  profiler.setEndpoint(agentUrl, token)

  return {
    server,
    port,
    host,
    agentUrl,
    uiUrl,
    close: () =>
      new Promise<void>((resolvePromise) => {
        for (const client of agentWss.clients) client.terminate()
        for (const client of rpcWss.clients) client.terminate()
        agentWss.close()
        rpcWss.close()
        server.close(() => resolvePromise())
        server.closeAllConnections()
      }),
  }
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const statusText: Record<number, string> = {
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    421: 'Misdirected Request',
  }
  const body = reason + '\n'
  socket.end(
    `HTTP/1.1 ${status} ${statusText[status] ?? 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS })
  response.end(text + '\n')
}

function readCookie(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=')
    if (key === name) return decodeURIComponent(value.join('='))
  }
  return undefined
}

/**
 * An export, to the page that asked for it: the token (the page's cookie) and the one-time
 * id both needed. Always an attachment, so an HTML report is saved, never shown in (and
 * never able to script) the profiler's own origin.
 */
async function serveDownload(
  request: IncomingMessage,
  response: ServerResponse,
  downloads: DownloadShelf | undefined,
  token: string,
): Promise<void> {
  if (request.method !== 'GET') return sendText(response, 405, 'method not allowed')
  const url = new URL(request.url ?? '/', 'http://localhost')
  const presented = url.searchParams.get('token') ?? readCookie(request, TOKEN_COOKIE)
  // Checked before the id is taken, so a request without the token cannot spend it.
  if (!tokensMatch(token, presented)) return sendText(response, 401, 'missing or wrong token')
  const download = downloads?.take(url.pathname)
  if (!download) return sendText(response, 404, 'no such download (each is served once)')
  try {
    const { size } = await stat(download.file)
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': download.contentType,
      'Content-Length': String(size),
      'Content-Disposition': attachment(download.fileName),
      'Cache-Control': 'no-store',
    })
    await pipeline(createReadStream(download.file), response)
  } finally {
    await downloads!.done(download.file)
  }
}

/** Too much was sent: the upload stops there. */
class UploadTooLargeError extends Error {}

/**
 * A session file from the page. The same checks as `/rpc`: the token (the page's cookie),
 * and an Origin that is the page's own — a browser sends one with every POST, so a form or
 * script on another site is refused before a byte is written. The body is streamed to a
 * private temp file (mode 0600), never held whole, and cut off past `maxBytes`.
 */
async function receiveUpload(
  request: IncomingMessage,
  response: ServerResponse,
  options: {
    uploads: UploadShelf | undefined
    token: string
    maxBytes: number
    ownOrigin: (origin: string) => boolean
  },
): Promise<void> {
  // Sent with Connection: close: a refused upload's body is not read.
  const refuse = (status: number, text: string) => {
    response.setHeader('Connection', 'close')
    sendText(response, status, text)
    request.resume()
  }
  if (request.method !== 'POST') return refuse(405, 'method not allowed')
  const origin = request.headers.origin
  if (origin === undefined || !options.ownOrigin(origin)) return refuse(403, 'origin not allowed')
  const url = new URL(request.url ?? '/', 'http://localhost')
  const presented = url.searchParams.get('token') ?? readCookie(request, TOKEN_COOKIE)
  if (!tokensMatch(options.token, presented)) return refuse(401, 'missing or wrong token')
  const uploads = options.uploads
  if (!uploads) return refuse(404, 'this server takes no uploads')
  const tooLarge = `the file is larger than the ${formatLimit(options.maxBytes)} an upload may be`
  const declared = Number(request.headers['content-length'])
  if (Number.isFinite(declared) && declared > options.maxBytes) return refuse(413, tooLarge)

  const fileName = uploadFileName(request.headers['x-file-name'])
  const file = uploads.reservePath(fileName)
  let bytes = 0
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length
      if (bytes > options.maxBytes) done(new UploadTooLargeError())
      else done(null, chunk)
    },
  })
  try {
    await pipeline(request, limit, createWriteStream(file, { mode: 0o600 }))
  } catch (error) {
    await uploads.done(file)
    if (error instanceof UploadTooLargeError) return refuse(413, tooLarge)
    // The page went away part-way: nobody is left to answer.
    return void response.destroy()
  }
  const result: UploadResult = { id: uploads.add({ file, fileName }), bytes }
  const body = JSON.stringify(result)
  response.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
  })
  response.end(body)
}

/** The user's file name (`X-File-Name`, percent-encoded), as a name only: never a path. */
function uploadFileName(header: string | string[] | undefined): string {
  let name = ''
  try {
    name = decodeURIComponent(typeof header === 'string' ? header : '')
  } catch {
    // Not valid percent-encoding: no name.
  }
  // eslint-disable-next-line no-control-regex -- control characters are what it removes
  name = (name.split(/[\\/]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 200)
  name = name.trim()
  return name === '' || /^\.+$/.test(name) ? 'uploaded session.json' : name
}

function formatLimit(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${Number(value.toFixed(1))} ${units[unit]}`
}

/** RFC 6266: an ASCII fallback name, and the real one in UTF-8 for the browsers that read it. */
function attachment(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_')
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`
}

/**
 * The page needs the token (in the URL, or the cookie set on the first visit); the assets
 * are the public build and need none.
 */
async function serveUi(
  request: IncomingMessage,
  response: ServerResponse,
  uiDir: string | undefined,
  token: string,
): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD')
    return sendText(response, 405, 'method not allowed')
  const url = new URL(request.url ?? '/', 'http://localhost')
  if (url.pathname === '/healthz') return sendText(response, 200, 'ok')
  if (!uiDir) return sendText(response, 404, 'this server has no UI; agents connect to /agent')

  const isPage = url.pathname === '/' || url.pathname === '/index.html'
  const headers: Record<string, string> = { ...SECURITY_HEADERS }
  if (isPage) {
    const presented = url.searchParams.get('token') ?? readCookie(request, TOKEN_COOKIE)
    if (!tokensMatch(token, presented)) {
      return sendText(
        response,
        401,
        'FastORM Profiler: open the URL the profiler printed; it carries the access token.',
      )
    }
    headers['Set-Cookie'] =
      `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`
    headers['Cache-Control'] = 'no-store'
  }

  const root = resolve(uiDir)
  const file = resolve(root, '.' + (isPage ? '/index.html' : decodeURIComponent(url.pathname)))
  if (file !== root && !file.startsWith(root + sep)) return sendText(response, 404, 'not found')
  let body: Buffer
  try {
    body = await readFile(file)
  } catch {
    return sendText(response, 404, 'not found')
  }
  headers['Content-Type'] = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream'
  headers['Content-Length'] = String(body.length)
  response.writeHead(200, headers)
  response.end(request.method === 'HEAD' ? undefined : body)
}
