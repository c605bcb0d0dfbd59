// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import SessionsView from '@renderer/sessions/SessionsView.vue'
import { FakeProfilerClient, mountOptions, profilerStatus } from './fake-client'
import { fakeLibrary, storedSession, T0, type FakeLibrary } from './fake-library'
import { useNavigationStore } from '@renderer/stores/navigation'
import { useViewStore } from '@renderer/stores/view'

const mounted: VueWrapper[] = []
let restore: () => void

beforeEach(() => {
  const original = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'clientHeight')!
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
    configurable: true,
    get(this: HTMLElement) {
      return this.matches('[data-test="table-scroller"]') ? 300 : original.get!.call(this)
    },
  })
  restore = () => Object.defineProperty(HTMLElement.prototype, 'clientHeight', original)
})
afterEach(() => {
  for (const wrapper of mounted.splice(0)) wrapper.unmount()
  document.body.innerHTML = ''
  restore()
})

function threeSessions() {
  return [
    storedSession({
      id: 'live-1',
      name: 'Session 2025-11-26 10:02',
      status: 'recording',
      endedAt: null,
      startedAt: T0 + 1_260_000,
      queryCount: 40,
      failedCount: 0,
    }),
    storedSession({ id: 'session-a', note: 'Before the eager-loading fix' }),
    storedSession({
      id: 'session-b',
      name: 'Nightly import',
      appNames: ['importer', 'worker'],
      status: 'recovered',
      startedAt: T0 - 86_400_000,
    }),
  ]
}

async function mountSessions(library: FakeLibrary = fakeLibrary(threeSessions())) {
  const client = new FakeProfilerClient({
    'status.get': () => profilerStatus({ sessionId: 'live-1' }),
    ...library.handlers,
  })
  const wrapper = mount(SessionsView, { ...mountOptions(client), attachTo: document.body })
  mounted.push(wrapper)
  for (let i = 0; i < 3; i++) await flushPromises()
  return { wrapper, client, library }
}

const row = (wrapper: VueWrapper, id: string) => wrapper.get(`tr[data-session="${id}"]`)
const calls = (client: FakeProfilerClient, channel: string) =>
  client.requests.filter((request) => request.channel === channel).map((r) => r.args)

describe('the Sessions view', () => {
  it('lists the stored sessions with their apps, counts and status, and the storage use', async () => {
    const { wrapper } = await mountSessions()
    expect(wrapper.findAll('[data-test="session-row"]')).toHaveLength(3)
    const checkout = row(wrapper, 'session-a').text()
    expect(checkout).toContain('Checkout flow')
    expect(checkout).toContain('Before the eager-loading fix')
    expect(checkout).toContain('shop-api')
    expect(checkout).toContain('1,200')
    expect(checkout).toContain('1 min 35 s')
    const nightly = row(wrapper, 'session-b')
    expect(nightly.text()).toContain('importer, worker')
    expect(nightly.get('[data-test="session-status"]').text()).toBe('recovered')
    expect(nightly.get('[data-test="session-status"]').attributes('title')).toMatch(/crash/)
    expect(wrapper.get('[data-test="sessions-count"]').text()).toBe('3 sessions')
    expect(wrapper.get('[data-test="storage-use"]').text()).toBe(
      '3 sessions, 2,440 queries, 2.4 MiB on disk',
    )
  })

  it('searches the library with the text typed', async () => {
    const { wrapper, client } = await mountSessions()
    const box = wrapper.get('input[type="search"]')
    await box.setValue('importer')
    await box.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(calls(client, 'library.list').at(-1)).toEqual([{ search: 'importer' }])
    expect(wrapper.findAll('[data-test="session-row"]')).toHaveLength(1)
    expect(wrapper.get('[data-test="sessions-count"]').text()).toBe('1 matching')
    await box.setValue('nothing like it')
    await box.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(wrapper.get('[data-test="sessions-empty"]').text()).toContain('No session matches')
  })

  it('renames a session in place: Enter saves, Esc cancels', async () => {
    const { wrapper, client } = await mountSessions()
    await row(wrapper, 'session-a').get('[data-test="rename"]').trigger('click')
    const input = row(wrapper, 'session-a').get('[data-test="rename-input"]')
    expect((input.element as HTMLInputElement).value).toBe('Checkout flow')
    await input.setValue('Checkout after the fix')
    await input.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(calls(client, 'library.rename')).toEqual([['session-a', 'Checkout after the fix']])
    expect(row(wrapper, 'session-a').get('[data-test="session-name"]').text()).toBe(
      'Checkout after the fix',
    )

    await row(wrapper, 'session-a').get('[data-test="rename"]').trigger('click')
    const again = row(wrapper, 'session-a').get('[data-test="rename-input"]')
    await again.setValue('Not this')
    await again.trigger('keydown', { key: 'Escape' })
    await flushPromises()
    expect(calls(client, 'library.rename')).toHaveLength(1)
  })

  it('shows why a change was refused', async () => {
    const { wrapper, client } = await mountSessions()
    client.handlers['library.rename'] = () => {
      throw new Error('a session name must be 1 to 200 characters')
    }
    await row(wrapper, 'session-a').get('[data-test="rename"]').trigger('click')
    const input = row(wrapper, 'session-a').get('[data-test="rename-input"]')
    await input.setValue('x'.repeat(10))
    await input.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(wrapper.get('[data-test="action-error"]').text()).toContain('must be 1 to 200')
  })

  it('edits a note under the session', async () => {
    const { wrapper, client } = await mountSessions()
    await row(wrapper, 'session-b').get('[data-test="note"]').trigger('click')
    await wrapper.get('[data-test="note-input"]').setValue('Ran with 10k rows')
    await wrapper.get('[data-test="note-save"]').trigger('click')
    await flushPromises()
    expect(calls(client, 'library.note')).toEqual([['session-b', 'Ran with 10k rows']])
    expect(row(wrapper, 'session-b').text()).toContain('Ran with 10k rows')
  })

  it('deletes a session after confirmation, and never the one being recorded', async () => {
    const { wrapper, client } = await mountSessions()
    expect(row(wrapper, 'live-1').get('[data-test="delete"]').attributes('disabled')).toBeDefined()
    await row(wrapper, 'session-b').get('[data-test="delete"]').trigger('click')
    const dialog = wrapper.get('[data-test="delete-dialog"]')
    expect(dialog.attributes('role')).toBe('alertdialog')
    expect(dialog.text()).toContain('Delete Nightly import?')
    expect(calls(client, 'library.delete')).toHaveLength(0)
    await dialog.get('[data-test="confirm-delete"]').trigger('click')
    await flushPromises()
    expect(calls(client, 'library.delete')).toEqual([['session-b']])
    expect(wrapper.find('tr[data-session="session-b"]').exists()).toBe(false)
    expect(wrapper.find('[data-test="delete-dialog"]').exists()).toBe(false)
  })

  it('keeps a session when the deletion is not confirmed', async () => {
    const { wrapper, client } = await mountSessions()
    await row(wrapper, 'session-a').get('[data-test="delete"]').trigger('click')
    await wrapper.get('[data-test="delete-dialog"]').trigger('keydown', { key: 'Escape' })
    expect(wrapper.find('[data-test="delete-dialog"]').exists()).toBe(false)
    expect(calls(client, 'library.delete')).toHaveLength(0)
  })

  it('sets the retention: an age, or no size limit', async () => {
    const { wrapper, client } = await mountSessions()
    const apply = wrapper.get('[data-test="retention-save"]')
    expect(apply.attributes('disabled')).toBeDefined()
    await wrapper.get('[data-test="retention-days"]').setValue('7')
    await wrapper.get('input[aria-label="Limit by size"]').setValue(false)
    await apply.trigger('submit')
    await flushPromises()
    expect(calls(client, 'library.retention.set')).toEqual([
      [{ maxAgeDays: 7, maxTotalBytes: null }],
    ])
    expect(wrapper.get('[data-test="retention-save"]').attributes('disabled')).toBeDefined()
  })

  it('says why there is no library, and still offers to export the live session', async () => {
    const client = new FakeProfilerClient({
      'status.get': () => profilerStatus(),
      'library.list': () => {
        throw new Error('library unavailable: no better-sqlite3 build for Electron')
      },
      'library.storage': () => ({
        available: false,
        error: 'no better-sqlite3 build for Electron',
      }),
    })
    const wrapper = mount(SessionsView, { ...mountOptions(client), attachTo: document.body })
    mounted.push(wrapper)
    await flushPromises()
    expect(wrapper.get('[data-test="library-unavailable"]').text()).toContain(
      'no better-sqlite3 build for Electron',
    )
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
    await wrapper.get('[data-test="export-live"]').trigger('click')
    expect(wrapper.get('[data-test="export-dialog"]').text()).toContain('Export the live session')
  })
})

describe('opening a session', () => {
  it('shows it in every view: the core views it, the Queries view comes up, its row is marked', async () => {
    const library = fakeLibrary(threeSessions())
    const viewed = {
      kind: 'stored' as const,
      id: 'session-a',
      name: 'Checkout flow',
      startedAt: T0,
      endedAt: T0 + 95_000,
      queries: 1200,
      apps: [],
    }
    library.handlers['view.open'] = (id) => (id === 'session-a' ? viewed : { kind: 'live' })
    const { wrapper, client } = await mountSessions(library)
    await row(wrapper, 'session-a').get('[data-test="session-name"]').trigger('click')
    for (let i = 0; i < 3; i++) await flushPromises()
    expect(calls(client, 'view.open')).toEqual([['session-a']])
    expect(useNavigationStore().view).toBe('queries')
    expect(useViewStore().viewed).toEqual(viewed)
    expect(row(wrapper, 'session-a').classes()).toContain('open')
  })

  it('stays on the Sessions view when the session could not be opened', async () => {
    const library = fakeLibrary(threeSessions())
    library.handlers['view.open'] = () => {
      throw new Error('no session session-b in the library')
    }
    const { wrapper } = await mountSessions(library)
    useNavigationStore().go('sessions')
    await row(wrapper, 'session-b').get('[data-test="session-name"]').trigger('click')
    for (let i = 0; i < 3; i++) await flushPromises()
    expect(useNavigationStore().view).toBe('sessions')
    expect(useViewStore().error).toBe('no session session-b in the library')
  })
})
