import { describe, expect, it } from 'vitest'
import { callSiteFrames, captureCallSite, isLibraryFile, parseStack } from '../src/call-site'

describe('call-site stacks', () => {
  it('parses the frame forms V8 prints', () => {
    const text = [
      'Error',
      '    at UserService.load (/app/src/users.ts:12:7)',
      '    at async Promise.all (index 0)',
      '    at async handler (/app/src/routes.ts:40:3)',
      '    at new Repo (/app/src/repo.js:3:9)',
      '    at /app/src/anonymous.js:5:1',
      '    at async /app/src/async-anonymous.js:6:2',
      '    at Object.<anonymous> (file:///app/src/module.mjs:8:4)',
      '    at run (C:\\app\\src\\win.js:9:5)',
      '    at eval (eval at compile (/app/src/tpl.js:20:11), <anonymous>:1:1)',
      '    at Array.map (<anonymous>)',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
      'not a frame',
    ].join('\n')
    expect(parseStack(text)).toEqual([
      { function: 'UserService.load', file: '/app/src/users.ts', line: 12, column: 7 },
      { function: 'Promise.all', file: 'index 0' },
      { function: 'handler', file: '/app/src/routes.ts', line: 40, column: 3 },
      { function: 'new Repo', file: '/app/src/repo.js', line: 3, column: 9 },
      { file: '/app/src/anonymous.js', line: 5, column: 1 },
      { file: '/app/src/async-anonymous.js', line: 6, column: 2 },
      { function: 'Object.<anonymous>', file: '/app/src/module.mjs', line: 8, column: 4 },
      { function: 'run', file: 'C:\\app\\src\\win.js', line: 9, column: 5 },
      { function: 'eval', file: '/app/src/tpl.js', line: 20, column: 11 },
      { function: 'Array.map', file: '<anonymous>' },
      {
        function: 'process.processTicksAndRejections',
        file: 'node:internal/process/task_queues',
        line: 95,
        column: 5,
      },
    ])
  })

  it('tells library and runtime frames from the app’s own', () => {
    expect(isLibraryFile('/app/node_modules/typeorm/query-builder/SelectQueryBuilder.js')).toBe(
      true,
    )
    expect(isLibraryFile('C:\\app\\node_modules\\pg\\lib\\client.js')).toBe(true)
    expect(isLibraryFile('node:internal/process/task_queues')).toBe(true)
    expect(isLibraryFile('<anonymous>')).toBe(true)
    expect(isLibraryFile('index 0')).toBe(true)
    expect(isLibraryFile('/app/src/users.ts')).toBe(false)
  })

  it('starts the frames sent at the first frame of the app, skipping libraries', () => {
    const captured = {
      stack: [
        'Error',
        '    at SelectQueryBuilder.getMany (/app/node_modules/typeorm/query-builder/SelectQueryBuilder.js:832:36)',
        '    at async UserService.load (/app/src/users.ts:12:7)',
        '    at async Layer.handle (/app/node_modules/express/lib/router/layer.js:95:5)',
        '    at async handler (/app/src/routes.ts:40:3)',
      ].join('\n'),
    }
    expect(callSiteFrames(captured)).toEqual([
      { function: 'UserService.load', file: '/app/src/users.ts', line: 12, column: 7 },
      { function: 'handler', file: '/app/src/routes.ts', line: 40, column: 3 },
    ])
  })

  it('falls back to the library frames when no app frame was captured', () => {
    const captured = {
      stack: 'Error\n    at Pool.query (/app/node_modules/pg-pool/index.js:1:2)',
    }
    expect(callSiteFrames(captured)).toEqual([
      { function: 'Pool.query', file: '/app/node_modules/pg-pool/index.js', line: 1, column: 2 },
    ])
  })

  it('captures above the given function, at most the given number of frames, and restores the limit', () => {
    const previous = Error.stackTraceLimit
    function inner() {
      return captureCallSite(2, inner)
    }
    function outer() {
      return inner()
    }
    const frames = parseStack(String(outer()?.stack))
    expect(frames.length).toBeLessThanOrEqual(2)
    expect(frames[0].function).toBe('outer')
    expect(Error.stackTraceLimit).toBe(previous)
  })
})
