/**
 * Moving sessions between the library and session files: `export ID --out FILE` and
 * `import FILE`, through the store and through the command line.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { run } from '../../src/main/cli/index'
import { DEFAULT_ANALYSIS_SETTINGS } from '../../src/shared/analysis'
import { analyzeSession } from '../../src/main/analysis/analyzer'
import { readSessionFile, writeSessionFile } from '../../src/main/session/session-file'
import { SessionStore } from '../../src/main/store/session-store'
import { bareQuery, fullApp, fullQuery, tempDir } from './helpers'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function capture() {
  const out: string[] = []
  const err: string[] = []
  return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } }
}

async function libraryWith(queries = [fullQuery(1), bareQuery(2), fullQuery(3)]) {
  const dir = tempDir()
  cleanups.push(dir.remove)
  const store = await SessionStore.open({ file: join(dir.path, 'sessions.sqlite') })
  const writer = store.beginSession({ id: 'original', startedAt: 1_764_000_000_000 })
  writer.write(queries, [fullApp(), fullApp({ id: 'app-2', name: 'worker' })])
  store.endSession(writer, 1_764_000_060_000)
  await store.rename('original', 'Checkout')
  await store.close()
  return dir.path
}

describe('export and import', () => {
  it('round-trip a session through a session file, every field intact', async () => {
    const queries = Array.from({ length: 2500 }, (_, i) =>
      i % 2 ? fullQuery(i + 1) : bareQuery(i + 1, `SELECT ${i % 7}`),
    )
    const from = await libraryWith(queries)
    const file = join(from, 'checkout.json')
    const exported = capture()
    expect(await run(['export', 'original', '--out', file, '--data-dir', from], exported.io)).toBe(
      0,
    )
    expect(exported.out).toEqual([`Wrote 2,500 queries of session original to ${file}.`])

    const saved = await readSessionFile(file)
    expect(saved.session).toEqual({
      id: 'original',
      name: 'Checkout',
      startedAt: 1_764_000_000_000,
      endedAt: 1_764_000_060_000,
    })
    expect(saved.queries).toEqual(queries)
    expect(saved.counters).toMatchObject({ stored: 2500, evicted: 0, droppedByAgents: 2 })

    const to = tempDir()
    cleanups.push(to.remove)
    const imported = capture()
    expect(await run(['import', file, '--data-dir', to.path], imported.io)).toBe(0)
    expect(imported.out).toEqual([`Imported 2,500 queries from ${file} as session original.`])
    const store = await SessionStore.open({ file: join(to.path, 'sessions.sqlite') })
    cleanups.push(() => store.close())
    const detail = await store.get('original')
    expect(detail).toMatchObject({
      name: 'Checkout',
      status: 'complete',
      startedAt: 1_764_000_000_000,
      endedAt: 1_764_000_060_000,
      queryCount: 2500,
      appNames: ['shop', 'worker'],
      settings: { importedFrom: 'checkout.json' },
    })
    expect(detail?.apps).toEqual([fullApp(), fullApp({ id: 'app-2', name: 'worker' })])
    expect((await store.queries('original', 1000, 1000))?.rows).toEqual(queries.slice(1000, 2000))
  })

  it('gives an imported session a new id when the library has that one, and takes --name', async () => {
    const dir = await libraryWith()
    const file = join(dir, 'again.json')
    expect(await run(['export', 'original', '--out', file, '--data-dir', dir], capture().io)).toBe(
      0,
    )
    const again = capture()
    expect(await run(['import', file, '--name', 'Second look', '--data-dir', dir], again.io)).toBe(
      0,
    )
    const [, id] = again.out[0]!.match(/as session (\S+)\.$/)!
    expect(id).not.toBe('original')
    const store = await SessionStore.open({ file: join(dir, 'sessions.sqlite') })
    cleanups.push(() => store.close())
    expect((await store.list()).map((s) => s.name).sort()).toEqual(['Checkout', 'Second look'])
  })

  it('refuses a bad file with exit code 2 and changes nothing', async () => {
    const dir = await libraryWith()
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, '{"format": "something-else"}')
    const result = capture()
    expect(await run(['import', bad, '--data-dir', dir], result.io)).toBe(2)
    expect(result.err[0]).toMatch(/not a FastORM Profiler session/)
    const store = await SessionStore.open({ file: join(dir, 'sessions.sqlite') })
    cleanups.push(() => store.close())
    expect((await store.list()).map((s) => s.id)).toEqual(['original'])
  })

  it('leaves no library behind when the first import into a data directory fails', async () => {
    const dir = tempDir()
    cleanups.push(dir.remove)
    const bad = join(dir.path, 'cut.json')
    writeFileSync(bad, '{"format": "fastorm-profiler-session", "version": 1, "queries": [')
    const result = capture()
    expect(await run(['import', bad, '--data-dir', dir.path], result.io)).toBe(2)
    expect(result.err).toHaveLength(1)
    expect(result.err[0]).toMatch(/cut\.json: .*\(.*at byte \d+\)$/)
    expect(existsSync(join(dir.path, 'sessions.sqlite'))).toBe(false)
    expect(existsSync(join(dir.path, 'sessions.sqlite-wal'))).toBe(false)
  })

  it('rolls back a whole import that fails part-way', async () => {
    const dir = await libraryWith()
    const store = await SessionStore.open({ file: join(dir, 'sessions.sqlite') })
    cleanups.push(() => store.close())
    const file = {
      format: 'fastorm-profiler-session' as const,
      version: 1 as const,
      session: { id: 'broken', startedAt: 1, endedAt: 2 },
      apps: [fullApp()],
      counters: { received: 2, stored: 2, evicted: 0, rejected: 0, droppedByAgents: 0 },
      // The same id twice: the second insert fails on the primary key.
      queries: [bareQuery(1), bareQuery(1)],
    }
    expect(() => store.importSession(file)).toThrow()
    expect((await store.list()).map((s) => s.id)).toEqual(['original'])
    expect(store.recoverInterrupted()).toEqual([])
  })

  it('exports the findings stored with a session, found with its own settings', async () => {
    const dir = tempDir()
    cleanups.push(dir.remove)
    const store = await SessionStore.open({ file: join(dir.path, 'sessions.sqlite') })
    cleanups.push(() => store.close())
    // Four lookups: an N+1 at threshold 3, none at the default (5): so the file's finding can
    // only have come from what was stored, not from the export working them out again.
    const context = { id: 'req-1', name: 'GET /orders' }
    const queries = [
      { ...bareQuery(1, 'SELECT * FROM orders'), context },
      ...[2, 3, 4, 5].map((id) => ({
        ...bareQuery(id, 'SELECT * FROM users WHERE id = $1'),
        params: [id],
        context,
      })),
    ]
    const settings = { ...DEFAULT_ANALYSIS_SETTINGS, nPlusOneThreshold: 3 }
    const found = analyzeSession(queries, [fullApp()], settings).findingsResult()
    expect(found.findings).toHaveLength(1)
    const writer = store.beginSession({ id: 'found', startedAt: 1_764_000_000_000 })
    writer.write(queries, [fullApp()])
    store.endSession(writer, 1_764_000_001_000, { settings, ...found })

    const file = join(dir.path, 'found.json')
    const exported = await store.exportSession('found')
    await writeSessionFile(file, exported!.header, exported!.queries)
    const saved = await readSessionFile(file)
    expect(saved.settings).toEqual(settings)
    expect(saved.findings).toEqual(found.findings)
    expect(saved.insights).toEqual(found.insights)

    // Imported again, the same findings come back with it.
    const to = await SessionStore.open({ file: join(dir.path, 'other.sqlite') })
    cleanups.push(() => to.close())
    const id = await to.importSessionFile(file)
    expect((await to.get(id))?.findings).toEqual({ settings, ...found })
  })

  it('says which session or library is missing, with exit code 2', async () => {
    const dir = await libraryWith()
    const unknown = capture()
    const out = join(dir, 'x.json')
    expect(await run(['export', 'nope', '--out', out, '--data-dir', dir], unknown.io)).toBe(2)
    expect(unknown.err).toEqual([
      'fastorm-profiler: session library: no session nope in the library',
    ])
    expect(existsSync(out)).toBe(false)

    const empty = tempDir()
    cleanups.push(empty.remove)
    const none = capture()
    expect(await run(['export', 'x', '--out', out, '--data-dir', empty.path], none.io)).toBe(2)
    expect(none.err[0]).toMatch(/no session library in/)
    expect(await run(['export', 'x', '--data-dir', dir], capture().io)).toBe(2)
    expect(await run(['import', '--data-dir', dir], capture().io)).toBe(2)
  })
})
