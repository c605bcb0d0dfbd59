/**
 * The fingerprint benchmark's timing side, in a process of its own, as pt-fingerprint is
 * in its own: a heap that holds only the core and the texts, so no other benchmark's
 * garbage makes the collector's work (a share of every round) larger than it would be.
 * Forked with `<queries>`; the runner asks for one measurement at a time:
 *
 * - `cold`: fingerprints every text once; `values: true` reads their literal values too;
 * - `new-shapes`: the same over texts that are each a shape of their own;
 * - `cached`: fresh copies of 1,000 texts already seen, `rounds` times;
 * - `shapes`: how many distinct fingerprints the texts have.
 *
 * Each replies with wall and CPU time in ms (or its count), then waits for the next.
 */
import { performance } from 'node:perf_hooks'
import { importCore } from './built.js'
import { SEED, benchTexts, corpus, freshCopy, newShapeTexts } from './fingerprint-corpus.js'

const CACHED_TEXTS = 1_000
const NEW_SHAPES = 20_000

/** Fingerprints every text once; wall and CPU time in ms. */
function timeFingerprints(fingerprint, texts, readLiterals = false) {
  let sink = 0
  let values = 0
  const cpuBefore = process.cpuUsage()
  const startedAt = performance.now()
  for (let i = 0; i < texts.length; i++) {
    const fp = fingerprint(texts[i], 'mysql')
    sink += fp.id.length
    if (readLiterals) values += fp.literals.length
  }
  const wallMs = performance.now() - startedAt
  const cpu = process.cpuUsage(cpuBefore)
  if (sink !== texts.length * 12) throw new Error('a fingerprint id is not 12 characters')
  if (readLiterals && values < texts.length) throw new Error('texts without literal values')
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 }
}

async function main() {
  const { fingerprint } = await importCore()
  const queries = Number(process.argv[2])
  const texts = benchTexts(queries)
  const newShapes = newShapeTexts(texts, Math.min(queries, NEW_SHAPES))
  // Warm up the JIT on texts of the same shapes.
  timeFingerprints(fingerprint, corpus(20_000, SEED + 1, 0))

  process.on('message', (message) => {
    switch (message.type) {
      case 'cold':
        process.send({ type: 'cold', ...timeFingerprints(fingerprint, texts, message.values) })
        break
      case 'new-shapes':
        process.send({ type: 'new-shapes', ...timeFingerprints(fingerprint, newShapes) })
        break
      case 'cached': {
        const known = texts.slice(0, CACHED_TEXTS)
        for (const text of known) fingerprint(text, 'mysql')
        const lookups = Array.from({ length: queries }, (_unused, i) =>
          freshCopy(known[i % CACHED_TEXTS]),
        )
        const rounds = []
        for (let round = 0; round < message.rounds; round++) {
          rounds.push(timeFingerprints(fingerprint, lookups))
        }
        process.send({ type: 'cached', rounds })
        break
      }
      case 'shapes':
        process.send({
          type: 'shapes',
          count: new Set(texts.map((text) => fingerprint(text, 'mysql').id)).size,
        })
        break
      case 'exit':
        process.exit(0)
    }
  })
  process.send({ type: 'ready' })
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
