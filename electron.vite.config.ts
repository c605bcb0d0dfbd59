import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

export default defineConfig({
  main: {
    build: {
      // Source maps let the demo's call sites point at demo-app.ts, not the bundle.
      sourcemap: true,
      rolldownOptions: {
        // The Electron entry, and the plain-Node entries: the CLI, the core as a library, the demo.
        input: {
          index: resolve('src/main/index.ts'),
          cli: resolve('src/main/cli/index.ts'),
          core: resolve('src/main/core/index.ts'),
          'demo-app': resolve('src/main/demo/demo-app.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload must be CommonJS.
      rolldownOptions: { output: { format: 'cjs', entryFileNames: '[name].cjs' } },
    },
  },
  renderer: {
    resolve: {
      alias: {
        '@renderer': resolve('src/renderer/src'),
        '@shared': resolve('src/shared'),
      },
    },
    plugins: [vue()],
  },
})
