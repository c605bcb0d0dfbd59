/**
 * Starts the demo app (out/main/demo-app.js) as a child process that connects to this
 * profiler through the agent, exactly as a user's app would.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { DemoStatus } from '../../shared/api'
import { builtDemoScript } from './paths'

export interface DemoLauncher {
  start(): DemoStatus
  stop(): void
}

export function createDemoLauncher(
  endpoint: () => { agentUrl: string; token: string },
): DemoLauncher {
  let child: ChildProcess | undefined
  return {
    start() {
      if (child && child.exitCode === null) return { running: true, pid: child.pid }
      const script = builtDemoScript()
      if (!existsSync(script)) {
        return { running: false, error: `demo app not built (${script}); run npm run build` }
      }
      const { agentUrl, token } = endpoint()
      // Inside Electron, process.execPath is Electron: run the demo with the user's node,
      // since its SQLite driver is built for Node.
      const node = process.versions.electron ? 'node' : process.execPath
      try {
        child = spawn(node, ['--enable-source-maps', script], {
          stdio: 'ignore',
          env: { ...process.env, FASTORM_PROFILER_URL: agentUrl, FASTORM_PROFILER_TOKEN: token },
        })
      } catch (error) {
        return { running: false, error: `could not start the demo: ${(error as Error).message}` }
      }
      child.on('error', () => {})
      return { running: true, pid: child.pid }
    },
    stop() {
      if (child && child.exitCode === null) child.kill()
    },
  }
}
