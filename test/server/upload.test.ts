/**
 * Browser mode's `POST /upload` over real HTTP on port 0, then `file.load` over the real RPC
 * socket: the token and the page's own Origin are required, a file over the limit is cut off
 * with a clear error, a good file is viewed or imported and its temp copy deleted, a bad one
 * shows the loader's error and changes nothing.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { resolve } from 'node:path'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCore, type Core } from '../../src/main/core/core'
import { UploadShelf } from '../../src/main/server/uploads'
import type { FileLoadResult, UploadResult, ViewedSession } from '../../src/shared/library'
import { tempDir } from '../store/helpers'

const FIXTURE = resolve(__dirname, '../fixtures/sessions/pre-release.json')
const MAX_UPLOAD = 64 * 1024
const folder = tempDir('fop-upload-')
let core: Core

beforeAll(async () => {
  core = await startCore({
    port: 0,
    dataDir: folder.path,
    uiDir: false,
    store: { intervalMs: 50 },
    maxUploadBytes: MAX_UPLOAD,
  })
})
afterAll(async () => {
  await core.close()
  folder.remove()
})

const own = () => `http://127.0.0.1:${core.server.port}`

interface Reply {
  status: number
  body: string
}

/** A POST as the page makes it: its cookie and its Origin, unless told otherwise. */
function upload(
  body: Buffer | string,
  options: {
    token?: string | null
    origin?: string | null
    fileName?: string
    chunked?: boolean
    method?: string
    host?: string
  } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream' }
  const token = options.token === undefined ? core.token : options.token
  if (token !== null) headers.Cookie = `fastorm_profiler_token=${encodeURIComponent(token)}`
  const origin = options.origin === undefined ? own() : options.origin
  if (origin !== null) headers.Origin = origin
  if (options.fileName) headers['X-File-Name'] = encodeURIComponent(options.fileName)
  if (options.host) headers.Host = options.host
  const bytes = typeof body === 'string' ? Buffer.from(body) : body
  if (!options.chunked) headers['Content-Length'] = String(bytes.length)
  return new Promise((resolvePromise, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: core.server.port,
        path: '/upload',
        method: options.method ?? 'POST',
        headers,
      },
      (response) => {
        let text = ''
        response.on('data', (chunk: Buffer) => (text += chunk.toString()))
        response.on('end', () => resolvePromise({ status: response.statusCode ?? 0, body: text }))
      },
    )
    // A refused upload is answered before its body is read; the rest may not get through.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error)
    })
    if (options.chunked) {
      // Sent in pieces without a Content-Length: the limit is found while streaming.
      for (let at = 0; at < bytes.length; at += 8192) req.write(bytes.subarray(at, at + 8192))
      req.end()
    } else req.end(bytes)
  })
}

async function rpc<T>(channel: string, ...args: unknown[]): Promise<T> {
  const socket = new WebSocket(
    `ws://127.0.0.1:${core.server.port}/rpc?token=${encodeURIComponent(core.token)}`,
    { origin: own() },
  )
  await new Promise((done, fail) => {
    socket.once('open', done)
    socket.once('error', fail)
  })
  try {
    return await new Promise<T>((done, fail) => {
      socket.on('message', (data) => {
        const frame = JSON.parse(data.toString())
        if (frame.id !== 1) return
        if (frame.error !== undefined) fail(new Error(frame.error))
        else done(frame.result as T)
      })
      socket.send(JSON.stringify({ id: 1, channel, args }))
    })
  } finally {
    socket.close()
  }
}

/** Files in the core's private upload folder (received, not yet read and deleted). */
function uploadedFiles(): string[] {
  const folder = core.uploads.folderPath
  return folder && existsSync(folder) ? readdirSync(folder) : []
}

describe('POST /upload', () => {
  it('refuses a request without the token, from another origin, or with no Origin', async () => {
    const file = readFileSync(FIXTURE)
    expect(await upload(file, { token: null })).toMatchObject({ status: 401 })
    expect(await upload(file, { token: 'wrong-token-wrong-token' })).toMatchObject({ status: 401 })
    expect(await upload(file, { origin: 'http://evil.example' })).toMatchObject({
      status: 403,
      body: 'origin not allowed\n',
    })
    expect(await upload(file, { origin: null })).toMatchObject({ status: 403 })
    expect(await upload(file, { host: 'evil.example' })).toMatchObject({ status: 421 })
    expect(await upload(file, { method: 'PUT' })).toMatchObject({ status: 405 })
  })

  it('refuses a file over the limit, declared or found while streaming, and keeps none of it', async () => {
    const before = uploadedFiles().length
    const big = Buffer.alloc(MAX_UPLOAD + 1, 0x20)
    const declared = await upload(big)
    expect(declared).toEqual({
      status: 413,
      body: 'the file is larger than the 64 KiB an upload may be\n',
    })
    const streamed = await upload(big, { chunked: true })
    expect(streamed.status).toBe(413)
    expect(uploadedFiles().length).toBe(before)
  })

  it('takes a session file, which file.load then opens once and deletes', async () => {
    const reply = await upload(readFileSync(FIXTURE), { fileName: 'pre-release.json' })
    expect(reply.status).toBe(200)
    const { id, bytes } = JSON.parse(reply.body) as UploadResult
    expect(bytes).toBe(readFileSync(FIXTURE).length)
    expect(uploadedFiles().length).toBeGreaterThan(0)

    const result = await rpc<FileLoadResult>('file.load', { action: 'open', upload: id })
    expect(result).toMatchObject({
      kind: 'opened',
      viewed: { kind: 'file', fileName: 'pre-release.json', queries: 8 },
    })
    expect((await rpc<{ total: number }>('queries.page', { offset: 0, limit: 10 })).total).toBe(8)
    expect(uploadedFiles()).toEqual([])
    await expect(rpc('file.load', { action: 'open', upload: id })).rejects.toThrow(/no such upload/)
    await rpc('view.live')
  })

  it('imports an uploaded file into the library under its own name', async () => {
    const reply = await upload(readFileSync(FIXTURE), { fileName: '../../etc/Pre-release.json' })
    const { id } = JSON.parse(reply.body) as UploadResult
    const result = await rpc<FileLoadResult>('file.load', { action: 'import', upload: id })
    expect(result).toMatchObject({ kind: 'imported', queries: 8 })
    const stored = await core.library!.store.get((result as { id: string }).id)
    expect(stored?.queryCount).toBe(8)
    expect(JSON.stringify(stored?.settings)).toContain('Pre-release.json')
    expect(JSON.stringify(stored?.settings)).not.toContain('etc')
  })

  it('shows the loader’s error for a bad file, and changes neither the view nor the library', async () => {
    const viewed = await rpc<ViewedSession>('view.get')
    const listed = (await core.library!.store.list()).length
    const text = readFileSync(FIXTURE, 'utf8')
    for (const [body, message] of [
      [text.slice(0, text.length - 200), /truncated|end of/i],
      ['{"format": "something-else", "version": 1}', /format/],
      ['{"format": "fastorm-profiler-session", "version": 7}', /version 7/],
    ] as const) {
      for (const action of ['open', 'import']) {
        const { id } = JSON.parse((await upload(body)).body) as UploadResult
        await expect(rpc('file.load', { action, upload: id })).rejects.toThrow(message)
      }
    }
    expect(await rpc('view.get')).toEqual(viewed)
    expect((await core.library!.store.list()).length).toBe(listed)
    expect(uploadedFiles()).toEqual([])
  })
})

describe('the upload shelf', () => {
  it('forgets an upload nobody took, and deletes its file', async () => {
    const shelf = new UploadShelf(30)
    const file = shelf.reservePath()
    writeFileSync(file, '{}')
    const id = shelf.add({ file, fileName: 'x.json' })
    await new Promise((done) => setTimeout(done, 80))
    expect(shelf.take(id)).toBeUndefined()
    expect(existsSync(file)).toBe(false)
    shelf.close()
  })
})
