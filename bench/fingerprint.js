/**
 * Fingerprint throughput: SQL texts per second through the core's `fingerprint()`, against
 * Percona's `pt-fingerprint` on the same texts in the same run.
 *
 * The corpus (`lib/fingerprint-corpus.js`) is ORM-style MySQL with its values inlined, as a
 * slow log or an ORM that inlines literals has them: ten statement shapes, every text made
 * unique by its values, ~155 bytes each. MySQL is pt-fingerprint's own dialect, so both
 * sides read the texts the way they are meant to.
 *
 * - cold: every text is new to the cache (the corpus is more than twice the cache's size, so
 *   a round leaves nothing a later round can hit), as on the live ingest path when an app
 *   inlines values. Also with each text's literal values read, and over texts that are each
 *   a shape of their own (no shape template can serve them: the lexer's rate).
 * - cached: fresh copies (new string objects, as off the wire) of 1,000 texts already seen:
 *   what a steady app costs once its shapes are known.
 * - pt-fingerprint: one process per round reading a file of the same texts (`;\n` between
 *   them, its input format); its start-up, timed on an empty file in the same run, is taken
 *   off, so the baseline is its steady rate.
 *
 * Our side runs in a process of its own too (`lib/fingerprint-process.js`). Rounds alternate
 * the two sides; medians are reported. Settings (environment): BENCH_FINGERPRINT_QUERIES
 * (texts per round), BENCH_FINGERPRINT_ROUNDS.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Buffer } from 'node:buffer'
import { fileURLToPath } from 'node:url'
import { SetupError, corePath, requireBuilt } from './lib/built.js'
import { envInt, spawnChild, withTimeout } from './lib/child.js'
import { SHAPES, benchTexts } from './lib/fingerprint-corpus.js'
import { figure, formatCount, formatNumber, median, target } from './lib/report.js'

export const name = 'fingerprint'

const PT = 'pt-fingerprint'
const workerScript = fileURLToPath(new URL('./lib/fingerprint-process.js', import.meta.url))

function ptAvailable() {
  const probe = spawnSync(PT, ['--version'], { encoding: 'utf8' })
  return probe.status === 0
}

/** Runs pt-fingerprint on `file`; resolves to its wall time and its output lines. */
function runPt(file, limitMs) {
  return withTimeout(
    new Promise((resolve, reject) => {
      const startedAt = performance.now()
      const child = spawn(PT, [file], { stdio: ['ignore', 'pipe', 'inherit'] })
      const chunks = []
      child.stdout.on('data', (chunk) => chunks.push(chunk))
      child.on('error', reject)
      child.on('close', (code) => {
        const elapsedMs = performance.now() - startedAt
        if (code !== 0) return reject(new Error(`${PT} exited with code ${code}`))
        const output = Buffer.concat(chunks).toString('utf8')
        resolve({ elapsedMs, lines: output === '' ? [] : output.slice(0, -1).split('\n') })
      })
    }),
    limitMs,
    PT,
  )
}

export async function run({ quick, log }) {
  requireBuilt(corePath)
  if (!ptAvailable()) {
    throw new SetupError(`${PT} is not installed (Debian: apt-get install percona-toolkit)`)
  }
  // The cache holds at most 2,000 texts per dialect: with 20,000 or more, a round finds none
  // of the previous round's texts still cached.
  const queries = Math.max(20_000, envInt('BENCH_FINGERPRINT_QUERIES', quick ? 20_000 : 100_000))
  const rounds = envInt('BENCH_FINGERPRINT_ROUNDS', quick ? 3 : 5)

  const texts = benchTexts(queries)
  const bytes = texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0)
  const dir = mkdtempSync(join(tmpdir(), 'fop-bench-fingerprint-'))
  const worker = spawnChild(workerScript, [String(queries)])
  const ask = async (message) => {
    worker.send(message)
    return withTimeout(worker.next(message.type), 300_000, `fingerprint worker: ${message.type}`)
  }
  try {
    const file = join(dir, 'corpus.sql')
    writeFileSync(file, `${texts.join(';\n')};\n`)
    const empty = join(dir, 'empty.sql')
    writeFileSync(empty, '')
    log(
      `${formatCount(queries)} unique texts, ~${Math.round(bytes / queries)} bytes each, ` +
        `${SHAPES.length} shapes, ${rounds} rounds per side, alternating`,
    )

    // Warm up: the JIT on our side (the worker does, before it is ready), the file cache and
    // Perl's start on pt's.
    await withTimeout(worker.next('ready'), 120_000, 'fingerprint worker start')
    await runPt(empty, 30_000)

    const limitMs = 60_000 + queries // pt does ~100k texts/s; a minute's slack
    const ours = []
    const valuesRates = []
    const pt = []
    let ptLines = []
    for (let round = 1; round <= rounds; round++) {
      const startup = await runPt(empty, 30_000)
      const ptRun = await runPt(file, limitMs)
      ptLines = ptRun.lines
      if (ptLines.length !== queries) {
        throw new Error(`${PT} printed ${ptLines.length} fingerprints for ${queries} texts`)
      }
      const ptRate = queries / (Math.max(1, ptRun.elapsedMs - startup.elapsedMs) / 1000)
      pt.push({ rate: ptRate, elapsedMs: ptRun.elapsedMs })
      const cold = await ask({ type: 'cold', values: false })
      ours.push({
        rate: queries / (cold.wallMs / 1000),
        cpuUsPerText: (cold.cpuMs * 1000) / queries,
      })
      const withValues = await ask({ type: 'cold', values: true })
      valuesRates.push(queries / (withValues.wallMs / 1000))
      log(
        `round ${round}: ${PT} ${formatNumber(ptRate)} texts/s ` +
          `(${formatNumber(ptRun.elapsedMs / 1000)} s, start-up ${formatNumber(startup.elapsedMs)} ms); ` +
          `fingerprint cold ${formatNumber(ours.at(-1).rate)} texts/s (${formatNumber(ours.at(-1).cpuUsPerText)} µs CPU each)`,
      )
    }

    // New shapes last: their texts fail the templates of their prefixes, which then rest a
    // while (see templates.ts), which is not what the cold rounds measure.
    const newShapeRates = []
    for (let round = 1; round <= rounds; round++) {
      const lexed = await ask({ type: 'new-shapes' })
      newShapeRates.push(Math.min(queries, 20_000) / (lexed.wallMs / 1000))
    }
    const cached = await ask({ type: 'cached', rounds })
    const cachedRates = cached.rounds.map((r) => queries / (r.wallMs / 1000))

    // Each round times both sides back to back: their ratio moves less with a busy
    // neighbour than either rate does.
    const roundRatios = ours.map((o, i) => o.rate / pt[i].rate)
    log(
      `cold vs ${PT}, round by round: ${roundRatios.map((r) => `${formatNumber(r)}×`).join(', ')} ` +
        `(median ${formatNumber(median(roundRatios))}×)`,
    )

    const shapesOurs = (await ask({ type: 'shapes' })).count
    const shapesPt = new Set(ptLines).size
    log(
      `shapes found in the corpus: ${shapesOurs} by fingerprint, ${shapesPt} by ${PT} ` +
        `(${SHAPES.length} written); cached lookups ${formatNumber(median(cachedRates))} texts/s`,
    )

    const ptRate = median(pt.map((p) => p.rate))
    return [
      figure({
        name: 'fingerprint: texts/s cold (unique texts) vs pt-fingerprint',
        value: median(ours.map((o) => o.rate)),
        baseline: ptRate,
        unit: 'texts/s',
        goal: target.ratioAtLeast(20),
      }),
      figure({
        name: 'fingerprint: texts/s cached (fresh copies) vs pt-fingerprint',
        value: median(cachedRates),
        baseline: ptRate,
        unit: 'texts/s',
      }),
      figure({
        name: 'fingerprint: texts/s cold, literal values read too, vs pt-fingerprint',
        value: median(valuesRates),
        baseline: ptRate,
        unit: 'texts/s',
      }),
      figure({
        name: 'fingerprint: texts/s, every text a new shape, vs pt-fingerprint',
        value: median(newShapeRates),
        baseline: ptRate,
        unit: 'texts/s',
      }),
      figure({
        name: 'fingerprint: CPU per cold text',
        value: median(ours.map((o) => o.cpuUsPerText)),
        unit: 'µs',
      }),
    ]
  } finally {
    await worker.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
