// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import type { ExportRequest, ExportResult } from '@shared/library'
import ExportDialog from '@renderer/export/ExportDialog.vue'
import { useExportStore } from '@renderer/stores/export'
import { FakeProfilerClient, mountOptions } from './fake-client'

const mounted: VueWrapper[] = []
afterEach(() => {
  for (const wrapper of mounted.splice(0)) wrapper.unmount()
  document.body.innerHTML = ''
  delete window.fastormProfiler
  vi.restoreAllMocks()
})

function mountDialog(
  exportHandler: (request: ExportRequest) => ExportResult | Promise<ExportResult>,
) {
  const client = new FakeProfilerClient({ 'library.export': exportHandler })
  const wrapper = mount(ExportDialog, { ...mountOptions(client), attachTo: document.body })
  mounted.push(wrapper)
  const store = useExportStore()
  store.openDialog({ id: 'session-a', name: 'Checkout flow' })
  return { wrapper, client, store }
}

const download: ExportResult = {
  kind: 'download',
  url: '/download/abc',
  fileName: 'Checkout flow.json',
  bytes: 2048,
}

describe('the Export dialog', () => {
  it('exports a session file, secrets redacted, and downloads it in browser mode', async () => {
    const clicked: HTMLAnchorElement[] = []
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      clicked.push(this)
    })
    const { wrapper, client } = mountDialog(() => download)
    await flushPromises()
    expect(wrapper.text()).toContain('Export Checkout flow')
    expect(wrapper.text()).toContain('Your browser downloads it')
    expect(wrapper.find('[data-test="export-sections"]').exists()).toBe(false)
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(client.requests.at(-1)?.args).toEqual([
      { id: 'session-a', format: 'json', redact: true, dropParams: false },
    ])
    expect(clicked).toHaveLength(1)
    expect(clicked[0]!.getAttribute('href')).toBe('/download/abc')
    expect(clicked[0]!.download).toBe('Checkout flow.json')
    expect(wrapper.get('[data-test="export-done"]').text()).toBe(
      'Downloaded Checkout flow.json (2.0 KiB).',
    )
  })

  it("offers a report's kind and sections, and sends the ones chosen", async () => {
    const { wrapper, client } = mountDialog(() => download)
    await flushPromises()
    await wrapper.get('input[data-format="markdown"]').setValue(true)
    const sections = wrapper.get('[data-test="export-sections"]')
    const checked = () =>
      sections
        .findAll('input[type="checkbox"]')
        .filter((box) => (box.element as HTMLInputElement).checked)
        .map((box) => box.attributes('data-section'))
    expect(checked()).toEqual(['summary', 'findings', 'fingerprints', 'slow', 'failed'])
    await sections.get('input[value="detailed"]').setValue(true)
    expect(checked()).toHaveLength(7)
    await sections.get('input[data-section="queries"]').setValue(false)
    await wrapper.get('[data-test="export-drop-params"]').setValue(true)
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(client.requests.at(-1)?.args[0]).toEqual({
      id: 'session-a',
      format: 'markdown',
      kind: 'detailed',
      sections: ['summary', 'apps', 'findings', 'fingerprints', 'slow', 'failed'],
      redact: true,
      dropParams: true,
    })
  })

  it('will not export a report without a section', async () => {
    const { wrapper } = mountDialog(() => download)
    await flushPromises()
    await wrapper.get('input[data-format="text"]').setValue(true)
    for (const box of wrapper.findAll('[data-test="export-sections"] input[type="checkbox"]')) {
      await box.setValue(false)
    }
    expect(wrapper.text()).toContain('Choose at least one section')
    expect(wrapper.get('[data-test="export-submit"]').attributes('disabled')).toBeDefined()
  })

  it('shows the progress the core pushes, and cannot be closed while it runs', async () => {
    let finish: (result: ExportResult) => void = () => {}
    const { wrapper, client, store } = mountDialog(
      () => new Promise<ExportResult>((resolve) => (finish = resolve)),
    )
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {})
    await flushPromises()
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[data-test="export-progress"]').text()).toContain('Preparing')
    client.emit('export.progress', { id: 'other', format: 'json', done: 5, total: 10 })
    client.emit('export.progress', { id: 'session-a', format: 'json', done: 4000, total: 16000 })
    await flushPromises()
    expect(wrapper.get('[data-test="export-progress"]').text()).toContain('4,000 of 16,000 queries')
    expect((wrapper.get('progress').element as HTMLProgressElement).value).toBe(25)
    store.closeDialog()
    expect(store.target).not.toBeNull()
    finish(download)
    await flushPromises()
    expect(wrapper.find('[data-test="export-progress"]').exists()).toBe(false)
    expect(wrapper.find('[data-test="export-done"]').exists()).toBe(true)
  })

  it('says why an export failed', async () => {
    const { wrapper } = mountDialog(() => {
      throw new Error('no session session-a in the library')
    })
    await flushPromises()
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[role="alert"]').text()).toBe(
      'Export failed: no session session-a in the library',
    )
  })

  it('in the desktop app, leaves the destination to the save dialog and says where it went', async () => {
    window.fastormProfiler = {
      request: () => Promise.reject(new Error('unused')),
      on: () => () => {},
    }
    const { wrapper } = mountDialog(() => ({
      kind: 'saved',
      path: '/home/dev/Downloads/Checkout flow.json',
      bytes: 3 * 1024 * 1024,
    }))
    await flushPromises()
    expect(wrapper.text()).toContain('You choose where to save it next.')
    expect(wrapper.get('[data-test="export-submit"]').text()).toBe('Export…')
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[data-test="export-done"]').text()).toBe(
      'Saved to /home/dev/Downloads/Checkout flow.json (3.0 MiB).',
    )
  })

  it('stays open, unchanged, when the save dialog is dismissed', async () => {
    const { wrapper, store } = mountDialog(() => ({ kind: 'canceled' }))
    await flushPromises()
    await wrapper.get('form').trigger('submit')
    await flushPromises()
    expect(store.target).not.toBeNull()
    expect(wrapper.find('[data-test="export-done"]').exists()).toBe(false)
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
  })
})
