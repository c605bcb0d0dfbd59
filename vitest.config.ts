import { resolve } from 'node:path'
import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

export default defineConfig({
  plugins: [vue()],
  resolve: {
    alias: {
      '@renderer': resolve('src/renderer/src'),
      '@shared': resolve('src/shared'),
      // Tests use the agent's source, so they never run against a stale build.
      'fastorm-profiler-agent': resolve('agents/node/src/index.ts'),
    },
  },
  test: {
    include: ['test/**/*.test.ts', 'agents/node/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Real servers and real Chromium share two cores: keep files from starving each other.
    maxWorkers: 2,
  },
})
