// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import type { ConnectInfo, DemoStatus } from '@shared/api'
import ConnectDialog from '@renderer/connect/ConnectDialog.vue'
import { useConnectStore } from '@renderer/stores/connect'
import { FakeProfilerClient, mountOptions } from './fake-client'

const info: ConnectInfo = {
  agentUrl: 'ws://127.0.0.1:7420/agent',
  token: 'tok-123',
  snippets: [
    {
      id: 'typeorm',
      title: 'TypeORM',
      language: 'typescript',
      code: "import { profile } from 'fastorm-profiler-agent'\nprofile(dataSource, { url: 'ws://127.0.0.1:7420/agent', token: 'tok-123' })",
    },
    {
      id: 'env',
      title: 'Environment',
      language: 'shell',
      code: 'export FASTORM_PROFILER_TOKEN=tok-123',
    },
  ],
}

const mounted: VueWrapper[] = []
afterEach(() => {
  for (const wrapper of mounted.splice(0)) wrapper.unmount()
  vi.restoreAllMocks()
})

async function openDialog(demo: () => DemoStatus = () => ({ running: true, pid: 777 })) {
  const client = new FakeProfilerClient({ 'connect.info': () => info, 'demo.start': demo })
  const wrapper = mount(ConnectDialog, { ...mountOptions(client), attachTo: document.body })
  mounted.push(wrapper)
  const store = useConnectStore()
  store.openDialog()
  await flushPromises()
  return { wrapper, store, client }
}

function mockClipboard() {
  const writeText = vi.fn().mockResolvedValue(undefined)
  vi.spyOn(navigator, 'clipboard', 'get').mockReturnValue({ writeText } as unknown as Clipboard)
  return writeText
}

describe('the Connect dialog', () => {
  it('shows the agent URL, the token and the first snippet with both filled in', async () => {
    const { wrapper } = await openDialog()
    expect(wrapper.get('[data-test="agent-url"]').text()).toBe('ws://127.0.0.1:7420/agent')
    expect(wrapper.get('[data-test="agent-token"]').text()).toBe('tok-123')
    expect(wrapper.findAll('[role="tab"]').map((t) => t.text())).toEqual(['TypeORM', 'Environment'])
    expect(wrapper.get('[data-test="snippet-code"]').text()).toBe(info.snippets[0].code)
  })

  it('switches snippets by tab, with the mouse or the arrow keys', async () => {
    const { wrapper } = await openDialog()
    await wrapper.findAll('[role="tab"]')[1].trigger('click')
    expect(wrapper.get('[data-test="snippet-code"]').text()).toBe(info.snippets[1].code)
    await wrapper.get('[role="tablist"]').trigger('keydown', { key: 'ArrowRight' })
    expect(wrapper.get('[data-test="snippet-code"]').text()).toBe(info.snippets[0].code)
  })

  it('copies the shown snippet to the clipboard', async () => {
    const writeText = mockClipboard()
    const { wrapper } = await openDialog()
    const copy = wrapper.findAll('button').find((b) => b.text() === 'Copy snippet')!
    await copy.trigger('click')
    await flushPromises()
    expect(writeText).toHaveBeenCalledWith(info.snippets[0].code)
    expect(copy.text()).toBe('Copied')
  })

  it('falls back to a selected textarea when the clipboard API refuses', async () => {
    vi.spyOn(navigator, 'clipboard', 'get').mockReturnValue({
      writeText: () => Promise.reject(new Error('not allowed')),
    } as unknown as Clipboard)
    let copied: string | null = null
    const execCommand = vi.fn((command: string) => {
      const active = document.activeElement
      if (command === 'copy' && active instanceof HTMLTextAreaElement) copied = active.value
      return true
    })
    Object.defineProperty(document, 'execCommand', { configurable: true, value: execCommand })
    const { wrapper } = await openDialog()
    const copyToken = wrapper.findAll('dd button')[1]
    await copyToken.trigger('click')
    await flushPromises()
    expect(execCommand).toHaveBeenCalledWith('copy')
    expect(copied).toBe('tok-123')
    expect(document.querySelector('textarea')).toBeNull()
  })

  it('starts the demo app and says it runs', async () => {
    const { wrapper, client } = await openDialog()
    await wrapper.get('[data-test="demo-start"]').trigger('click')
    await flushPromises()
    expect(client.requests.filter((r) => r.channel === 'demo.start')).toHaveLength(1)
    expect(wrapper.get('[data-test="demo-state"]').text()).toContain('Demo app running (pid 777)')
    expect(wrapper.get('[data-test="demo-start"]').attributes('disabled')).toBeDefined()
  })

  it('says why the demo could not start', async () => {
    const { wrapper } = await openDialog(() => {
      throw new Error('the demo app is not built')
    })
    await wrapper.get('[data-test="demo-start"]').trigger('click')
    await flushPromises()
    expect(wrapper.get('[data-test="demo-state"]').text()).toContain('the demo app is not built')
  })

  it('closes on Escape', async () => {
    const { wrapper, store } = await openDialog()
    await wrapper.get('[role="dialog"]').trigger('keydown', { key: 'Escape' })
    expect(store.dialogOpen).toBe(false)
  })
})
