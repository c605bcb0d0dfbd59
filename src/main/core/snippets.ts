/** The snippets the Connect dialog shows, with the URL and token filled in. */
import type { ConnectInfo } from '../../shared/api'

export function connectSnippets(agentUrl: string, token: string): ConnectInfo['snippets'] {
  return [
    {
      id: 'typeorm',
      title: 'TypeORM',
      language: 'typescript',
      code: [
        `// npm install fastorm-profiler-agent`,
        `import { startAgent } from 'fastorm-profiler-agent'`,
        ``,
        `const profiler = startAgent({`,
        `  url: '${agentUrl}',`,
        `  token: '${token}', // or set FASTORM_PROFILER_URL / FASTORM_PROFILER_TOKEN`,
        `})`,
        `profiler.instrumentTypeORM(dataSource) // before or after dataSource.initialize()`,
        ``,
        `// Optional: group queries by request, so N+1 loops are found per request; the`,
        `// promise settles when the response is done, and the profiler closes the request then`,
        `app.use((req, res, next) =>`,
        `  profiler.withContext(\`\${req.method} \${req.path}\`, () =>`,
        `    new Promise((resolve) => {`,
        `      res.once('close', resolve)`,
        `      next()`,
        `    }),`,
        `  ),`,
        `)`,
      ].join('\n'),
    },
    {
      id: 'env',
      title: 'Environment',
      language: 'shell',
      code: [
        `export FASTORM_PROFILER_URL=${agentUrl}`,
        `export FASTORM_PROFILER_TOKEN=${token}`,
      ].join('\n'),
    },
    {
      id: 'manual',
      title: 'Any driver',
      language: 'typescript',
      code: [
        `import { startAgent } from 'fastorm-profiler-agent'`,
        ``,
        `const profiler = startAgent({ url: '${agentUrl}', token: '${token}', dbSystem: 'postgresql' })`,
        `const started = performance.now()`,
        `const result = await client.query(sql, params)`,
        `profiler.recordQuery({ sql, params, durationMs: performance.now() - started, rows: result.rowCount })`,
      ].join('\n'),
    },
  ]
}
