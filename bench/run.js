#!/usr/bin/env node
/**
 * `npm run bench`: runs every benchmark module, then prints one table of figures, each
 * against a baseline measured in the same run, with its target and PASS or MISS.
 *
 *   node bench/run.js [--quick] [--only <name>]...
 *
 * A MISS is a finding, not a failure: the exit code is non-zero only when a benchmark could
 * not run. A benchmark module exports `name` and `run({ quick, log })`, which resolves to
 * rows made with `figure()` from lib/report.js; add new ones to BENCHMARKS.
 */
import { parseArgs } from 'node:util'
import { renderTable } from './lib/report.js'
import { SetupError } from './lib/built.js'

const BENCHMARKS = [
  () => import('./ingest.js'),
  () => import('./agent-hot-path.js'),
  () => import('./fingerprint.js'),
  () => import('./analysis.js'),
  () => import('./store.js'),
  () => import('./session-file.js'),
]

async function main() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  const modules = await Promise.all(BENCHMARKS.map((load) => load()))
  if (values.help) {
    console.log(
      `usage: node bench/run.js [--quick] [--only <${modules.map((m) => m.name).join('|')}>]...`,
    )
    return 0
  }
  const unknown = (values.only ?? []).filter((name) => !modules.some((m) => m.name === name))
  if (unknown.length > 0) {
    console.error(
      `unknown benchmark ${unknown.join(', ')}; known: ${modules.map((m) => m.name).join(', ')}`,
    )
    return 2
  }
  const selected = values.only ? modules.filter((m) => values.only.includes(m.name)) : modules

  console.log(
    `node ${process.version}, ${process.platform}/${process.arch}${values.quick ? ', quick run' : ''}; ` +
      'figures are medians; compare the ratios, the absolutes move with the machine',
  )
  const rows = []
  const failed = []
  for (const bench of selected) {
    console.log(`\n[${bench.name}]`)
    const log = (line) => console.log(`  ${line}`)
    try {
      rows.push(...(await bench.run({ quick: values.quick, log })))
    } catch (error) {
      failed.push(bench.name)
      console.error(
        `  ${bench.name} failed: ${error instanceof SetupError ? error.message : error.stack}`,
      )
    }
  }

  if (rows.length > 0) console.log(`\n${renderTable(rows)}`)
  if (failed.length > 0) {
    console.error(`\nbenchmark(s) that could not run: ${failed.join(', ')}`)
    return 1
  }
  return 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error) => {
    console.error(error)
    process.exitCode = 1
  },
)
