/** The core as a library: what the benchmarks and embedding tools import (out/main/core.js). */
export { startCore, type Core, type CoreOptions } from './core'
export { Profiler } from './profiler'
export { Analyzer, analyzeSession } from '../analysis/analyzer'
/** The session library (TypeORM + SQLite), loaded on demand like startCore's `store` does. */
export const loadStore = () => import('../store')
export { fingerprint, dialectFor, type Dialect, type Fingerprint } from '../analysis/fingerprint'
export { loadSessionFile, readSessionFile, writeSessionFile } from '../session/session-file'
