#!/usr/bin/env node
/**
 * Builds better-sqlite3 for Electron into build/native/ (beside Node's build in node_modules,
 * never over it), when it is missing or was built for another Electron or better-sqlite3.
 *
 *   node scripts/electron-sqlite.js --postinstall   npm install: once Electron's binary is
 *                                                   there; never fails the install
 *   node scripts/electron-sqlite.js --before-start  npm start: when Electron will open; never
 *                                                   stops the start, silent unless it builds
 *   npm run electron:sqlite [-- --force]            by hand: shows the build, exit 1 on failure
 *
 * The logic is in electron-sqlite-lib.js; docs/storage.md says how it fits together.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import {
  buildEnv,
  ensureElectronSqlite,
  inspect,
  nativeDir,
  runStep,
} from './electron-sqlite-lib.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = new Set(process.argv.slice(2))
const when = args.has('--postinstall')
  ? 'postinstall'
  : args.has('--before-start')
    ? 'start'
    : 'manual'
// At install and start the commands' output goes to a log; by hand, to the terminal.
const quiet = when !== 'manual'
const log = join(nativeDir(root), 'electron-sqlite.log')
const say = (line) => process.stdout.write(`${line}\n`)

try {
  const env = buildEnv(process.env, inspect(root).electron?.version ?? '')
  const result = await ensureElectronSqlite({
    root,
    when,
    force: args.has('--force'),
    onBuild: (line) => {
      say(line)
      if (quiet) {
        mkdirSync(nativeDir(root), { recursive: true })
        writeFileSync(log, '')
      }
    },
    run: (step, cwd) => {
      const command = `\n$ ${step.command} ${step.args.join(' ')}\n`
      if (quiet) appendFileSync(log, command)
      else process.stdout.write(command)
      return runStep(step, cwd, { env, quiet, log: quiet ? log : undefined })
    },
  })
  const worthSaying = when !== 'start' || result.status === 'built' || result.status === 'failed'
  if (worthSaying) {
    say(`${result.line}${result.status === 'failed' && quiet ? ` (build output: ${log})` : ''}`)
  }
  if (result.status === 'failed' && !quiet) process.exitCode = 1
} catch (error) {
  // Whatever went wrong, an install or a start goes on without it.
  say(`electron-sqlite: skipped: ${error.message}`)
  if (!quiet) process.exitCode = 1
}
