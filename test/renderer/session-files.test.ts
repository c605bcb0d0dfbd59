// @vitest-environment happy-dom
/**
 * "Open file…" and "Import file…" in the Sessions view. In a browser the page uploads the
 * picked file (a stand-in XMLHttpRequest here records what is sent and answers as the core's
 * `POST /upload` does; the real endpoint is tested in test/server/upload.test.ts and in
 * Chromium by the e2e test), then asks `file.load` with the upload's id; in the desktop app
 * it asks `file.load` alone and the main process shows its open dialog.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import type { FileLoadResult, ViewedSession } from '@shared/library'
import type { PreloadBridge } from '@shared/api'
import SessionsView from '@renderer/sessions/SessionsView.vue'
import { useNavigationStore } from '@renderer/stores/navigation'
import { useViewStore } from '@renderer/stores/view'
import { FakeProfilerClient, mountOptions, profilerStatus } from './fake-client'
import { fakeLibrary, storedSession, T0 } from './fake-library'

interface SentUpload {
  method: string
  url: string
  headers: Record<string, string>
  body: unknown
}

/** Answers uploads with `reply` (status, text), after reporting the bytes as sent. */
let reply: { status: number; text: string } = { status: 200, text: '' }
const sent: SentUpload[] = []

class RecordingXhr {
  status = 0
  responseText = ''
  upload: { onprogress: ((event: { loaded: number; total: number }) => void) | null } = {
    onprogress: null,
  }
  onload: (() => void) | null = null
  onerror: (() => void) | null = null
  private request: SentUpload = { method: '', url: '', headers: {}, body: undefined }

  open(method: string, url: string): void {
    this.request = { method, url, headers: {}, body: undefined }
  }
  setRequestHeader(name: string, value: string): void {
    this.request.headers[name] = value
  }
  send(body: Blob): void {
    this.request.body = body
    sent.push(this.request)
    setTimeout(() => {
      this.upload.onprogress?.({ loaded: body.size, total: body.size })
      this.status = reply.status
      this.responseText = reply.text
      this.onload?.()
    })
  }
}

const mounted: VueWrapper[] = []
const original = globalThis.XMLHttpRequest
beforeEach(() => {
  sent.length = 0
  reply = { status: 200, text: JSON.stringify({ id: 'upload-id-0123456789', bytes: 7 }) }
  globalThis.XMLHttpRequest = RecordingXhr as unknown as typeof XMLHttpRequest
})
afterEach(() => {
  for (const wrapper of mounted.splice(0)) wrapper.unmount()
  document.body.innerHTML = ''
  globalThis.XMLHttpRequest = original
  delete window.fastormProfiler
})

const OPENED: ViewedSession = {
  kind: 'file',
  id: 'file-session',
  name: 'pre-release.json',
  startedAt: T0,
  endedAt: T0 + 10_000,
  queries: 8,
  apps: [],
  fileName: 'pre-release.json',
}

async function mountView(fileLoad: (request: unknown) => FileLoadResult | Promise<FileLoadResult>) {
  const library = fakeLibrary([storedSession()])
  const client = new FakeProfilerClient({
    'status.get': () => profilerStatus(),
    ...library.handlers,
    'file.load': fileLoad,
  })
  const wrapper = mount(SessionsView, { ...mountOptions(client), attachTo: document.body })
  mounted.push(wrapper)
  await settle()
  return { wrapper, client }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await flushPromises()
  await new Promise((resolve) => setTimeout(resolve, 5))
  for (let i = 0; i < 3; i++) await flushPromises()
}

/** Clicks the button and picks `file` in the (hidden) file input, as the user would. */
async function pick(wrapper: VueWrapper, button: string, file: File): Promise<void> {
  const input = wrapper.get<HTMLInputElement>('[data-test="file-input"]')
  let clicked = false
  input.element.addEventListener('click', () => (clicked = true), { once: true })
  await wrapper.get(`[data-test="${button}"]`).trigger('click')
  expect(clicked).toBe(true)
  Object.defineProperty(input.element, 'files', { value: [file], configurable: true })
  await input.trigger('change')
  await settle()
}

const loads = (client: FakeProfilerClient) =>
  client.requests.filter((r) => r.channel === 'file.load').map((r) => r.args[0])

const sessionFile = () =>
  new File(['{"format":"fastorm-profiler-session"}'], 'pré-release.json', {
    type: 'application/json',
  })

describe('session files in a browser', () => {
  it('uploads the picked file, then imports it, and lists it', async () => {
    const { wrapper, client } = await mountView(() => ({
      kind: 'imported',
      id: 'imported-1',
      name: 'Pre-release',
      queries: 8,
    }))
    const lists = client.requests.filter((r) => r.channel === 'library.list').length
    await pick(wrapper, 'import-file', sessionFile())

    expect(sent).toHaveLength(1)
    expect(sent[0]).toMatchObject({
      method: 'POST',
      url: '/upload',
      headers: { 'X-File-Name': encodeURIComponent('pré-release.json') },
    })
    expect(loads(client)).toEqual([{ action: 'import', upload: 'upload-id-0123456789' }])
    expect(wrapper.get('[data-test="import-done"]').text()).toContain(
      'Imported Pre-release (8 queries)',
    )
    expect(client.requests.filter((r) => r.channel === 'library.list').length).toBeGreaterThan(
      lists,
    )
  })

  it('opens the picked file in every view', async () => {
    const { wrapper, client } = await mountView(() => ({ kind: 'opened', viewed: OPENED }))
    await pick(wrapper, 'open-file', sessionFile())
    expect(loads(client)).toEqual([{ action: 'open', upload: 'upload-id-0123456789' }])
    expect(useViewStore().viewed).toEqual(OPENED)
    expect(useNavigationStore().view).toBe('queries')
  })

  it('shows the loader’s error for a bad file', async () => {
    const error = 'pré-release.json: line 1, column 37: the file ends before the session does'
    const { wrapper } = await mountView(() => {
      throw new Error(error)
    })
    await pick(wrapper, 'import-file', sessionFile())
    expect(wrapper.get('[data-test="import-error"]').text()).toContain(error)

    await pick(wrapper, 'open-file', sessionFile())
    expect(useViewStore().error).toBe(error)
    expect(useViewStore().viewed).toEqual({ kind: 'live' })
  })

  it('shows why the core refused the upload, and asks nothing more', async () => {
    reply = { status: 413, text: 'the file is larger than the 2 GiB an upload may be\n' }
    const { wrapper, client } = await mountView(() => ({ kind: 'canceled' }))
    await pick(wrapper, 'import-file', sessionFile())
    expect(wrapper.get('[data-test="import-error"]').text()).toContain(
      'the file is larger than the 2 GiB an upload may be',
    )
    expect(loads(client)).toEqual([])
  })
})

describe('session files in the desktop app', () => {
  it('asks the main process, whose open dialog picks the file; a dismissed dialog changes nothing', async () => {
    window.fastormProfiler = {} as PreloadBridge
    const { wrapper, client } = await mountView(() => ({ kind: 'canceled' }))
    expect(wrapper.find('[data-test="file-input"]').exists()).toBe(false)
    await wrapper.get('[data-test="open-file"]').trigger('click')
    await settle()
    await wrapper.get('[data-test="import-file"]').trigger('click')
    await settle()
    expect(loads(client)).toEqual([{ action: 'open' }, { action: 'import' }])
    expect(sent).toEqual([])
    expect(useViewStore().error).toBeNull()
    expect(wrapper.find('[data-test="import-error"]').exists()).toBe(false)
    expect(wrapper.find('[data-test="import-done"]').exists()).toBe(false)
  })
})
