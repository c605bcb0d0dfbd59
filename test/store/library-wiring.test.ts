/**
 * The library as users reach it: `startCore({ store })` recording what an agent sends, the
 * `sessions` command listing it, and the Electron addon lookup.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startCore } from '../../src/main/core/core'
import { run } from '../../src/main/cli/index'
import { electronStoreOption } from '../../src/main/store/native-binding'
import { connectRawAgent, eventually, hello, queryEvent } from '../helpers/agent-client'
import { tempDir } from './helpers'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function capture() {
  const out: string[] = []
  const err: string[] = []
  return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } }
}

async function recordOneSession(dataDir: string, appName: string, sqls: string[]) {
  const core = await startCore({ port: 0, dataDir, uiDir: false, store: { intervalMs: 20 } })
  cleanups.push(() => core.close())
  expect(core.libraryError).toBeUndefined()
  const agent = await connectRawAgent(core.agentUrl, { Authorization: `Bearer ${core.token}` })
  agent.send(hello(appName))
  await agent.waitFor((reply) => reply.type === 'welcome')
  agent.send({ type: 'batch', events: sqls.map((sql) => queryEvent(sql)) })
  await eventually(() => core.library!.recorder.stats().persisted === sqls.length)
  await agent.close()
  await core.close()
  return core.profiler.sessionId
}

describe('startCore', () => {
  it('records into the library only when asked to', async () => {
    const dir = tempDir()
    cleanups.push(dir.remove)
    const plain = await startCore({ port: 0, dataDir: dir.path, uiDir: false })
    cleanups.push(() => plain.close())
    expect(plain.library).toBeUndefined()
    await plain.close()

    const id = await recordOneSession(dir.path, 'shop', ['SELECT 1', 'SELECT 2'])
    const out = capture()
    expect(await run(['sessions', '--json', '--data-dir', dir.path], out.io)).toBe(0)
    expect(JSON.parse(out.out.join('\n'))).toMatchObject([
      { id, status: 'complete', queryCount: 2, appNames: ['shop'] },
    ])
  })

  it('applies a retention setting given at start', async () => {
    const dir = tempDir()
    cleanups.push(dir.remove)
    await recordOneSession(dir.path, 'first', ['SELECT 1'])
    const core = await startCore({
      port: 0,
      dataDir: dir.path,
      uiDir: false,
      store: { retention: { maxTotalBytes: 1 } },
    })
    cleanups.push(() => core.close())
    expect(await core.library!.store.list()).toHaveLength(1)
    expect(await core.library!.store.retention()).toMatchObject({ maxTotalBytes: 1 })
    // The old session went at start; the one being recorded is empty so far.
    expect((await core.library!.store.list())[0]?.id).toBe(core.profiler.sessionId)
  })

  it('runs live-only, saying why, when the library cannot open', async () => {
    const dir = tempDir()
    cleanups.push(dir.remove)
    // A folder where the database file should be.
    mkdirSync(join(dir.path, 'sessions.sqlite'))
    const core = await startCore({ port: 0, dataDir: dir.path, uiDir: false, store: true })
    cleanups.push(() => core.close())
    expect(core.library).toBeUndefined()
    expect(core.libraryError).toMatch(/session library could not open/)
  })
})

describe('fastorm-profiler sessions', () => {
  it('prints the library as a table, searchable, with the storage used', async () => {
    const dir = tempDir()
    cleanups.push(dir.remove)
    await recordOneSession(dir.path, 'billing', ['SELECT * FROM invoices'])
    await recordOneSession(dir.path, 'shop', ['UPDATE carts SET n = 1'])

    const all = capture()
    expect(await run(['sessions', '--data-dir', dir.path], all.io)).toBe(0)
    const text = all.out.join('\n')
    expect(text).toMatch(
      /^ID\s+NAME\s+APPS\s+STARTED\s+DURATION\s+QUERIES\s+FAILED\s+FINDINGS\s+STATUS\s+SIZE/,
    )
    expect(text).toMatch(/billing/)
    expect(text).toMatch(/shop/)
    expect(text).toMatch(/2 session\(s\), 2 queries, [\d.]+ KiB in .*sessions\.sqlite/)

    const search = capture()
    expect(await run(['sessions', '--search', 'INVOICES', '--data-dir', dir.path], search.io)).toBe(
      0,
    )
    expect(search.out.join('\n')).toMatch(/billing/)
    expect(search.out.join('\n')).not.toMatch(/shop/)
  })

  it('says so when the data directory has no library, and creates none', async () => {
    const dir = tempDir()
    cleanups.push(dir.remove)
    const text = capture()
    expect(await run(['sessions', '--data-dir', dir.path], text.io)).toBe(0)
    expect(text.out).toEqual([`No session library in ${dir.path} yet.`])
    const json = capture()
    expect(await run(['sessions', '--json', '--data-dir', dir.path], json.io)).toBe(0)
    expect(json.out).toEqual(['[]'])
  })

  it('exits with 2 and one line for a bad option', async () => {
    const bad = capture()
    expect(await run(['sessions', '--nope'], bad.io)).toBe(2)
    expect(bad.err).toHaveLength(1)
  })
})

describe('the Electron addon lookup', () => {
  it('uses an Electron build of better-sqlite3 when there is one, else runs without the library', () => {
    const dir = tempDir()
    cleanups.push(dir.remove)
    const missing = electronStoreOption(dir.path, undefined, '45.5.0')
    expect(missing.store).toBe(false)
    expect(missing.message).toBe(
      `Session library off: no better-sqlite3 build for Electron (looked for ${join(dir.path, 'build', 'native', 'better_sqlite3-electron.node')}). ` +
        `Live profiling works; to record sessions, run \`npm run electron:sqlite\` in ${dir.path} (it downloads or compiles it once; docs/storage.md).`,
    )

    mkdirSync(join(dir.path, 'build', 'native'), { recursive: true })
    const addon = join(dir.path, 'build', 'native', 'better_sqlite3-electron.node')
    writeFileSync(addon, '')
    // Without a stamp (built by hand) it is used as it is.
    expect(electronStoreOption(dir.path, join(dir.path, 'no-resources'), '45.5.0')).toEqual({
      store: { nativeBinding: addon },
    })
  })

  it('turns the library off, saying what to run, when the addon was built for another Electron', () => {
    const dir = tempDir()
    cleanups.push(dir.remove)
    const native = join(dir.path, 'build', 'native')
    mkdirSync(native, { recursive: true })
    const addon = join(native, 'better_sqlite3-electron.node')
    writeFileSync(addon, '')
    writeFileSync(
      join(native, 'better_sqlite3-electron.json'),
      JSON.stringify({ electron: '44.0.0' }),
    )
    const stale = electronStoreOption(dir.path, undefined, '45.5.0')
    expect(stale.store).toBe(false)
    expect(stale.message).toMatch(
      /built for Electron 44\.0\.0, this is Electron 45\.5\.0\. .*run `npm run electron:sqlite`/,
    )
    expect(electronStoreOption(dir.path, undefined, '44.0.0').store).toEqual({
      nativeBinding: addon,
    })
  })

  it('reports an addon that does not load as the reason the library is off', async () => {
    const dir = tempDir()
    cleanups.push(dir.remove)
    const addon = join(dir.path, 'not-an-addon.node')
    writeFileSync(addon, 'not a shared object')
    const core = await startCore({
      port: 0,
      dataDir: dir.path,
      uiDir: false,
      store: { nativeBinding: addon },
    })
    cleanups.push(() => core.close())
    expect(core.library).toBeUndefined()
    expect(core.libraryError).toMatch(
      /could not open: .*rebuild it with `npm run electron:sqlite -- --force`$/,
    )
  })
})
