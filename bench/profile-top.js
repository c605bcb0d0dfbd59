#!/usr/bin/env node
/**
 * Where the time went in a V8 CPU profile (`node --cpu-prof`): the functions with the most
 * self time, and the ones with the most total time (self plus everything they called).
 *
 *   node bench/profile-top.js <file.cpuprofile> [--top 25] [--match <text>]
 *
 * `--match` keeps only functions whose name or file contains the text (e.g. `live-session`,
 * `zod`). Files under node_modules are shown by package name, the rest relative to the repo.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { repoRoot } from './lib/built.js'

function location(callFrame) {
  const url = callFrame.url.replace(/^file:\/\//, '')
  if (url === '') return ''
  const modules = url.lastIndexOf('/node_modules/')
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/')
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]
  }
  const relative = url.startsWith(repoRoot) ? url.slice(repoRoot.length) : url
  return `${relative}:${callFrame.lineNumber + 1}`
}

function key(callFrame) {
  const where = location(callFrame)
  return `${callFrame.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`
}

function summarise(profile) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map()
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id)
  const self = new Map()
  const total = new Map()
  let sampledMs = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const ms = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000
    sampledMs += ms
    const leaf = nodes.get(profile.samples[i])
    const leafKey = key(leaf.callFrame)
    self.set(leafKey, (self.get(leafKey) ?? 0) + ms)
    // Each function once per sample, however often it recurs on the stack.
    const seen = new Set()
    for (let id = leaf.id; id !== undefined; id = parent.get(id)) {
      const k = key(nodes.get(id).callFrame)
      if (seen.has(k)) continue
      seen.add(k)
      total.set(k, (total.get(k) ?? 0) + ms)
    }
  }
  return { self, total, sampledMs }
}

function printTop(title, times, sampledMs, top, match) {
  console.log(`\n${title}`)
  const rows = [...times]
    .filter(([name]) => !match || name.includes(match))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
  for (const [name, ms] of rows) {
    const percent = ((ms / sampledMs) * 100).toFixed(1).padStart(5)
    console.log(`${ms.toFixed(1).padStart(9)} ms ${percent}%  ${name}`)
  }
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, match: { type: 'string' } },
})
if (positionals.length !== 1) {
  console.error('usage: node bench/profile-top.js <file.cpuprofile> [--top 25] [--match <text>]')
  process.exit(2)
}
const { self, total, sampledMs } = summarise(JSON.parse(readFileSync(positionals[0], 'utf8')))
const idle = self.get('(idle)') ?? 0
console.log(`${sampledMs.toFixed(0)} ms sampled, ${idle.toFixed(0)} ms of it idle`)
printTop('self time', self, sampledMs, Number(values.top), values.match)
printTop('total time (self + callees)', total, sampledMs, Number(values.top), values.match)
