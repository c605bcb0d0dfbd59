import { describe, expect, it } from 'vitest'
import { REQUEST_CHANNELS } from '../../src/shared/api'
import { requestArgsSchemas } from '../../src/shared/api-schemas'

describe('the API contract', () => {
  it('allow-lists exactly the channels that have argument schemas (and so a handler type)', () => {
    // The preload and the IPC handlers register REQUEST_CHANNELS; a channel missing from it
    // would be unreachable in Electron while still working in browser mode.
    expect([...REQUEST_CHANNELS].sort()).toEqual(Object.keys(requestArgsSchemas).sort())
  })
})
