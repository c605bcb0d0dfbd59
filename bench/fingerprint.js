/**
 * Fingerprint throughput: SQL texts per second through the core's `fingerprint()`, against
 * Percona's `pt-fingerprint` on the same texts in the same run.
 *
 * The corpus is ORM-style MySQL (backquoted identifiers, as TypeORM, Sequelize and Django
 * send it) with its values inlined, as a slow log or an ORM that inlines literals has them:
 * a dozen statement shapes, every text made unique by its values, ~200 bytes each. MySQL is
 * pt-fingerprint's own dialect, so both sides read the texts the way they are meant to.
 *
 * - cold: every text is new to the cache (the corpus is more than twice the cache's size, so
 *   a round leaves nothing a later round can hit), as on the live ingest path when an app
 *   inlines values.
 * - cached: fresh copies (new string objects, as off the wire) of 1,000 texts already seen:
 *   what a steady app costs once its shapes are known.
 * - pt-fingerprint: one process per round reading a file of the same texts (`;\n` between
 *   them, its input format); its start-up, timed on an empty file in the same run, is taken
 *   off, so the baseline is its steady rate.
 *
 * Rounds alternate the two sides; medians are reported. Settings (environment):
 * BENCH_FINGERPRINT_QUERIES (texts per round), BENCH_FINGERPRINT_ROUNDS.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Buffer } from 'node:buffer'
import { SetupError, importCore } from './lib/built.js'
import { envInt, withTimeout } from './lib/child.js'
import { figure, formatCount, formatNumber, median, target } from './lib/report.js'
import { seededRandom } from './lib/workload.js'

export const name = 'fingerprint'

const PT = 'pt-fingerprint'
const SEED = 424242
const CACHED_TEXTS = 1_000

const int = (random, below) => Math.floor(random() * below)
const pick = (random, values) => values[int(random, values.length)]
const WORDS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', "o'brien"]
const quote = (text) => `'${text.replaceAll("'", "''")}'`

/** Statement shapes as ORMs write them for MySQL; `u` makes the text unique. */
const SHAPES = [
  (r, u) =>
    'SELECT `User`.`id` AS `User_id`, `User`.`email` AS `User_email`, `User`.`name` AS `User_name` ' +
    `FROM \`user\` \`User\` WHERE \`User\`.\`id\` = ${u} LIMIT 1`,
  (r, u) =>
    'SELECT `orders`.`id`, `orders`.`total`, `orders`.`created_at` FROM `orders` ' +
    `WHERE \`orders\`.\`user_id\` = ${u} AND \`orders\`.\`status\` IN (${quote(pick(r, WORDS))}, 'paid', 'shipped') ` +
    `ORDER BY \`orders\`.\`created_at\` DESC LIMIT ${10 + int(r, 40)} OFFSET ${int(r, 500)}`,
  (r, u) =>
    'INSERT INTO `audit_log` (`action`,`user_id`,`payload`,`created_at`) VALUES ' +
    `('order.create',${u},${quote(`{"cart":${int(r, 9999)}}`)},'2025-11-26 09:${10 + int(r, 49)}:00')`,
  (r, u) =>
    'INSERT INTO `line_items` (`order_id`,`product_id`,`quantity`,`price`) VALUES ' +
    Array.from(
      { length: 2 + int(r, 3) },
      () => `(${u},${int(r, 8000)},${1 + int(r, 5)},${(int(r, 10000) / 100).toFixed(2)})`,
    ).join(','),
  (r, u) =>
    `UPDATE \`carts\` SET \`item_count\` = ${int(r, 30)}, \`updated_at\` = '2025-11-26 10:00:${10 + int(r, 49)}' ` +
    `WHERE \`carts\`.\`id\` = ${u} AND \`carts\`.\`version\` = ${int(r, 20)}`,
  (r, u) =>
    'SELECT `product`.`id`, `product`.`title`, `product`.`price`, `category`.`name` FROM `product` ' +
    'INNER JOIN `category` ON `category`.`id` = `product`.`category_id` ' +
    `WHERE \`product\`.\`id\` IN (${u}, ${int(r, 8000)}, ${int(r, 8000)}, ${int(r, 8000)})`,
  (r, u) =>
    `DELETE FROM \`sessions\` WHERE \`sessions\`.\`user_id\` = ${u} AND \`sessions\`.\`expires_at\` < '2025-11-${10 + int(r, 19)} 00:00:00'`,
  (r, u) =>
    'SELECT COUNT(*) AS `count` FROM `product` WHERE `product`.`category_id` = ' +
    `${u} AND \`product\`.\`price\` BETWEEN ${int(r, 50)}.5 AND ${100 + int(r, 900)}.99 AND \`product\`.\`deleted_at\` IS NULL`,
  (r, u) =>
    'SELECT `comment`.`id`, `comment`.`body`, `comment`.`author_id` FROM `comment` ' +
    `WHERE \`comment\`.\`post_id\` = ${u} AND \`comment\`.\`body\` LIKE ${quote(`%${pick(r, WORDS)}%`)} ` +
    'ORDER BY `comment`.`id` ASC LIMIT 20',
  (r, u) =>
    'UPDATE `product` SET `stock` = `stock` - ' +
    `${1 + int(r, 4)} WHERE \`product\`.\`id\` = ${u} AND \`product\`.\`stock\` >= ${int(r, 4)}`,
]

/** `count` unique texts, shapes taken in turn; `first` is the first unique number. */
function corpus(count, seed, first) {
  const random = seededRandom(seed)
  const texts = new Array(count)
  for (let i = 0; i < count; i++) texts[i] = SHAPES[i % SHAPES.length](random, first + i)
  return texts
}

/** Looks every text up in a Map once, as the live session's interner does. */
function internLikeTheSession(texts) {
  const interned = new Map()
  for (const text of texts) if (!interned.has(text)) interned.set(text, text)
}

/** A new string object with the same text, as one parsed off the wire would be. */
const freshCopy = (text) => Buffer.from(text).toString()

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

/**
 * Fingerprints every text once; CPU and wall time in ms. With `readLiterals`, each text's
 * literal values are read too (a template's match reads them out of the text on first use).
 */
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

export async function run({ quick, log }) {
  const core = await importCore()
  if (typeof core.fingerprint !== 'function') {
    throw new SetupError(
      'out/main/core.js does not export fingerprint: export it from src/main/core/index.ts and rebuild',
    )
  }
  if (!ptAvailable()) {
    throw new SetupError(`${PT} is not installed (Debian: apt-get install percona-toolkit)`)
  }
  const { fingerprint } = core
  // The cache holds at most 2,000 texts per dialect: with 20,000 or more, a round finds none
  // of the previous round's texts still cached.
  const queries = Math.max(20_000, envInt('BENCH_FINGERPRINT_QUERIES', quick ? 20_000 : 100_000))
  const rounds = envInt('BENCH_FINGERPRINT_ROUNDS', quick ? 3 : 5)

  const texts = corpus(queries, SEED, 1_000_000).map(freshCopy)
  // As on the ingest path, where the live session interns each text (a Map lookup, which
  // leaves V8's hash of the string in it) before the analyzer fingerprints it: the texts
  // arrive hashed. (A new string costs ~0.2 µs more, for that hash.)
  internLikeTheSession(texts)
  const bytes = texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0)
  const dir = mkdtempSync(join(tmpdir(), 'fop-bench-fingerprint-'))
  try {
    const file = join(dir, 'corpus.sql')
    writeFileSync(file, `${texts.join(';\n')};\n`)
    const empty = join(dir, 'empty.sql')
    writeFileSync(empty, '')
    log(
      `${formatCount(queries)} unique texts, ~${Math.round(bytes / queries)} bytes each, ` +
        `${SHAPES.length} shapes, ${rounds} rounds per side, alternating`,
    )

    // Every text a shape of its own (a name no other text has, past the first 16 chars, which
    // key the templates), so no shape template can stand in for the lexer: the rate of an
    // app's first sight of each statement.
    const newShapes = texts
      .slice(0, Math.min(queries, 20_000))
      .map((text, i) =>
        freshCopy(text.slice(0, 16) + text.slice(16).replace(/`(\w+)`/, `\`$1_${i}\``)),
      )
    internLikeTheSession(newShapes)

    // Warm up: the JIT on our side, the file cache and Perl's start on pt's.
    timeFingerprints(fingerprint, corpus(20_000, SEED + 1, 0))
    await runPt(empty, 30_000)

    const limitMs = 60_000 + queries // pt does ~100k texts/s; a minute's slack
    const ours = []
    const valuesRates = []
    const newShapeRates = []
    const pt = []
    const ptStartup = []
    let ptLines = []
    for (let round = 1; round <= rounds; round++) {
      const startup = await runPt(empty, 30_000)
      ptStartup.push(startup.elapsedMs)
      const ptRun = await runPt(file, limitMs)
      ptLines = ptRun.lines
      if (ptLines.length !== queries) {
        throw new Error(`${PT} printed ${ptLines.length} fingerprints for ${queries} texts`)
      }
      const ptRate = queries / (Math.max(1, ptRun.elapsedMs - startup.elapsedMs) / 1000)
      pt.push({ rate: ptRate, elapsedMs: ptRun.elapsedMs })
      const cold = timeFingerprints(fingerprint, texts)
      ours.push({
        rate: queries / (cold.wallMs / 1000),
        cpuUsPerText: (cold.cpuMs * 1000) / queries,
      })
      const withValues = timeFingerprints(fingerprint, texts, true)
      valuesRates.push(queries / (withValues.wallMs / 1000))
      log(
        `round ${round}: ${PT} ${formatNumber(ptRate)} texts/s ` +
          `(${formatNumber(ptRun.elapsedMs / 1000)} s, start-up ${formatNumber(startup.elapsedMs)} ms); ` +
          `fingerprint cold ${formatNumber(ours.at(-1).rate)} texts/s (${formatNumber(ours.at(-1).cpuUsPerText)} µs CPU each)`,
      )
    }

    // New shapes last: their texts fail the templates of their prefixes, which then rest a
    // while (see templates.ts), which is not what the cold rounds measure.
    for (let round = 1; round <= rounds; round++) {
      const lexed = timeFingerprints(fingerprint, newShapes)
      newShapeRates.push(newShapes.length / (lexed.wallMs / 1000))
    }

    // Cached: the first CACHED_TEXTS texts are fingerprinted once, then looked up again and
    // again from fresh copies.
    const known = texts.slice(0, CACHED_TEXTS)
    for (const text of known) fingerprint(text, 'mysql')
    const lookups = Array.from({ length: queries }, (_unused, i) =>
      freshCopy(known[i % CACHED_TEXTS]),
    )
    const cachedRates = []
    for (let round = 1; round <= rounds; round++) {
      const cached = timeFingerprints(fingerprint, lookups)
      cachedRates.push(queries / (cached.wallMs / 1000))
    }

    // Each round times both sides back to back: their ratio moves less with a busy
    // neighbour than either rate does.
    const roundRatios = ours.map((o, i) => o.rate / pt[i].rate)
    log(
      `cold vs ${PT}, round by round: ${roundRatios.map((r) => `${formatNumber(r)}×`).join(', ')} ` +
        `(median ${formatNumber(median(roundRatios))}×)`,
    )

    const shapesOurs = new Set(texts.map((text) => fingerprint(text, 'mysql').id)).size
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
    rmSync(dir, { recursive: true, force: true })
  }
}
