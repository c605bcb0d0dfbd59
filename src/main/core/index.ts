/** The core as a library: what the benchmarks and embedding tools import (out/main/core.js). */
export { startCore, type Core, type CoreOptions } from './core'
export { Profiler } from './profiler'
