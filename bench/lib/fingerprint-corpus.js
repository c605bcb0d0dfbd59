/**
 * The fingerprint benchmark's texts, the same in the runner (which writes them for
 * pt-fingerprint) and in the process that times the core (`fingerprint-process.js`).
 *
 * ORM-style MySQL (backquoted identifiers, as TypeORM, Sequelize and Django send it) with its
 * values inlined, as a slow log or an ORM that inlines literals has them: ten statement
 * shapes, every text made unique by its values, ~155 bytes each.
 */
import { Buffer } from 'node:buffer'
import { seededRandom } from './workload.js'

export const SEED = 424242

const int = (random, below) => Math.floor(random() * below)
const pick = (random, values) => values[int(random, values.length)]
const WORDS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', "o'brien"]
const quote = (text) => `'${text.replaceAll("'", "''")}'`

/** Statement shapes as ORMs write them for MySQL; `u` makes the text unique. */
export const SHAPES = [
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
export function corpus(count, seed, first) {
  const random = seededRandom(seed)
  const texts = new Array(count)
  for (let i = 0; i < count; i++) texts[i] = SHAPES[i % SHAPES.length](random, first + i)
  return texts
}

/** A new string object with the same text, as one parsed off the wire would be. */
export const freshCopy = (text) => Buffer.from(text).toString()

/**
 * The benchmark's texts: `count` unique texts as new strings, looked up in a Map once, as
 * the live session's interner does on the ingest path before the analyzer fingerprints
 * them (the lookup leaves V8's hash of the string in it; a new string costs ~0.2 µs more).
 */
export function benchTexts(count) {
  const texts = corpus(count, SEED, 1_000_000).map(freshCopy)
  internLikeTheSession(texts)
  return texts
}

/**
 * Every text a shape of its own (a name no other text has, past the first 16 chars, which
 * key the templates), so no shape template can stand in for the lexer: the rate of an
 * app's first sight of each statement.
 */
export function newShapeTexts(texts, count) {
  const shapes = texts
    .slice(0, count)
    .map((text, i) =>
      freshCopy(text.slice(0, 16) + text.slice(16).replace(/`(\w+)`/, `\`$1_${i}\``)),
    )
  internLikeTheSession(shapes)
  return shapes
}

function internLikeTheSession(texts) {
  const interned = new Map()
  for (const text of texts) if (!interned.has(text)) interned.set(text, text)
}
