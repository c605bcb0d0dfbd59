#!/usr/bin/env node
// Entry point of the `fastorm-profiler` command: loads the built CLI (out/main/cli.js).
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const cli = fileURLToPath(new URL('../out/main/cli.js', import.meta.url))
if (!existsSync(cli)) {
  process.stderr.write(
    'fastorm-profiler: not built yet; run `npm run build` (npm install does it)\n',
  )
  process.exit(2)
}
const { run } = await import(pathToFileURL(cli).href)
process.exitCode = await run(process.argv.slice(2))
