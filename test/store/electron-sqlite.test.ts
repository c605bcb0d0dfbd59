/**
 * scripts/electron-sqlite.js: the better-sqlite3 addon for Electron that the store's
 * native-binding.ts looks for. Its decisions and file handling run against real temp folders
 * laid out like a checkout (node_modules/electron, node_modules/better-sqlite3, build/native);
 * the download and the compile are replaced by runners that fake a build, so no network.
 */
import { spawnSync } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  BINDING_NAME,
  buildEnv,
  buildSteps,
  decide,
  ensureElectronSqlite,
  FAILED_NAME,
  inspect,
  installAddon,
  RETRY_COMMAND,
  runStep,
  STAMP_NAME,
  staleness,
  whyItFailed,
  type BuildStep,
  type StepRunner,
} from '../../scripts/electron-sqlite-lib.js'
import {
  ELECTRON_BINDING_COMMAND,
  ELECTRON_BINDING_NAME,
  ELECTRON_STAMP_NAME,
  electronStoreOption,
} from '../../src/main/store/native-binding'
import { tempDir } from './helpers'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup()
})

/** The first bytes of a Linux shared object, then something recognisable. */
const addonBytes = (label: string) =>
  Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.from(label)])

interface Layout {
  electron?: string | null
  binary?: boolean
  sqlite?: string | null
}

/** A checkout's folders: Electron (package, maybe its binary), better-sqlite3 with Node's build. */
function checkout({ electron = '45.5.0', binary = true, sqlite = '12.11.1' }: Layout = {}) {
  const dir = tempDir('fop-electron-sqlite-test-')
  cleanups.push(dir.remove)
  const root = dir.path
  if (electron) {
    const electronDir = join(root, 'node_modules', 'electron')
    mkdirSync(join(electronDir, 'dist'), { recursive: true })
    writeFileSync(join(electronDir, 'package.json'), JSON.stringify({ version: electron }))
    if (binary) {
      writeFileSync(join(electronDir, 'path.txt'), 'electron')
      writeFileSync(join(electronDir, 'dist', 'electron'), '')
    }
  }
  const sqliteDir = join(root, 'node_modules', 'better-sqlite3')
  if (sqlite) {
    mkdirSync(join(sqliteDir, 'build', 'Release'), { recursive: true })
    mkdirSync(join(sqliteDir, 'src'), { recursive: true })
    writeFileSync(
      join(sqliteDir, 'package.json'),
      JSON.stringify({ name: 'better-sqlite3', version: sqlite }),
    )
    writeFileSync(join(sqliteDir, 'src', 'better_sqlite3.cpp'), '// source')
    writeFileSync(join(sqliteDir, 'build', 'Release', 'better_sqlite3.node'), addonBytes('node'))
  }
  const scratch = join(root, 'scratch')
  mkdirSync(scratch)
  return {
    root,
    scratch,
    nodeBuild: join(sqliteDir, 'build', 'Release', 'better_sqlite3.node'),
    addon: join(root, 'build', 'native', BINDING_NAME),
    stamp: join(root, 'build', 'native', STAMP_NAME),
  }
}

const steps: BuildStep[] = [
  { how: 'prebuilt', command: 'prebuild-install', args: [], timeoutMs: 1000 },
  { how: 'compiled', command: 'node-gyp', args: [], timeoutMs: 1000 },
]

/**
 * A runner whose steps succeed or fail as told; a succeeding step leaves an addon where the
 * real ones do. Records where each ran and what it saw there.
 */
function fakeRunner(outcomes: Record<string, 'ok' | 'fail' | 'garbage'>) {
  const calls: { how: string; cwd: string; files: string[] }[] = []
  const run: StepRunner = async (step, cwd) => {
    calls.push({ how: step.how, cwd, files: readdirSync(cwd).sort() })
    const outcome = outcomes[step.how] ?? 'fail'
    if (outcome === 'fail') return { ok: false, detail: `${step.how}: getaddrinfo ENOTFOUND` }
    mkdirSync(join(cwd, 'build', 'Release'), { recursive: true })
    writeFileSync(
      join(cwd, 'build', 'Release', 'better_sqlite3.node'),
      outcome === 'garbage' ? '<html>proxy login</html>' : addonBytes(`electron-${step.how}`),
    )
    return { ok: true, detail: '' }
  }
  return { run, calls }
}

describe('deciding', () => {
  it('skips cleanly, in one line naming the retry command, without Electron or better-sqlite3', async () => {
    for (const [layout, why] of [
      [{ electron: null }, 'the electron package is not installed'],
      [{ sqlite: null }, 'better-sqlite3 is not installed'],
    ] as const) {
      const { root, scratch } = checkout(layout)
      const { run, calls } = fakeRunner({ prebuilt: 'ok' })
      const result = await ensureElectronSqlite({ root, run, steps, scratchRoot: scratch })
      expect(result.status).toBe('skipped')
      expect(result.line).toContain(why)
      expect(result.line).toContain(`\`${RETRY_COMMAND}\``)
      expect(result.line).not.toContain('\n')
      expect(calls).toEqual([])
      expect(existsSync(join(root, 'build'))).toBe(false)
    }
  })

  it("at npm install, does nothing while Electron's binary is not downloaded (npm ci in CI)", async () => {
    const { root, scratch } = checkout({ binary: false })
    const { run, calls } = fakeRunner({ prebuilt: 'ok' })
    const result = await ensureElectronSqlite({
      root,
      when: 'postinstall',
      run,
      steps,
      scratchRoot: scratch,
    })
    expect(result).toMatchObject({ status: 'skipped' })
    expect(result.line).toMatch(/binary is not downloaded yet/)
    expect(calls).toEqual([])
    // By hand, or before a start with a display, the package's version is all it needs.
    expect(decide(inspect(root), { when: 'manual' }).action).toBe('build')
    expect(decide(inspect(root), { when: 'start', display: true }).action).toBe('build')
    expect(decide(inspect(root), { when: 'start', display: false })).toEqual({
      action: 'skip',
      reason: 'there is no display, so Electron will not open',
    })
  })

  it('finds a build stale for another Electron, another better-sqlite3, another platform, or no stamp', () => {
    const { root } = checkout()
    const state = inspect(root, { platform: 'linux', arch: 'x64' })
    expect(staleness(state)).toBe('no Electron build of better-sqlite3 yet')
    installAddon(
      join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'),
      join(root, 'build', 'native'),
      {
        electron: '45.5.0',
        betterSqlite3: '12.11.1',
        platform: 'linux',
        arch: 'x64',
        how: 'prebuilt',
      },
    )
    const current = inspect(root, { platform: 'linux', arch: 'x64' })
    expect(staleness(current)).toBeNull()
    expect(decide(current)).toEqual({
      action: 'current',
      reason: 'better-sqlite3 12.11.1 for Electron 45.5.0 is in place',
    })
    expect(decide(current, { force: true })).toEqual({
      action: 'build',
      reason: 'rebuild asked for',
    })

    const stamp = current.addon.stamp!
    const variant = (change: object) =>
      staleness({ ...current, addon: { ...current.addon, stamp: { ...stamp, ...change } } })
    expect(variant({ electron: '44.0.0' })).toBe(
      'the Electron build in place is for Electron 44.0.0, installed is 45.5.0',
    )
    expect(variant({ betterSqlite3: '12.10.0' })).toBe(
      'the Electron build in place is of better-sqlite3 12.10.0, installed is 12.11.1',
    )
    expect(variant({ arch: 'arm64' })).toBe(
      'the Electron build in place is for linux-arm64, this is linux-x64',
    )
    expect(staleness({ ...current, addon: { ...current.addon, stamp: null } })).toBe(
      'the Electron build in place has no record of what it was built for',
    )
  })
})

describe('building', () => {
  it('builds in a scratch copy (never in node_modules) and puts the addon and its stamp in build/native', async () => {
    const { root, scratch, nodeBuild, addon, stamp } = checkout()
    const { run, calls } = fakeRunner({ prebuilt: 'ok' })
    const told: string[] = []
    const result = await ensureElectronSqlite({
      root,
      when: 'postinstall',
      run,
      steps,
      scratchRoot: scratch,
      onBuild: (line) => told.push(line),
    })

    expect(result).toEqual({
      status: 'built',
      line: `electron-sqlite: better-sqlite3 12.11.1 for Electron 45.5.0 (prebuilt) is in ${join('build', 'native', BINDING_NAME)}.`,
    })
    expect(told).toEqual([
      'electron-sqlite: building better-sqlite3 12.11.1 for Electron 45.5.0 (no Electron build of better-sqlite3 yet)…',
    ])
    expect(calls).toHaveLength(1)
    expect(calls[0]!.cwd.startsWith(scratch)).toBe(true)
    // The package's files, without Node's build.
    expect(calls[0]!.files).toEqual(['package.json', 'src'])
    expect(readFileSync(addon)).toEqual(addonBytes('electron-prebuilt'))
    expect(JSON.parse(readFileSync(stamp, 'utf8'))).toEqual({
      electron: '45.5.0',
      betterSqlite3: '12.11.1',
      platform: process.platform,
      arch: process.arch,
      how: 'prebuilt',
    })
    // Node's build is untouched, and the scratch copy is gone.
    expect(readFileSync(nodeBuild)).toEqual(addonBytes('node'))
    expect(readdirSync(scratch)).toEqual([])

    // Run again: nothing to do. And the shell's lookup takes it.
    const again = fakeRunner({ prebuilt: 'ok' })
    expect(
      (await ensureElectronSqlite({ root, run: again.run, steps, scratchRoot: scratch })).status,
    ).toBe('current')
    expect(again.calls).toEqual([])
    expect(electronStoreOption(root, undefined, '45.5.0')).toEqual({
      store: { nativeBinding: addon },
    })
  })

  it('compiles when no prebuilt addon can be downloaded', async () => {
    const { root, scratch, addon, stamp } = checkout()
    const { run, calls } = fakeRunner({ prebuilt: 'fail', compiled: 'ok' })
    const result = await ensureElectronSqlite({ root, run, steps, scratchRoot: scratch })
    expect(result.status).toBe('built')
    expect(calls.map((c) => c.how)).toEqual(['prebuilt', 'compiled'])
    expect(readFileSync(addon)).toEqual(addonBytes('electron-compiled'))
    expect(JSON.parse(readFileSync(stamp, 'utf8')).how).toBe('compiled')
  })

  it('rebuilds a stale addon after an Electron upgrade', async () => {
    const first = checkout({ electron: '44.0.0' })
    const runner = fakeRunner({ prebuilt: 'ok' })
    await ensureElectronSqlite({
      root: first.root,
      run: runner.run,
      steps,
      scratchRoot: first.scratch,
    })
    writeFileSync(
      join(first.root, 'node_modules', 'electron', 'package.json'),
      JSON.stringify({ version: '45.5.0' }),
    )
    expect(electronStoreOption(first.root, undefined, '45.5.0').store).toBe(false)

    const result = await ensureElectronSqlite({
      root: first.root,
      run: runner.run,
      steps,
      scratchRoot: first.scratch,
    })
    expect(result.status).toBe('built')
    expect(runner.calls).toHaveLength(2)
    expect(JSON.parse(readFileSync(first.stamp, 'utf8')).electron).toBe('45.5.0')
    expect(electronStoreOption(first.root, undefined, '45.5.0').store).toEqual({
      nativeBinding: first.addon,
    })
  })

  it('offline: says so in one line with the retry command, and leaves what was in place', async () => {
    const { root, scratch, addon, stamp } = checkout({ electron: '44.0.0' })
    await ensureElectronSqlite({
      root,
      run: fakeRunner({ prebuilt: 'ok' }).run,
      steps,
      scratchRoot: scratch,
    })
    writeFileSync(
      join(root, 'node_modules', 'electron', 'package.json'),
      JSON.stringify({ version: '45.5.0' }),
    )
    const before = readFileSync(addon)

    const { run, calls } = fakeRunner({})
    const result = await ensureElectronSqlite({
      root,
      when: 'postinstall',
      run,
      steps,
      scratchRoot: scratch,
    })
    expect(result.status).toBe('failed')
    expect(result.line).toBe(
      'electron-sqlite: skipped: could not build better-sqlite3 for Electron 45.5.0 ' +
        '(the Electron build in place is for Electron 44.0.0, installed is 45.5.0): ' +
        'prebuilt: prebuilt: getaddrinfo ENOTFOUND; compiled: compiled: getaddrinfo ENOTFOUND. ' +
        'Offline? The desktop app runs without the session library; retry with `npm run electron:sqlite`.',
    )
    expect(calls).toHaveLength(2)
    expect(readFileSync(addon)).toEqual(before)
    expect(JSON.parse(readFileSync(stamp, 'utf8')).electron).toBe('44.0.0')
    expect(readdirSync(scratch)).toEqual([])
  })

  it('after a failed build, npm start does not try the same one again; an install or by hand does', async () => {
    const { root, scratch } = checkout()
    const offline = fakeRunner({})
    expect(
      (await ensureElectronSqlite({ root, run: offline.run, steps, scratchRoot: scratch })).status,
    ).toBe('failed')
    expect(decide(inspect(root), { when: 'start', display: true })).toEqual({
      action: 'skip',
      reason:
        'the last build for Electron 45.5.0 failed (prebuilt: prebuilt: getaddrinfo ENOTFOUND; compiled: compiled: getaddrinfo ENOTFOUND)',
    })
    expect(decide(inspect(root), { when: 'postinstall' }).action).toBe('build')
    expect(decide(inspect(root), { when: 'manual' }).action).toBe('build')

    const online = fakeRunner({ prebuilt: 'ok' })
    expect(
      (await ensureElectronSqlite({ root, run: online.run, steps, scratchRoot: scratch })).status,
    ).toBe('built')
    expect(existsSync(join(root, 'build', 'native', FAILED_NAME))).toBe(false)
    // A new Electron is worth a try at the next start.
    writeFileSync(
      join(root, 'node_modules', 'electron', 'package.json'),
      JSON.stringify({ version: '46.0.0' }),
    )
    await ensureElectronSqlite({ root, run: offline.run, steps, scratchRoot: scratch })
    writeFileSync(
      join(root, 'node_modules', 'electron', 'package.json'),
      JSON.stringify({ version: '46.0.1' }),
    )
    expect(decide(inspect(root), { when: 'start', display: true }).action).toBe('build')
  })

  it('does not install something that is not a native library', async () => {
    const { root, scratch, addon } = checkout()
    const result = await ensureElectronSqlite({
      root,
      run: fakeRunner({ prebuilt: 'garbage', compiled: 'fail' }).run,
      steps,
      scratchRoot: scratch,
    })
    expect(result.status).toBe('failed')
    expect(result.line).toContain('prebuilt: no addon came out')
    expect(existsSync(addon)).toBe(false)
  })
})

describe('the commands it runs', () => {
  it('target Electron, with npm settings that would point them at Node taken out', () => {
    const env = buildEnv(
      {
        PATH: '/bin',
        npm_config_nodedir: '/usr',
        npm_config_target: '20.20.2',
        npm_config_build_from_source: 'true',
        npm_config_arch: 'x64',
      },
      '45.5.0',
    )
    expect(env).toEqual({
      PATH: '/bin',
      npm_config_arch: 'x64',
      npm_config_runtime: 'electron',
      npm_config_target: '45.5.0',
      npm_config_disturl: 'https://electronjs.org/headers',
    })
    const [prebuilt, compiled] = buildSteps({
      root: '/app',
      electronVersion: '45.5.0',
      env: {},
      execPath: '/usr/bin/node',
    })
    expect(prebuilt).toMatchObject({
      how: 'prebuilt',
      command: '/usr/bin/node',
      args: [
        join('/app', 'node_modules', 'prebuild-install', 'bin.js'),
        '--runtime',
        'electron',
        '--target',
        '45.5.0',
        '--verbose',
      ],
    })
    expect(compiled!.args.slice(-5)).toEqual([
      'rebuild',
      '--release',
      '--runtime=electron',
      '--target=45.5.0',
      '--dist-url=https://electronjs.org/headers',
    ])
  })

  it("report why they failed in one line: the network error, or node-gyp's own words", () => {
    // As prebuild-install and node-gyp printed them here, offline.
    expect(
      whyItFailed([
        'prebuild-install http request GET https://github.com/WiseLibs/better-sqlite3/releases/download/v12.11.1/better-sqlite3-v12.11.1-electron-v150-linux-x64.tar.gz',
        'prebuild-install warn install getaddrinfo ENOTFOUND github.com',
      ]),
    ).toBe('prebuild-install warn install getaddrinfo ENOTFOUND github.com')
    expect(
      whyItFailed([
        'gyp WARN install got an error, rolling back install',
        'gyp ERR! configure error',
        'gyp ERR! stack Error: This is most likely not a problem with node-gyp or the package itself and',
        'gyp ERR! stack is related to network connectivity. In most cases you are behind a proxy or have bad',
        'gyp ERR! stack network settings.',
        'gyp ERR! stack at go (/usr/lib/node_modules/npm/node_modules/node-gyp/lib/install.js:244:21)',
        'gyp ERR! not ok',
      ]),
    ).toBe(
      'node-gyp: This is most likely not a problem with node-gyp or the package itself and is related to network connectivity. In most cases you are behind a proxy or have bad network settings.',
    )
    expect(whyItFailed(['make: g++: Command not found', 'gyp ERR! not ok'])).toBe(
      'make: g++: Command not found',
    )
  })

  it('are run as child processes whose failure is reported by its telling line, and logged', async () => {
    const dir = tempDir()
    cleanups.push(dir.remove)
    const log = join(dir.path, 'build.log')
    const failed = await runStep(
      {
        how: 'compiled',
        command: process.execPath,
        args: [
          '-e',
          "console.log('gyp info it worked if it ends with ok'); console.error('gyp ERR! stack Error: getaddrinfo ENOTFOUND electronjs.org'); process.exit(1)",
        ],
        timeoutMs: 20_000,
      },
      dir.path,
      { log },
    )
    expect(failed).toEqual({
      ok: false,
      detail: 'gyp ERR! stack Error: getaddrinfo ENOTFOUND electronjs.org',
    })
    expect(readFileSync(log, 'utf8')).toContain('it worked if it ends with ok')

    const slow = await runStep(
      {
        how: 'prebuilt',
        command: process.execPath,
        args: ['-e', 'setTimeout(() => {}, 20000)'],
        timeoutMs: 300,
      },
      dir.path,
    )
    expect(slow).toEqual({ ok: false, detail: 'stopped after 0.3 s' })
    expect(
      await runStep(
        { how: 'x', command: join(dir.path, 'no-such-command'), args: [], timeoutMs: 1000 },
        dir.path,
      ),
    ).toMatchObject({ ok: false })
  })
})

describe('the script as npm runs it', () => {
  /** The scripts copied into a fake checkout, with a fake prebuild-install that "downloads". */
  function installed(layout: Layout = {}) {
    const fake = checkout(layout)
    mkdirSync(join(fake.root, 'scripts'))
    for (const file of ['electron-sqlite.js', 'electron-sqlite-lib.js']) {
      copyFileSync(
        join(import.meta.dirname, '../../scripts', file),
        join(fake.root, 'scripts', file),
      )
    }
    writeFileSync(join(fake.root, 'package.json'), JSON.stringify({ type: 'module' }))
    const prebuild = join(fake.root, 'node_modules', 'prebuild-install')
    mkdirSync(prebuild, { recursive: true })
    writeFileSync(
      join(prebuild, 'bin.js'),
      `const fs = require('fs')
       if (!process.argv.includes('electron') || process.env.npm_config_nodedir) process.exit(3)
       fs.mkdirSync('build/Release', { recursive: true })
       fs.writeFileSync('build/Release/better_sqlite3.node', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1]))`,
    )
    writeFileSync(join(prebuild, 'package.json'), JSON.stringify({ type: 'commonjs' }))
    return fake
  }

  const script = (root: string, args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [join(root, 'scripts', 'electron-sqlite.js'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, npm_config_nodedir: '/usr', ...env },
      timeout: 30_000,
    })

  it("at install without Electron's binary: one line, exit 0, nothing written", () => {
    const { root } = installed({ binary: false })
    const result = script(root, ['--postinstall'])
    expect(result.status).toBe(0)
    expect(result.stdout.trim().split('\n')).toHaveLength(1)
    expect(result.stdout).toBe(
      "electron-sqlite: skipped: Electron's binary is not downloaded yet; the first `npm start` " +
        'builds better-sqlite3 for Electron before it opens it (or run `npm run electron:sqlite` now).\n',
    )
    expect(existsSync(join(root, 'build'))).toBe(false)
  })

  it('at install with Electron there: builds it; before a start it then says nothing', () => {
    const { root, addon } = installed()
    const result = script(root, ['--postinstall'])
    expect(result.status).toBe(0)
    expect(result.stdout).toMatch(/building better-sqlite3 12\.11\.1 for Electron 45\.5\.0/)
    expect(result.stdout).toMatch(
      /\(prebuilt\) is in build\/native\/better_sqlite3-electron\.node\.\n$/,
    )
    expect(readFileSync(addon).subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))
    const start = script(root, ['--before-start'], { DISPLAY: ':0' })
    expect(start).toMatchObject({ status: 0, stdout: '' })
  })

  it('never fails an install or a start, but fails by hand, when the build fails', () => {
    const { root } = installed()
    writeFileSync(join(root, 'node_modules', 'prebuild-install', 'bin.js'), 'process.exit(1)')
    // A node-gyp that cannot reach Electron's headers either.
    const gyp = join(root, 'node-gyp.cjs')
    writeFileSync(
      gyp,
      "console.error('gyp ERR! stack Error: getaddrinfo ENOTFOUND'); process.exit(1)",
    )
    const env = { npm_config_node_gyp: gyp }
    const install = script(root, ['--postinstall'], env)
    expect(install.status).toBe(0)
    expect(install.stdout).toMatch(
      /electron-sqlite: skipped: could not build .*retry with `npm run electron:sqlite`\. \(build output: .*electron-sqlite\.log\)\n$/,
    )
    expect(script(root, ['--before-start'], { ...env, DISPLAY: ':0' }).status).toBe(0)
    expect(script(root, [], env).status).toBe(1)
  })
})

describe('the names the script and the shell share', () => {
  it('agree, and npm runs the script at install, before start, and as electron:sqlite', () => {
    expect(BINDING_NAME).toBe(ELECTRON_BINDING_NAME)
    expect(STAMP_NAME).toBe(ELECTRON_STAMP_NAME)
    expect(RETRY_COMMAND).toBe(ELECTRON_BINDING_COMMAND)
    const { scripts } = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8'),
    ) as { scripts: Record<string, string> }
    expect(scripts.postinstall).toBe('node scripts/electron-sqlite.js --postinstall')
    expect(scripts.start).toBe(
      'node scripts/electron-sqlite.js --before-start && node bin/fastorm-profiler.js start',
    )
    expect(scripts['electron:sqlite']).toBe('node scripts/electron-sqlite.js')
  })
})
